"""Events mirror their source: a good ingest reconciles a calendar's upcoming occurrences.

Each case serves a real calendar from a loopback server, ingests it, changes it
at the "source" (moves the series, adds an EXDATE, empties it, cancels one,
breaks it) and ingests again, then looks at what the next edition would carry.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from content_http import DATA, FeedServer, Route
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailer.compose.render import render_digest
from mailer.config import Settings
from mailer.content.ingest import ingest_source
from mailer.content.manual import add_event
from mailer.content.models import Event
from mailer.content.sources import add_source
from mailer.delivery.campaigns import create_digest
from mailer.delivery.models import CampaignStatus
from subscribers.models import MailingList
from tests.helpers import edition_content

pytest_plugins = ["web_fixtures"]

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 1, 12, tzinfo=UTC)
EDITION = dt.date(2026, 12, 7)
UID = "study-hall@odei.example.org"


def calendar(*events: str) -> bytes:
    body = "".join(events)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//ODEI//mirror test//EN\r\n"
        f"{body}END:VCALENDAR\r\n"
    ).encode()


def series(start: str = "000000", extra: str = "") -> str:
    """A weekly study hall, four Mondays from December 7 (America/Chicago)."""
    return (
        f"BEGIN:VEVENT\r\nUID:{UID}\r\nDTSTAMP:20261101T120000Z\r\n"
        "SUMMARY:Late-night study hall\r\n"
        f"DTSTART;TZID=America/Chicago:20261207T{start}\r\n"
        "DURATION:PT2H\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\n"
        f"{extra}END:VEVENT\r\n"
    )


PANEL = (
    "BEGIN:VEVENT\r\nUID:panel@odei.example.org\r\nDTSTAMP:20261101T120000Z\r\n"
    "SUMMARY:Human Rights Day panel\r\nDTSTART:20261210T180000Z\r\nDTEND:20261210T193000Z\r\n"
    "END:VEVENT\r\n"
)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    srv = FeedServer()
    yield srv
    srv.close()


@pytest.fixture
def source_id(server: FeedServer, session_factory: sessionmaker[Session]) -> int:
    server.routes["/odei.ics"] = Route(calendar(series(), PANEL), "text/calendar")
    with session_factory.begin() as session:
        return add_source(session, kind="events", url=server.url("/odei.ics"), name="ODEI").id


def _serve(server: FeedServer, body: bytes, status: int = 200) -> None:
    server.routes["/odei.ics"] = Route(body, "text/calendar", status=status)


def _ingest(sf: sessionmaker[Session], settings: Settings, sid: int) -> str:
    report = ingest_source(sf, settings, sid, now=NOW)
    return report.status if report.status != "failing" else f"failing: {report.error}"


def _edition(sf: sessionmaker[Session], settings: Settings) -> list[tuple[str, str]]:
    with sf.begin() as session:
        ml = session.scalars(select(MailingList)).first()
        if ml is None:
            ml = MailingList(slug="odei-weekly", name="ODEI Weekly", timezone="America/Chicago")
            session.add(ml)
            session.flush()
        content = edition_content(session, ml, EDITION, settings)
        return [(e.title, e.starts_at.strftime("%m-%d %H:%M")) for e in content.events]


FIRST = [
    ("Late-night study hall", "12-07 00:00"),
    ("Human Rights Day panel", "12-10 12:00"),
    ("Late-night study hall", "12-14 00:00"),
]


def test_a_series_moved_from_midnight_to_ten_shows_once_at_its_new_time(
    server: FeedServer, session_factory: sessionmaker[Session], settings: Settings, source_id: int
) -> None:
    assert _ingest(session_factory, settings, source_id) == "ok"
    assert _edition(session_factory, settings) == FIRST
    _serve(server, calendar(series(start="100000"), PANEL))
    report = ingest_source(session_factory, settings, source_id, now=NOW)
    assert (report.new, report.removed) == (4, 4)
    assert "4 removed" in report.line()
    assert _edition(session_factory, settings) == [
        ("Late-night study hall", "12-07 10:00"),
        ("Human Rights Day panel", "12-10 12:00"),
        ("Late-night study hall", "12-14 10:00"),
    ]


def test_an_exdate_added_later_removes_the_occurrence(
    server: FeedServer, session_factory: sessionmaker[Session], settings: Settings, source_id: int
) -> None:
    assert _ingest(session_factory, settings, source_id) == "ok"
    _serve(server, calendar(series(extra="EXDATE;TZID=America/Chicago:20261214T000000\r\n"), PANEL))
    assert _ingest(session_factory, settings, source_id) == "ok"
    assert _edition(session_factory, settings) == FIRST[:2]


def test_a_deleted_event_and_an_emptied_calendar_leave_upcoming_editions(
    server: FeedServer, session_factory: sessionmaker[Session], settings: Settings, source_id: int
) -> None:
    with session_factory.begin() as session:  # typed in by staff: never the feed's to remove
        add_event(session, title="Staff open house", starts_at=dt.date(2026, 12, 9), guid="staff-1")
    assert _ingest(session_factory, settings, source_id) == "ok"
    _serve(server, calendar(series()))
    assert _ingest(session_factory, settings, source_id) == "ok"
    assert ("Human Rights Day panel", "12-10 12:00") not in _edition(session_factory, settings)
    _serve(server, calendar())
    assert _ingest(session_factory, settings, source_id) == "ok"
    assert _edition(session_factory, settings) == [("Staff open house", "12-09 00:00")]


def test_a_failed_fetch_or_parse_changes_nothing(
    server: FeedServer, session_factory: sessionmaker[Session], settings: Settings, source_id: int
) -> None:
    assert _ingest(session_factory, settings, source_id) == "ok"
    for body, status in (
        (b"Service Unavailable", 503),
        (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n", 200),  # cut off mid-transfer
        (b"", 200),
    ):
        _serve(server, body, status)
        assert _ingest(session_factory, settings, source_id).startswith("failing")
        assert _edition(session_factory, settings) == FIRST


def test_a_cancelled_occurrence_leaves(
    server: FeedServer, session_factory: sessionmaker[Session], settings: Settings, source_id: int
) -> None:
    assert _ingest(session_factory, settings, source_id) == "ok"
    cancelled = (
        f"BEGIN:VEVENT\r\nUID:{UID}\r\nDTSTAMP:20261102T120000Z\r\n"
        "RECURRENCE-ID;TZID=America/Chicago:20261207T000000\r\nSTATUS:CANCELLED\r\n"
        "SUMMARY:Late-night study hall\r\nDTSTART;TZID=America/Chicago:20261207T000000\r\n"
        "DURATION:PT2H\r\nEND:VEVENT\r\n"
    )
    _serve(server, calendar(series(), cancelled, PANEL))
    assert _ingest(session_factory, settings, source_id) == "ok"
    assert _edition(session_factory, settings) == FIRST[1:]


def test_a_sent_edition_keeps_its_archive_copy(
    server: FeedServer,
    session_factory: sessionmaker[Session],
    settings: Settings,
    source_id: int,
    app: Flask,
) -> None:
    assert _ingest(session_factory, settings, source_id) == "ok"
    with session_factory.begin() as session:
        ml = MailingList(slug="odei-weekly", name="ODEI Weekly", timezone="America/Chicago")
        session.add(ml)
        session.flush()
        campaign = create_digest(session, ml, EDITION, settings).campaign
        assert campaign is not None
        campaign.status = CampaignStatus.SENT
        campaign_id = campaign.id
    _serve(server, calendar())
    assert _ingest(session_factory, settings, source_id) == "ok"
    with session_factory() as session:
        assert session.scalars(select(Event)).all() == []
    page = app.test_client().get(f"/archive/odei-weekly/{campaign_id}/content")
    assert page.status_code == 200
    assert "Human Rights Day panel" in page.get_data(as_text=True)
    assert _edition(session_factory, settings) == []


GOOGLE = (DATA / "ical/google-moved-occurrences.ics").read_bytes()


def _without_overrides(body: bytes) -> bytes:
    """The Google calendar as it was before its two occurrences were moved."""
    events = re.findall(rb"BEGIN:VEVENT.*?END:VEVENT\r?\n", body, re.DOTALL)
    for event in events:
        if b"RECURRENCE-ID" in event:
            body = body.replace(event, b"")
    return body


def test_a_google_calendar_whose_occurrences_moved(
    server: FeedServer, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    now = dt.datetime(2023, 8, 7, 1, tzinfo=UTC)
    server.routes["/g.ics"] = Route(_without_overrides(GOOGLE), "text/calendar")
    with session_factory.begin() as session:
        sid = add_source(session, kind="events", url=server.url("/g.ics"), name="Google").id
        ml = MailingList(slug="sydney", name="Sydney Weekly", timezone="Australia/Sydney")
        session.add(ml)

    def edition() -> list[str]:
        with session_factory() as session:
            mlist = session.scalars(select(MailingList)).one()
            content = edition_content(session, mlist, dt.date(2023, 8, 7), settings)
            text = render_digest(content, mlist, settings).text
        return [line for line in text.splitlines() if "2:00 PM" in line or "(all day)" in line]

    assert (
        ingest_source(session_factory, settings, sid, now=now).new == 6
    )  # 3 Tuesdays, 3 Thursdays
    assert edition() == [
        "Tuesday, August 8, 2:00 PM – 3:00 PM AEST",
        "Thursday, August 10 (all day)",  # DTEND 20230811 is exclusive: one day
        "Tuesday, August 15, 2:00 PM – 3:00 PM AEST",
        "Thursday, August 17 (all day)",
    ]
    server.routes["/g.ics"] = Route(GOOGLE, "text/calendar")
    assert ingest_source(session_factory, settings, sid, now=now).status == "ok"
    assert edition() == [
        "Tuesday, August 8, 2:00 PM – 3:00 PM AEST",
        "Thursday, August 10 (all day)",
        "Monday, August 14, 2:00 PM – 3:00 PM AEST",
        "Wednesday, August 16 (all day)",
    ]
