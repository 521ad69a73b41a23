"""Reading the fields of an observance rule: one place for the checks and their messages.

Every rule kind (:mod:`mailer.content.observance_rules` for the Gregorian
ones, :mod:`mailer.content.observance_rules_lunar` for the other calendars)
reads its fields through these, so an admin's bad rule is refused with the
same wording whatever its kind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

Span = tuple[dt.date, dt.date]


class RuleError(ValueError):
    """A rule dict is malformed; the message names the field and what is expected."""


def whole(rule: Mapping[str, Any], key: str, low: int, high: int) -> int:
    value = rule.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise RuleError(f"rule field {key!r} must be a whole number from {low} to {high}")
    return value


def pair(rule: Mapping[str, Any], key: str) -> tuple[int, int]:
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


def days(rule: Mapping[str, Any], default: int = 1) -> int:
    if "days" not in rule:
        return default
    return whole(rule, "days", 1, 366)


def offset(rule: Mapping[str, Any]) -> dt.timedelta:
    """``offset`` days after the computed date (Good Friday is Easter -2)."""
    if "offset" not in rule:
        return dt.timedelta(0)
    return dt.timedelta(days=whole(rule, "offset", -100, 100))


def span(rule: Mapping[str, Any], first: dt.date) -> Span:
    """The occurrence that begins on ``first`` (after ``offset``) and lasts ``days`` days."""
    start = first + offset(rule)
    return start, start + dt.timedelta(days=days(rule) - 1)
