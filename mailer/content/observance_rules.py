"""Observance rules: from a small JSON description to the dates of a given year.

A rule is a dict, so the built-in calendar and the rules admins store in
``Observance.rule`` are the same thing, checked by the same code:

- ``{"kind": "month", "month": 2}``: the whole month (Black History Month);
- ``{"kind": "range", "start": [9, 15], "end": [10, 15]}``: fixed dates, ``end``
  may be in the next year (``[1, 5]`` after ``[12, 20]``); ``{"kind": "date",
  "month": 6, "day": 19}`` is one fixed day;
- ``{"kind": "nth_weekday", "month": 1, "weekday": 0, "n": 3}``: weekday 0 is
  Monday, ``n`` -1 is the last one (MLK Day is the third Monday of January);
- ``{"kind": "hijri", "month": 9, "day": 1, "days": 30, "until": [10, 1]}``: Umm
  al-Qura Islamic calendar via hijridate (``until`` = exclusive end date in the
  same Hijri year, for a month whose length varies);
- ``{"kind": "hebrew", "month": 1, "day": 15, "days": 8}``: via convertdate
  (month 1 is Nisan, 7 is Tishrei); the date is the first full day, the
  observance begins at sundown the evening before;
- ``{"kind": "chinese", "month": 1, "day": 1, "days": 1}``: Chinese lunisolar
  calendar via lunardate;
- ``{"kind": "holidays", "country": "IN", "name": "Diwali", "days": 1}``: a date
  the ``holidays`` package publishes for a country (Hindu festivals follow
  regional almanacs; the country class, not a generic table, has them right).

Nothing here is a typed table of future dates: every year is computed.
"""

from __future__ import annotations

import calendar
import datetime as dt
import warnings
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any


class RuleError(ValueError):
    """A rule dict is malformed; the message names the field and what is expected."""


def _int(rule: Mapping[str, Any], key: str, low: int, high: int) -> int:
    value = rule.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise RuleError(f"rule field {key!r} must be a whole number from {low} to {high}")
    return value


def _pair(rule: Mapping[str, Any], key: str) -> tuple[int, int]:
    value = rule.get(key)
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(isinstance(v, int) for v in value)
    ):
        raise RuleError(f"rule field {key!r} must be [month, day], e.g. [9, 15]")
    month, day = int(value[0]), int(value[1])
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        raise RuleError(f"rule field {key!r}: {value!r} is not a [month, day] pair")
    return month, day


def _days(rule: Mapping[str, Any], default: int = 1) -> int:
    if "days" not in rule:
        return default
    return _int(rule, "days", 1, 366)


Span = tuple[dt.date, dt.date]


def _month(rule: Mapping[str, Any], year: int) -> list[Span]:
    month = _int(rule, "month", 1, 12)
    last = calendar.monthrange(year, month)[1]
    return [(dt.date(year, month, 1), dt.date(year, month, last))]


def _range(rule: Mapping[str, Any], year: int) -> list[Span]:
    (sm, sd), (em, ed) = _pair(rule, "start"), _pair(rule, "end")
    try:
        start = dt.date(year, sm, sd)
        end = dt.date(year if (em, ed) >= (sm, sd) else year + 1, em, ed)
    except ValueError as exc:
        raise RuleError(f"range rule: {exc}") from None
    return [(start, end)]


def _date(rule: Mapping[str, Any], year: int) -> list[Span]:
    month, day = _int(rule, "month", 1, 12), _int(rule, "day", 1, 31)
    try:
        start = dt.date(year, month, day)
    except ValueError:
        return []  # Feb 29 in a common year
    return [(start, start + dt.timedelta(days=_days(rule) - 1))]


def nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th (1-based; -1 = last) ``weekday`` (0 = Monday) of a month."""
    days = [
        dt.date(year, month, d)
        for d in range(1, calendar.monthrange(year, month)[1] + 1)
        if dt.date(year, month, d).weekday() == weekday
    ]
    return days[n - 1] if n > 0 else days[n]


def _nth_weekday(rule: Mapping[str, Any], year: int) -> list[Span]:
    month = _int(rule, "month", 1, 12)
    weekday = _int(rule, "weekday", 0, 6)
    n = rule.get("n")
    if n not in (1, 2, 3, 4, -1):
        raise RuleError("rule field 'n' must be 1, 2, 3, 4 or -1 (last)")
    start = nth_weekday(year, month, weekday, int(n))
    return [(start, start + dt.timedelta(days=_days(rule) - 1))]


def _hijri(rule: Mapping[str, Any], year: int) -> list[Span]:
    from hijridate import Gregorian, Hijri

    month, day = _int(rule, "month", 1, 12), _int(rule, "day", 1, 30)
    until = _pair(rule, "until") if "until" in rule else None
    spans: list[Span] = []
    # A Hijri year is ~354 days, so two of its dates can fall in one Gregorian year.
    first = Gregorian(year, 1, 1).to_hijri().year
    for hy in (first - 1, first, first + 1):
        try:
            start = Hijri(hy, month, day).to_gregorian()
            if until:
                end = Hijri(hy, until[0], until[1]).to_gregorian() - dt.timedelta(days=1)
            else:
                end = start + dt.timedelta(days=_days(rule) - 1)
        except (ValueError, OverflowError):
            continue  # outside the Umm al-Qura tables (1343-1500 AH)
        if start.year == year:
            spans.append((dt.date(start.year, start.month, start.day), end))
    return spans


def _hebrew(rule: Mapping[str, Any], year: int) -> list[Span]:
    from convertdate import hebrew

    month, day = _int(rule, "month", 1, 13), _int(rule, "day", 1, 30)
    spans: list[Span] = []
    for hy in (year + 3760, year + 3761):
        with warnings.catch_warnings():
            # convertdate calls its own deprecated month_days internally.
            warnings.simplefilter("ignore", DeprecationWarning)
            y, m, d = hebrew.to_gregorian(hy, month, day)
        start = dt.date(y, m, d)
        if start.year == year:
            spans.append((start, start + dt.timedelta(days=_days(rule) - 1)))
    return spans


def _chinese(rule: Mapping[str, Any], year: int) -> list[Span]:
    from lunardate import LunarDate

    month, day = _int(rule, "month", 1, 12), _int(rule, "day", 1, 30)
    spans: list[Span] = []
    for ly in (year - 1, year):
        try:
            start = LunarDate(ly, month, day).to_solar_date()
        except ValueError:
            continue  # outside lunardate's table (1900-2099)
        if start.year == year:
            spans.append((start, start + dt.timedelta(days=_days(rule) - 1)))
    return spans


@lru_cache(maxsize=64)
def _country_holidays(country: str, year: int) -> tuple[tuple[dt.date, str], ...]:
    import holidays

    with warnings.catch_warnings():
        # holidays warns when a year is outside a festival's table; we report no date instead.
        warnings.simplefilter("ignore")
        table = holidays.country_holidays(country, years=year)
    return tuple(sorted(table.items()))


def _holidays(rule: Mapping[str, Any], year: int) -> list[Span]:
    country, name = rule.get("country"), rule.get("name")
    if not isinstance(country, str) or not isinstance(name, str) or not name:
        raise RuleError("holidays rule needs 'country' (e.g. \"IN\") and 'name' (e.g. \"Diwali\")")
    try:
        table = _country_holidays(country, year)
    except NotImplementedError:
        raise RuleError(f"holidays rule: unknown country code {country!r}") from None
    return [
        (d, d + dt.timedelta(days=_days(rule) - 1))
        for d, label in table
        if name.lower() in [part.strip().lower() for part in label.split(";")]
    ]


RULE_KINDS: dict[str, Callable[[Mapping[str, Any], int], list[Span]]] = {
    "month": _month,
    "range": _range,
    "date": _date,
    "nth_weekday": _nth_weekday,
    "hijri": _hijri,
    "hebrew": _hebrew,
    "chinese": _chinese,
    "holidays": _holidays,
}


def spans_in_year(rule: Mapping[str, Any], year: int) -> list[Span]:
    """(first day, last day) of every occurrence of ``rule`` starting in ``year``."""
    kind = rule.get("kind")
    if kind not in RULE_KINDS:
        raise RuleError(f"rule field 'kind' must be one of {', '.join(RULE_KINDS)}; got {kind!r}")
    return sorted(RULE_KINDS[str(kind)](rule, year))


def validate_rule(rule: Mapping[str, Any]) -> None:
    """Raise :class:`RuleError` if ``rule`` cannot be evaluated (checked on a sample year)."""
    spans_in_year(rule, 2026)
