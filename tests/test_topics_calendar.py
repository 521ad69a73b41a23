"""Events readers can keep: "Add to calendar" (.ics from the web app) and Google
Calendar links in every message, and the list's upcoming events as one feed."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.content import manual
from mailer.content.models import Event
from mailer.delivery import campaigns
from tests.topic_fixtures import CHICAGO, EDITION, EVENTS, build

pytest_plugins = ["web_fixtures"]


def _calendar(client: Any, path: str) -> icalendar.Calendar:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.mimetype == "text/calendar"
    return icalendar.Calendar.from_ical(response.get_data())


def test_each_event_in_a_message_links_to_its_calendar_file_and_google(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with session_factory() as session:
        setup = build(session, {"ana@example.org": set()})
        outcome = campaigns.create_digest(session, setup.mailing_list, EDITION, settings)
        assert outcome.campaign is not None and not outcome.blocked, outcome.reason
        html, text = outcome.campaign.html, outcome.campaign.text
        ids = dict(session.execute(select(Event.title, Event.id)).all())
    for title in EVENTS:
        ics_link = f"https://news.example.org/events/{ids[title]}.ics"
        assert f'href="{ics_link}"' in html and f"Add to calendar: {ics_link}" in text
    googles = re.findall(r'href="(https://calendar\.google\.com/[^"]+)"', html)
    assert len(googles) == len(EVENTS)
    query = parse_qs(urlsplit(googles[0].replace("&amp;", "&")).query)
    assert query["action"] == ["TEMPLATE"]
    assert query["text"] == ["Leadership workshop for residents"]
    # Noon in Chicago on March 10, 2027 (CDT from March 14; still CST) is 18:00 UTC.
    assert query["dates"] == ["20270310T180000Z/20270310T190000Z"]
    assert query["ctz"] == ["America/Chicago"]


def test_event_calendar_file_parses_with_its_zone_and_a_stable_uid(
    client: Any, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session:
        build(session, {"ana@example.org": set()})
        after_dst = manual.add_event(
            session,
            title="Match Day celebration",
            starts_at=dt.datetime(2027, 3, 19, 11, 0, tzinfo=CHICAGO),
            ends_at=dt.datetime(2027, 3, 19, 13, 0, tzinfo=CHICAGO),
            guid="match-day-2027@calendar.example.edu",
        )
        all_day = manual.add_event(
            session,
            title="Pathways week",
            starts_at=dt.date(2027, 3, 15),
            ends_at=dt.date(2027, 3, 17),  # inclusive as typed: stored end exclusive
        )
        session.commit()
        timed_id, all_day_id = after_dst.id, all_day.id
    cal = _calendar(client, f"/events/{timed_id}.ics")
    [tz] = cal.walk("VTIMEZONE")
    assert str(tz["TZID"]) == "America/Chicago"
    [vevent] = cal.walk("VEVENT")
    start = vevent.decoded("DTSTART")
    assert start == dt.datetime(2027, 3, 19, 11, 0, tzinfo=ZoneInfo("America/Chicago"))
    assert start.utcoffset() == dt.timedelta(hours=-5)  # CDT: after the change on March 14
    assert vevent["DTSTART"].params["TZID"] == "America/Chicago"
    uid = str(vevent["UID"])
    assert str(_calendar(client, f"/events/{timed_id}.ics").walk("VEVENT")[0]["UID"]) == uid

    [day] = _calendar(client, f"/events/{all_day_id}.ics").walk("VEVENT")
    assert day.decoded("DTSTART") == dt.date(2027, 3, 15)
    assert day.decoded("DTEND") == dt.date(2027, 3, 18)  # exclusive (RFC 5545)
    assert client.get("/events/99999.ics").status_code == 404


def test_list_feed_holds_upcoming_events_with_the_same_uids(
    client: Any, session_factory: sessionmaker[Session], monkeypatch: Any
) -> None:
    from mailer.web import calendar as web_calendar

    with session_factory() as session:
        build(session, {"ana@example.org": set()})
        session.commit()
        ids = list(session.scalars(select(Event.id).order_by(Event.id)))
    # "Today" for the list is the edition's date, so the fixture's events are upcoming.
    monkeypatch.setattr(web_calendar.list_rules, "list_today", lambda *a, **k: EDITION)
    feed = _calendar(client, "/lists/weekly/events.ics")
    assert str(feed["X-WR-CALNAME"]) == "ODEI Weekly events"
    assert [str(t["TZID"]) for t in feed.walk("VTIMEZONE")] == ["America/Chicago"]
    feed_uids = {str(e["SUMMARY"]): str(e["UID"]) for e in feed.walk("VEVENT")}
    assert set(feed_uids) == set(EVENTS)
    for event_id in ids:
        [one] = _calendar(client, f"/events/{event_id}.ics").walk("VEVENT")
        assert feed_uids[str(one["SUMMARY"])] == str(one["UID"])
    page = client.get("/lists/weekly/events").get_data(as_text=True)
    assert "/lists/weekly/events.ics" in page
