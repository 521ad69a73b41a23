"""Numbers read from URLs: one rule for ids in paths and integers in query strings.

Every table's key is a 32-bit ``INTEGER`` (PostgreSQL refuses a larger
number with "integer out of range", SQLite with an overflow), and
``str.isdigit()`` says yes to "²", which ``int()`` refuses. So a number from
a URL is checked here, before any query sees it: an id out of range is no
page (404), a malformed query parameter is a bad request (400) that names it.
"""

from __future__ import annotations

import datetime as dt
import re

from flask import abort, request
from werkzeug.routing import IntegerConverter, Map

MAX_ID = 2**31 - 1  # the largest value of the INTEGER primary keys
_ASCII_DIGITS = re.compile(r"[0-9]{1,10}")


class IdConverter(IntegerConverter):
    """``<int:…>`` in a route: ASCII digits up to ``MAX_ID``; anything else matches no route."""

    regex = r"[0-9]+"

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_ID)


def int_arg(
    name: str, *, default: int | None = None, low: int = 0, high: int = MAX_ID
) -> int | None:
    """The query parameter ``name`` as an integer in [low, high]; absent or empty gives ``default``.

    Anything else (a sign, a letter, a non-ASCII digit, a number too large)
    answers 400 naming the parameter, under the API as JSON.
    """
    value = request.args.get(name, "")
    if value == "":
        return default
    if not _ASCII_DIGITS.fullmatch(value) or not low <= int(value) <= high:
        abort(400, f"{name}: use a whole number from {low} to {high}.")
    return int(value)


def ids_from(values: list[str]) -> set[int]:
    """The well-formed ids among form values (ticked checkboxes); the rest are ignored."""
    return {int(v) for v in values if _ASCII_DIGITS.fullmatch(v) and int(v) <= MAX_ID}


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATE_RANGE = dt.timedelta(days=366)


def date_arg(name: str, today: dt.date, within: dt.timedelta = DATE_RANGE) -> dt.date | None:
    """The query parameter ``name`` as a YYYY-MM-DD date ``within`` a year of ``today``, or None.

    Anything else answers 400 naming the parameter (a far date is refused too:
    nobody previews the digest of 1999, and rendering one costs a query).
    """
    value = request.args.get(name, "")
    if value == "":
        return None
    try:
        day = dt.date.fromisoformat(value) if _ISO_DATE.fullmatch(value) else None
    except ValueError:
        day = None
    if day is None or abs(day - today) > within:
        years = max(1, within.days // 365)
        span = "a year" if years == 1 else f"{years} years"
        abort(400, f"{name}: use a date like {today.isoformat()}, within {span} of today.")
    return day
