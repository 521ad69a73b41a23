"""The one all-day convention: DTEND is exclusive (RFC 5545, section 3.6.1).

An all-day event is a run of dates, not of instants. Everywhere in storage and
code it is kept the way iCalendar writes it: ``starts_at`` is 00:00 UTC of its
first date and ``ends_at`` is 00:00 UTC of the day *after* its last date (or
``None``: one day). Only display turns that into an inclusive range, because a
person says "December 10" for ``DTSTART:20261210 DTEND:20261211`` and types
``--start 2026-12-10 --end 2026-12-10`` for the same thing.

Two functions hold the rule, one for each direction, and every entry point
(iCalendar ingest, the CLI, the staff form, selection, HTML and text) calls
them; nothing else adds or subtracts the day.
"""

from __future__ import annotations

import datetime as dt

ONE_DAY = dt.timedelta(days=1)


def _midnight_utc(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)


def stored_span(
    first: dt.date, last: dt.date | None = None, *, end_exclusive: dt.date | None = None
) -> tuple[dt.datetime, dt.datetime | None]:
    """Storage values for an all-day event.

    Give ``last`` (the last day, inclusive, as people type it) or
    ``end_exclusive`` (iCalendar's DTEND), not both. An end not after the
    first day means a one-day event, stored with the end one day later.
    """
    if last is not None and end_exclusive is not None:
        raise ValueError("give the last day or the exclusive end, not both")
    if last is not None:
        end_exclusive = last + ONE_DAY
    start = _midnight_utc(first)
    if end_exclusive is None:
        return start, None
    return start, _midnight_utc(max(end_exclusive, first + ONE_DAY))


def shown_days(starts_at: dt.date, ends_at: dt.date | None) -> tuple[dt.date, dt.date]:
    """First and last day (inclusive) of an all-day event, for display.

    Takes the stored values (or those an edition hands to compose: the same
    dates at midnight in the list's zone) and reads each as the date it is
    written in, never converting it to another zone, which would move it to
    the day before in the Americas.
    """
    first = _date(starts_at)
    if ends_at is None:
        return first, first
    return first, max(first, _date(ends_at) - ONE_DAY)


def _date(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value
