"""iCalendar ingest: recurrences, exceptions, zones, floating and all-day events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from content_http import DATA, FeedServer, Route
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.content.edition import EditionContent
from mailer.content.ingest import ingest_source
from mailer.content.models import Event
from mailer.content.selection import select_edition_content
from mailer.content.sources import add_source
from mailer.delivery.campaigns import edition_history
from subscribers.models import MailingList


def choose(session: Session, ml: MailingList, on: dt.date, settings: Settings) -> EditionContent:
    """The edition as delivery chooses it: with what it knows of the list's campaigns."""
    return select_edition_content(session, ml, on, settings, edition_history(session, ml.id, on))


UTC = dt.UTC
NOW = dt.datetime(2026, 3, 1, 12, tzinfo=UTC)
UID = "snma-arts-week@odei.example.org"
ICS = (DATA / "ical/odei-events.ics").read_bytes()


@pytest.fixture
def server() -> Iterator[FeedServer]:
    srv = FeedServer()
    yield srv
    srv.close()


def _events(session: Session) -> dict[str, Event]:
    return {e.guid: e for e in session.scalars(select(Event))}


def test_icalendar_feed_stored_in_utc_with_recurrences(
    server: FeedServer, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    server.routes["/odei.ics"] = Route(ICS, "text/calendar; charset=utf-8")
    with session_factory.begin() as session:
        sid = add_source(session, kind="events", url=server.url("/odei.ics"), name="ODEI").id
    report = ingest_source(session_factory, settings, sid, now=NOW)
    assert (report.status, report.new) == ("ok", 7), report.error

    with session_factory() as session:
        events = _events(session)
        assert sorted(events) == sorted(
            [
                # Weekly x4 from March 2; March 9 excluded (EXDATE); March 16 moved to the 17th.
                f"{UID}@20260302T233000Z",  # 17:30 CST
                f"{UID}@20260316T223000Z",  # 17:30 CDT: DST began March 8
                f"{UID}@20260323T223000Z",
                "whm-all-day@odei.example.org",
                "iftar-floating@odei.example.org",
                "utc-webinar@odei.example.org",
                "tokyo-lny@odei.example.org",
            ]
        )
        first = events[f"{UID}@20260302T233000Z"]
        assert first.starts_at == dt.datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
        assert first.ends_at == dt.datetime(2026, 3, 3, 1, 0, tzinfo=UTC)
        assert first.timezone == "America/Chicago" and not first.all_day
        assert first.location == "Farrell Learning and Teaching Center, Room 213"
        assert first.url == "https://diversity.example.org/events/snma-arts"
        assert first.description.startswith("Weekly talk on African American art, artists")
        moved = events[f"{UID}@20260316T223000Z"]
        assert moved.title.endswith("(moved to Tuesday)")
        assert moved.starts_at == dt.datetime(2026, 3, 17, 23, 0, tzinfo=UTC)
        assert moved.location == "Eric P. Newman Education Center"

        exhibit = events["whm-all-day@odei.example.org"]
        assert exhibit.all_day and exhibit.timezone == ""
        assert exhibit.starts_at == dt.datetime(2026, 3, 5, tzinfo=UTC)
        # Two days, March 5 and 6: the end is exclusive, as in the feed's DTEND.
        assert exhibit.ends_at == dt.datetime(2026, 3, 7, tzinfo=UTC)

        iftar = events["iftar-floating@odei.example.org"]  # floating: read in the default zone
        assert iftar.starts_at == dt.datetime(2026, 3, 7, 0, 0, tzinfo=UTC)
        assert iftar.timezone == ""
        assert iftar.description == "Breaking the fast together. All are welcome."

        webinar = events["utc-webinar@odei.example.org"]
        assert webinar.ends_at == dt.datetime(2026, 3, 10, 16, tzinfo=UTC)  # from DURATION
        tokyo = events["tokyo-lny@odei.example.org"]
        assert tokyo.starts_at == dt.datetime(2026, 3, 12, 0, tzinfo=UTC)
        assert tokyo.timezone == "Asia/Tokyo"

    # Same file again: nothing new, nothing duplicated.
    again = ingest_source(session_factory, settings, sid, now=NOW)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 7)

    # The organiser cancels the March 23 meeting.
    cancelled = ICS.replace(
        b"END:VCALENDAR",
        b"BEGIN:VEVENT\r\nUID:snma-arts-week@odei.example.org\r\nDTSTAMP:20260301T120000Z\r\n"
        b"RECURRENCE-ID;TZID=America/Chicago:20260323T173000\r\nSTATUS:CANCELLED\r\n"
        b"SUMMARY:SNMA presents (cancelled)\r\n"
        b"DTSTART;TZID=America/Chicago:20260323T173000\r\nEND:VEVENT\r\nEND:VCALENDAR",
    )
    server.routes["/odei.ics"] = Route(cancelled, "text/calendar")
    third = ingest_source(session_factory, settings, sid, now=NOW)
    assert (third.new, third.updated, third.unchanged, third.removed) == (0, 0, 6, 1)

    with session_factory.begin() as session:
        assert f"{UID}@20260323T223000Z" not in _events(session)  # the source no longer has it
        ml = MailingList(slug="odei-news", name="ODEI News", timezone="America/Chicago")
        session.add(ml)
        session.flush()
        content = choose(session, ml, dt.date(2026, 3, 2), settings)
    assert [(e.title, e.starts_at.isoformat()) for e in content.events] == [
        ("SNMA presents: Black History & The Arts", "2026-03-02T17:30:00-06:00"),
        ("Women in Medicine poster exhibit", "2026-03-05T00:00:00-06:00"),
        ("Community iftar", "2026-03-06T18:00:00-06:00"),
        ("Health equity webinar", "2026-03-10T10:00:00-05:00"),
        ("Health equity call with partners in Tokyo", "2026-03-11T19:00:00-05:00"),
    ]
    exhibit_entry = content.events[1]
    assert exhibit_entry.all_day and exhibit_entry.ends_at is not None
    assert exhibit_entry.ends_at == dt.datetime(2026, 3, 7, tzinfo=ZoneInfo("America/Chicago"))


def test_broken_calendar_is_recorded(
    server: FeedServer, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    server.routes["/bad.ics"] = Route(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n", "text/calendar")
    server.routes["/page"] = Route(b"<html></html>", "text/html")
    with session_factory.begin() as session:
        bad = add_source(session, kind="events", url=server.url("/bad.ics"), name="bad").id
        page = add_source(session, kind="events", url=server.url("/page"), name="page").id
    report = ingest_source(session_factory, settings, bad, now=NOW)
    assert report.status == "failing" and report.error.startswith("malformed iCalendar")
    report = ingest_source(session_factory, settings, page, now=NOW)
    assert "'text/html' is not an iCalendar file" in report.error


def test_outlook_windows_zone_names() -> None:
    from mailer.content.icalendar_events import parse_calendar

    body = (DATA / "ical/outlook-windows-tzid.ics").read_bytes()
    events = parse_calendar(body, now=NOW, default_timezone="America/New_York")
    # Second Thursday monthly at noon Central: 17:00 UTC once DST has begun (March 8).
    assert [(e.starts_at.isoformat(), e.timezone) for e in events] == [
        ("2026-03-12T17:00:00+00:00", "America/Chicago"),
        ("2026-04-09T17:00:00+00:00", "America/Chicago"),
        ("2026-05-14T17:00:00+00:00", "America/Chicago"),
    ]
    assert events[0].location == "Becker Library, 2nd floor"
    assert events[0].guid == "040000008200E00074C5B7101A82E00800000000D0A5C3E1@20260312T170000Z"
