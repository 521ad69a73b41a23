"""Events readers can keep: an iCalendar file per event or per list, and a Google link.

Every event in a message carries "Add to calendar" (the web app's
``/events/<id>.ics``) and "Google Calendar" (Google's documented
``render?action=TEMPLATE`` link). The calendar files are made here, with
the icalendar library: times in the event's own zone (else the list's) with
its VTIMEZONE, all-day events as dates with DTEND exclusive (RFC 5545, the
one all-day rule), and a UID derived from the event's identity at its source,
so the same event keeps the same UID in every edition and in the list's feed
(a calendar app updates it rather than adding a copy).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import icalendar

from mailer.content.edition import EventEntry

PRODID = "-//ODEI mailer//Events//EN"
GOOGLE = "https://calendar.google.com/calendar/render"


def event_uid(event: EventEntry, domain: str) -> str:
    """Stable across editions: from the event's id at its source (``guid``), not our row id."""
    identity = event.guid or f"event-{event.id}"
    return f"{hashlib.sha256(identity.encode('utf-8')).hexdigest()[:32]}@{domain}"


def _end(event: EventEntry) -> dt.datetime | dt.date | None:
    if event.all_day:
        start = event.starts_at.date()
        return event.ends_at.date() if event.ends_at else start + dt.timedelta(days=1)
    return event.ends_at


def _vevent(event: EventEntry, tz: ZoneInfo, domain: str, stamp: dt.datetime) -> icalendar.Event:
    vevent = icalendar.Event()
    vevent.add("uid", event_uid(event, domain))
    vevent.add("dtstamp", stamp)
    vevent.add("summary", event.title)
    if event.all_day:
        vevent.add("dtstart", event.starts_at.date())
        end = _end(event)
        if end is not None:
            vevent.add("dtend", end)
    else:
        vevent.add("dtstart", event.starts_at.astimezone(tz))
        if event.ends_at is not None:
            vevent.add("dtend", event.ends_at.astimezone(tz))
    if event.location:
        vevent.add("location", event.location)
    if event.description:
        vevent.add("description", event.description)
    if event.url:
        vevent.add("url", event.url)
    return vevent


def ics(
    events: Iterable[EventEntry],
    timezone: str,
    *,
    domain: str,
    name: str = "",
    now: dt.datetime | None = None,
) -> bytes:
    """A VCALENDAR of ``events`` with their times in ``timezone`` and its VTIMEZONE."""
    tz = ZoneInfo(timezone)
    stamp = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if name:
        cal.add("x-wr-calname", name)
        cal.add("x-wr-timezone", timezone)
    for event in events:
        cal.add_component(_vevent(event, tz, domain, stamp))
    cal.add_missing_timezones()
    return cal.to_ical()


def _google_time(value: dt.datetime | dt.date, all_day: bool) -> str:
    if all_day:
        return value.strftime("%Y%m%d")
    assert isinstance(value, dt.datetime)
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def google_url(event: EventEntry, timezone: str = "") -> str:
    """Google Calendar's "add event" link, prefilled (times in UTC, all-day as dates)."""
    start: dt.datetime | dt.date = event.starts_at.date() if event.all_day else event.starts_at
    end = _end(event)
    if end is None:
        end = start + dt.timedelta(hours=1)
    params = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": f"{_google_time(start, event.all_day)}/{_google_time(end, event.all_day)}",
    }
    # Only the event's own link as details: the link is in every copy of the message
    # (twice, HTML and text), so a description here would cost the size budget dearly.
    if event.url:
        params["details"] = event.url
    if event.location:
        params["location"] = event.location
    if timezone and not event.all_day:
        params["ctz"] = timezone
    return f"{GOOGLE}?{urlencode(params)}"


def ics_url(base_url: str, event: EventEntry) -> str:
    """The web app's calendar file of one event."""
    return f"{base_url.rstrip('/')}/events/{event.id}.ics"
