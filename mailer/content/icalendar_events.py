"""iCalendar feeds -> event occurrences ready to store.

icalendar parses the file (VTIMEZONE blocks included) and
recurring-ical-events expands RRULE/RDATE, removes EXDATEs and applies
RECURRENCE-ID overrides, so a weekly series with one date cancelled and one
moved comes out as the right occurrences. We add the storage conventions:

- times with a TZID (or UTC) are stored as aware UTC, the zone name kept;
- floating times (no zone) are read in the installation's default zone and
  stored with an empty ``timezone``;
- all-day events follow :mod:`mailer.content.all_day` (DTEND exclusive,
  00:00 UTC of the dates; ``None`` when the feed gives no end);
- an occurrence of a recurring event has guid ``UID@<original start>``, a
  single event its UID, so re-ingesting updates instead of duplicating.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import recurring_ical_events

from mailer.content.all_day import stored_span
from mailer.content.links import web_link
from mailer.content.markup import strip_tags, truncate_text_words

PAST_DAYS = 1
HORIZON_DAYS = 180
DESCRIPTION_WORDS = 60
MAX_OCCURRENCES = 2000


class CalendarError(ValueError):
    """The document is not a calendar we can read; the message says what is wrong."""


@dataclass(frozen=True)
class CalendarEvent:
    guid: str
    title: str
    starts_at: dt.datetime  # aware UTC
    ends_at: dt.datetime | None
    all_day: bool
    timezone: str
    location: str = ""
    url: str = ""
    description: str = ""
    cancelled: bool = False  # STATUS:CANCELLED: hide it if we stored it before


def _zone_name(value: dt.datetime) -> str:
    """The IANA name of the organiser's zone, or "" if it has none we recognise.

    Outlook writes Windows names ("Central Standard Time") with its own
    VTIMEZONE; icalendar knows their IANA equivalents.
    """
    tz = value.tzinfo
    key = getattr(tz, "key", None) or getattr(tz, "zone", None)
    if not key:
        try:
            from icalendar.timezone import tzid_from_tzinfo
            from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

            key = tzid_from_tzinfo(tz)
            key = WINDOWS_TO_OLSON.get(key or "", key)
        except ImportError:  # older icalendar
            key = None
    if not key:
        return ""
    try:
        ZoneInfo(str(key))
    except (ValueError, KeyError, ZoneInfoNotFoundError):
        return ""
    return str(key)[:64]


def _instant(value: dt.datetime, floating_tz: ZoneInfo) -> tuple[dt.datetime, str]:
    if value.tzinfo is None:
        return value.replace(tzinfo=floating_tz).astimezone(dt.UTC), ""
    return value.astimezone(dt.UTC), _zone_name(value)


def _key(value: dt.date | dt.datetime, floating_tz: ZoneInfo) -> str:
    if isinstance(value, dt.datetime):
        return _instant(value, floating_tz)[0].strftime("%Y%m%dT%H%M%SZ")
    return value.strftime("%Y%m%d")


def expansion_window(
    now: dt.datetime, past_days: int = PAST_DAYS, horizon_days: int = HORIZON_DAYS
) -> tuple[dt.datetime, dt.datetime]:
    """The span a calendar is read over; ingest mirrors the source's events inside it."""
    return now - dt.timedelta(days=past_days), now + dt.timedelta(days=horizon_days)


def parse_calendar(
    body: bytes,
    *,
    now: dt.datetime,
    default_timezone: str,
    past_days: int = PAST_DAYS,
    horizon_days: int = HORIZON_DAYS,
    max_occurrences: int = MAX_OCCURRENCES,
) -> list[CalendarEvent]:
    """Occurrences from ``past_days`` before ``now`` to ``horizon_days`` after it."""
    try:
        cal = icalendar.Calendar.from_ical(body)
    except ValueError as exc:
        raise CalendarError(f"malformed iCalendar: {exc}") from None
    if not isinstance(cal, icalendar.Calendar) or cal.name != "VCALENDAR":
        raise CalendarError("not an iCalendar file (no BEGIN:VCALENDAR)")
    floating_tz = ZoneInfo(default_timezone)
    start, end = expansion_window(now, past_days, horizon_days)
    recurring = {
        str(c.get("UID"))
        for c in cal.walk("VEVENT")
        if c.get("RRULE") or c.get("RDATE") or c.get("RECURRENCE-ID")
    }
    try:
        expanded = recurring_ical_events.of(cal).between(start, end)
    except Exception as exc:  # the library raises many kinds for bad RRULEs and dates
        raise CalendarError(f"cannot expand the calendar's events: {exc}") from None
    events: list[CalendarEvent] = []
    for n, comp in enumerate(expanded):
        if n >= max_occurrences:
            raise CalendarError(
                f"more than {max_occurrences} events in the next {horizon_days} days; "
                "is a recurrence rule missing its end?"
            )
        events.append(_event(comp, recurring, floating_tz))
    return events


def _event(comp: icalendar.Event, recurring: set[str], floating_tz: ZoneInfo) -> CalendarEvent:
    uid = str(comp.get("UID") or "")
    title = strip_tags(str(comp.get("SUMMARY") or "")) or "(untitled event)"
    dtstart = comp.get("DTSTART").dt
    dtend_prop = comp.get("DTEND")
    dtend = dtend_prop.dt if dtend_prop is not None else None
    if dtend is None and comp.get("DURATION") is not None:
        dtend = dtstart + comp.get("DURATION").dt
    if not uid:
        uid = f"nouid:{title}:{_key(dtstart, floating_tz)}"
    guid = uid
    if uid in recurring:
        rid = comp.get("RECURRENCE-ID")
        guid = f"{uid}@{_key(rid.dt if rid is not None else dtstart, floating_tz)}"

    if isinstance(dtstart, dt.datetime):
        starts, zone = _instant(dtstart, floating_tz)
        ends = _instant(dtend, floating_tz)[0] if isinstance(dtend, dt.datetime) else None
        all_day = False
    else:
        zone, all_day = "", True
        end_day = dtend.date() if isinstance(dtend, dt.datetime) else dtend
        starts, ends = stored_span(dtstart, end_exclusive=end_day)
    if ends is not None and ends <= starts and not all_day:
        ends = None
    description = truncate_text_words(
        strip_tags(str(comp.get("DESCRIPTION") or "")), DESCRIPTION_WORDS
    )
    url = web_link(str(comp.get("URL") or ""))
    return CalendarEvent(
        guid=guid[:1000],
        title=title[:500],
        starts_at=starts,
        ends_at=ends,
        all_day=all_day,
        timezone=zone,
        location=strip_tags(str(comp.get("LOCATION") or ""))[:500],
        url=url[:2000],
        description=description,
        cancelled=str(comp.get("STATUS", "")).upper() == "CANCELLED",
    )
