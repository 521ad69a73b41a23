"""One all-day convention (RFC 5545: DTEND exclusive), from every entry point to both parts.

A one-day all-day event is stored as [date, date + 1) at 00:00 UTC and shown as
that one date, whether it came from an iCalendar feed, the CLI or the staff form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner
from content_http import FeedServer, Route
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailer.commands import events as events_command
from mailer.compose.render import render_digest
from mailer.config import Settings
from mailer.content.all_day import shown_days, stored_span
from mailer.content.ingest import ingest_source
from mailer.content.models import Event
from mailer.content.sources import add_source
from subscribers.models import MailingList
from tests.helpers import edition_content

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 1, 12, tzinfo=UTC)
EDITION = dt.date(2026, 12, 7)

ICS = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//ODEI//test//EN\r
BEGIN:VEVENT\r
UID:human-rights-day@odei.example.org\r
DTSTAMP:20261101T120000Z\r
DTSTART;VALUE=DATE:20261210\r
DTEND;VALUE=DATE:20261211\r
SUMMARY:Human Rights Day teach-in\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:kwanzaa-exhibit@odei.example.org\r
DTSTAMP:20261101T120000Z\r
DTSTART;VALUE=DATE:20261212\r
DTEND;VALUE=DATE:20261215\r
SUMMARY:Kwanzaa exhibit\r
END:VEVENT\r
END:VCALENDAR\r
"""


@pytest.fixture
def server() -> Iterator[FeedServer]:
    srv = FeedServer()
    yield srv
    srv.close()


def _both_parts(session: Session, settings: Settings) -> tuple[str, str]:
    ml = session.scalars(select(MailingList)).first()
    if ml is None:
        ml = MailingList(slug="odei-weekly", name="ODEI Weekly", timezone="America/Chicago")
        session.add(ml)
        session.flush()
    content = edition_content(session, ml, EDITION, settings)
    snap = render_digest(content, ml, settings)
    return " ".join(snap.html.split()), " ".join(snap.text.split())


def test_the_rule_in_both_directions() -> None:
    day = dt.date(2026, 12, 10)
    assert stored_span(day) == (dt.datetime(2026, 12, 10, tzinfo=UTC), None)
    one = stored_span(day, day)
    assert one == (dt.datetime(2026, 12, 10, tzinfo=UTC), dt.datetime(2026, 12, 11, tzinfo=UTC))
    assert stored_span(day, end_exclusive=dt.date(2026, 12, 11)) == one
    assert shown_days(*one) == (day, day)
    assert shown_days(dt.datetime(2026, 12, 10, tzinfo=UTC), None) == (day, day)
    three = stored_span(day, dt.date(2026, 12, 12))
    assert shown_days(*three) == (day, dt.date(2026, 12, 12))
    # An end at or before the start (broken feeds) is still one day, never zero.
    assert shown_days(*stored_span(day, end_exclusive=day)) == (day, day)


def test_one_day_all_day_event_from_a_calendar_shows_one_date(
    server: FeedServer, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    server.routes["/holidays.ics"] = Route(ICS, "text/calendar")
    with session_factory.begin() as session:
        sid = add_source(session, kind="events", url=server.url("/holidays.ics"), name="ODEI").id
    assert ingest_source(session_factory, settings, sid, now=NOW).status == "ok"
    with session_factory.begin() as session:
        stored = {e.title: e for e in session.scalars(select(Event))}
        teach_in = stored["Human Rights Day teach-in"]
        assert (teach_in.starts_at, teach_in.ends_at) == (
            dt.datetime(2026, 12, 10, tzinfo=UTC),
            dt.datetime(2026, 12, 11, tzinfo=UTC),  # exclusive, as in DTEND
        )
        html, text = _both_parts(session, settings)
    for part in (html, text):
        assert "Thursday, December 10 (all day)" in part
        assert "December 10–11" not in part
        # DTEND 15th, exclusive: the 12th, 13th and 14th.
        assert "December 12–14, 2026 (all day)" in part


def test_cli_all_day_end_is_the_last_day_as_typed(
    session_factory: sessionmaker[Session], settings: Settings, cli_env: dict[str, str]
) -> None:
    cli = click.Group("mailer", commands=[events_command.command])
    for title, start, end in (
        ("Human Rights Day teach-in", "2026-12-10", "2026-12-10"),
        ("Kwanzaa exhibit", "2026-12-12", "2026-12-14"),
    ):
        args = ["events", "add", "--title", title, "--all-day", "--start", start, "--end", end]
        result = CliRunner().invoke(cli, args, env=cli_env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    with session_factory.begin() as session:
        stored = {e.title: e for e in session.scalars(select(Event))}
        assert stored["Human Rights Day teach-in"].ends_at == dt.datetime(2026, 12, 11, tzinfo=UTC)
        assert stored["Kwanzaa exhibit"].ends_at == dt.datetime(2026, 12, 15, tzinfo=UTC)
        html, text = _both_parts(session, settings)
    for part in (html, text):
        assert "Thursday, December 10 (all day)" in part
        assert "December 10–11" not in part
        assert "December 12–14, 2026 (all day)" in part
