"""Observance rules: from a small JSON description to the dates of a given year.

A rule is a dict, so the built-in calendar and the rules admins store in
``Observance.rule`` are the same thing, checked by the same code. Every kind
takes ``days`` (length, default 1) and most take ``offset`` (days after the
computed date):

- ``{"kind": "month", "month": 2}``: the whole month (Black History Month);
- ``{"kind": "range", "start": [9, 15], "end": [10, 15]}``: fixed dates, ``end``
  may be in the next year (``[1, 1]`` after ``[12, 26]``); ``{"kind": "date",
  "month": 6, "day": 19}`` is one fixed day;
- ``{"kind": "nth_weekday", "month": 1, "weekday": 0, "n": 3}``: weekday 0 is
  Monday, ``n`` -1 is the last one (MLK Day is the third Monday of January;
  Native American Heritage Day is the fourth Thursday of November, offset 1);
- ``{"kind": "easter", "method": "western"}``: Easter Sunday by dateutil's
  ``easter`` (``"orthodox"`` for the Julian computus); Good Friday is offset -2;
- ``hijri``, ``hebrew``, ``chinese``, ``persian``, ``julian`` and ``holidays``:
  dates in other calendars, see :mod:`mailer.content.observance_rules_lunar`.

Nothing here is a typed table of future dates: every year is computed.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from mailer.content import observance_rules_lunar as lunar
from mailer.content.observance_rule_fields import RuleError, Span, pair, span, whole

__all__ = ["RULE_KINDS", "RuleError", "Span", "nth_weekday", "spans_in_year", "validate_rule"]


def _month(rule: Mapping[str, Any], year: int) -> list[Span]:
    month = whole(rule, "month", 1, 12)
    last = calendar.monthrange(year, month)[1]
    return [(dt.date(year, month, 1), dt.date(year, month, last))]


def _range(rule: Mapping[str, Any], year: int) -> list[Span]:
    (sm, sd), (em, ed) = pair(rule, "start"), pair(rule, "end")
    try:
        start = dt.date(year, sm, sd)
        end = dt.date(year if (em, ed) >= (sm, sd) else year + 1, em, ed)
    except ValueError as exc:
        raise RuleError(f"range rule: {exc}") from None
    return [(start, end)]


def _date(rule: Mapping[str, Any], year: int) -> list[Span]:
    month, day = whole(rule, "month", 1, 12), whole(rule, "day", 1, 31)
    try:
        start = dt.date(year, month, day)
    except ValueError:
        return []  # Feb 29 in a common year
    return [span(rule, start)]


def nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th (1-based; -1 = last) ``weekday`` (0 = Monday) of a month."""
    days = [
        dt.date(year, month, d)
        for d in range(1, calendar.monthrange(year, month)[1] + 1)
        if dt.date(year, month, d).weekday() == weekday
    ]
    return days[n - 1] if n > 0 else days[n]


def _nth_weekday(rule: Mapping[str, Any], year: int) -> list[Span]:
    month = whole(rule, "month", 1, 12)
    weekday = whole(rule, "weekday", 0, 6)
    n = rule.get("n")
    if n not in (1, 2, 3, 4, -1):
        raise RuleError("rule field 'n' must be 1, 2, 3, 4 or -1 (last)")
    return [span(rule, nth_weekday(year, month, weekday, int(n)))]


def _easter(rule: Mapping[str, Any], year: int) -> list[Span]:
    from dateutil.easter import EASTER_ORTHODOX, EASTER_WESTERN, easter

    methods = {"western": EASTER_WESTERN, "orthodox": EASTER_ORTHODOX}
    method = rule.get("method", "western")
    if method not in methods:
        raise RuleError('rule field \'method\' must be "western" or "orthodox"')
    return [span(rule, easter(year, methods[str(method)]))]


def _holidays(rule: Mapping[str, Any], year: int) -> list[Span]:
    return lunar.holidays_rule(rule, year, spans_in_year)


RULE_KINDS: dict[str, Callable[[Mapping[str, Any], int], list[Span]]] = {
    "month": _month,
    "range": _range,
    "date": _date,
    "nth_weekday": _nth_weekday,
    "easter": _easter,
    "hijri": lunar.hijri,
    "hebrew": lunar.hebrew,
    "chinese": lunar.chinese,
    "persian": lunar.persian,
    "julian": lunar.julian,
    "holidays": _holidays,
}


@lru_cache(maxsize=8192)
def _cached(rule_json: str, year: int) -> tuple[Span, ...]:
    rule = json.loads(rule_json)
    if not isinstance(rule, dict):
        raise RuleError('a rule must be a JSON object such as {"kind": "month", "month": 2}')
    kind = rule.get("kind")
    if kind not in RULE_KINDS:
        raise RuleError(f"rule field 'kind' must be one of {', '.join(RULE_KINDS)}; got {kind!r}")
    return tuple(sorted(RULE_KINDS[str(kind)](rule, year)))


def spans_in_year(rule: Mapping[str, Any], year: int) -> list[Span]:
    """(first day, last day) of every occurrence of ``rule`` starting in ``year``.

    Results are cached by the rule's JSON: the calendar is asked about the same
    years for every edition, and the astronomical kinds are slow to compute.
    """
    try:
        key = json.dumps(rule, sort_keys=True)
    except (TypeError, ValueError):
        raise RuleError("a rule must hold only JSON values (numbers, text, lists)") from None
    return list(_cached(key, year))


def validate_rule(rule: Mapping[str, Any]) -> None:
    """Raise :class:`RuleError` if ``rule`` cannot be evaluated (checked on a sample year)."""
    spans_in_year(rule, 2026)
    if "fallback" in rule:
        fallback = rule["fallback"]
        if not isinstance(fallback, Mapping):
            raise RuleError('rule field \'fallback\' must be a rule, e.g. {"kind": "date"}')
        validate_rule(fallback)
