"""Observance rules in calendars other than the Gregorian one.

Each function takes a rule dict and a Gregorian year and returns the spans of
the occurrences that begin in that year (a lunar year is shorter than a solar
one, so there can be two). The arithmetic is the libraries':

- ``hijri``: the Umm al-Qura calendar via hijridate; outside its tables
  (1924-2077) the arithmetical Islamic calendar of convertdate, so the rule
  still gives a date (within a day or two of the sighted one) for any year;
- ``hebrew``: convertdate (month 1 is Nisan, 7 Tishrei, 9 Kislev, 12 Adar,
  13 Adar II); ``leap_month`` moves a date in Adar to Adar II in a leap year,
  as Purim does;
- ``chinese``: the Chinese lunisolar calendar via lunardate (1900-2099);
- ``persian``: the Solar Hijri calendar via convertdate, whose year begins on
  the day of the March equinox as seen from Tehran (equinox before noon there:
  that day, else the next), computed astronomically with PyMeeus; its
  1 Farvardin is Nowruz;
- ``julian``: a Julian-calendar date (Orthodox Christmas is Julian December 25);
- ``holidays``: a date the ``holidays`` package publishes for a country (Hindu
  and Sikh festivals follow regional almanacs, tabulated by the package for
  2001-2035); ``category`` picks a category such as India's ``optional`` list,
  and ``fallback`` is a rule used for a year the package has no date for.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from mailer.content.observance_rule_fields import RuleError, Span, days, pair, span, whole


def _in_year(spans: list[Span], year: int) -> list[Span]:
    return [s for s in spans if s[0].year == year]


def _hijri_to_gregorian(hy: int, month: int, day: int) -> dt.date:
    from hijridate import Hijri

    try:
        g = Hijri(hy, month, day).to_gregorian()
        return dt.date(g.year, g.month, g.day)
    except OverflowError:
        from convertdate import islamic

        return dt.date(*islamic.to_gregorian(hy, month, day))


def _hijri_year(year: int) -> int:
    from hijridate import Gregorian

    try:
        return int(Gregorian(year, 1, 1).to_hijri().year)
    except OverflowError:
        from convertdate import islamic

        return int(islamic.from_gregorian(year, 1, 1)[0])


def hijri(rule: Mapping[str, Any], year: int) -> list[Span]:
    month, day = whole(rule, "month", 1, 12), whole(rule, "day", 1, 30)
    until = pair(rule, "until") if "until" in rule else None
    spans: list[Span] = []
    # A Hijri year is ~354 days, so two of its dates can fall in one Gregorian year.
    first = _hijri_year(year)
    for hy in (first - 1, first, first + 1):
        try:
            start, end = span(rule, _hijri_to_gregorian(hy, month, day))
            if until:
                end = _hijri_to_gregorian(hy, *until) - dt.timedelta(days=1)
        except ValueError:
            continue  # day 30 of a 29-day month
        spans.append((start, end))
    return _in_year(spans, year)


def hebrew(rule: Mapping[str, Any], year: int) -> list[Span]:
    from convertdate import hebrew as heb

    month, day = whole(rule, "month", 1, 13), whole(rule, "day", 1, 30)
    leap_month = whole(rule, "leap_month", 1, 13) if "leap_month" in rule else None
    spans: list[Span] = []
    for hy in (year + 3760, year + 3761):
        m = leap_month if leap_month and heb.leap(hy) else month
        if m == 13 and not heb.leap(hy):
            continue  # no Adar II in a common year
        with warnings.catch_warnings():
            # convertdate calls its own deprecated month_days internally.
            warnings.simplefilter("ignore", DeprecationWarning)
            spans.append(span(rule, dt.date(*heb.to_gregorian(hy, m, day))))
    return _in_year(spans, year)


def chinese(rule: Mapping[str, Any], year: int) -> list[Span]:
    from lunardate import LunarDate

    month, day = whole(rule, "month", 1, 12), whole(rule, "day", 1, 30)
    spans: list[Span] = []
    for ly in (year - 1, year):
        try:
            spans.append(span(rule, LunarDate(ly, month, day).to_solar_date()))
        except ValueError:
            continue  # outside lunardate's table (1900-2099)
    return _in_year(spans, year)


@lru_cache(maxsize=512)
def _persian_to_gregorian(py: int, month: int, day: int) -> dt.date:
    from convertdate import persian

    return dt.date(*persian.to_gregorian(py, month, day))


def persian(rule: Mapping[str, Any], year: int) -> list[Span]:
    month, day = whole(rule, "month", 1, 12), whole(rule, "day", 1, 31)
    # The Solar Hijri year py begins in March of py + 621.
    spans = [span(rule, _persian_to_gregorian(py, month, day)) for py in (year - 622, year - 621)]
    return _in_year(spans, year)


def julian(rule: Mapping[str, Any], year: int) -> list[Span]:
    from convertdate import julian as jul

    month, day = whole(rule, "month", 1, 12), whole(rule, "day", 1, 31)
    spans: list[Span] = []
    for jy in (year - 1, year):
        try:
            spans.append(span(rule, dt.date(*jul.to_gregorian(jy, month, day))))
        except ValueError:
            continue
    return _in_year(spans, year)


@lru_cache(maxsize=128)
def _country_holidays(country: str, category: str, year: int) -> tuple[tuple[dt.date, str], ...]:
    import holidays

    with warnings.catch_warnings():
        # holidays warns when a year is outside a festival's table; we report no date instead.
        warnings.simplefilter("ignore")
        table = holidays.country_holidays(country, years=year, categories=(category,))
    return tuple(sorted(table.items()))


def holidays_rule(
    rule: Mapping[str, Any], year: int, fallback: Callable[[Mapping[str, Any], int], list[Span]]
) -> list[Span]:
    country, name = rule.get("country"), rule.get("name")
    if not isinstance(country, str) or not isinstance(name, str) or not name:
        raise RuleError("holidays rule needs 'country' (e.g. \"IN\") and 'name' (e.g. \"Diwali\")")
    category = rule.get("category", "public")
    if not isinstance(category, str):
        raise RuleError("holidays rule field 'category' must be a name such as \"optional\"")
    try:
        table = _country_holidays(country, category, year)
    except NotImplementedError:
        raise RuleError(
            f"holidays rule: unknown country code {country!r} or category {category!r}"
        ) from None
    spans = [
        (d, d + dt.timedelta(days=days(rule) - 1))
        for d, label in table
        if name.lower() in [part.strip().lower() for part in label.split(";")]
    ]
    other = rule.get("fallback")
    if other is not None and not isinstance(other, Mapping):
        raise RuleError('holidays rule field \'fallback\' must be a rule, e.g. {"kind": "date"}')
    if other is not None and not spans:
        spans = fallback(other, year)
    return spans
