"""The list's page of upcoming events, where a digest's "N more events" link leads."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import lxml.html
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import WebClient, add_list

from mailer.content.models import Event, Source
from mailer.db import utcnow

pytest_plugins = ["web_fixtures"]
CHICAGO = ZoneInfo("America/Chicago")


def _add_events(s: Session) -> None:
    source = Source(kind="events", name="Medical campus calendar", url="https://example.org/c.ics")
    s.add(source)
    s.flush()
    today = dt.datetime.now(CHICAGO).date()

    def at(days: int, hour: int) -> dt.datetime:
        local = dt.datetime.combine(today + dt.timedelta(days=days), dt.time(hour), CHICAGO)
        return local.astimezone(dt.UTC)

    rows = [
        ("Restorative justice circle", at(3, 16), False, False, "javascript:alert(1)"),
        ("Women in Medicine panel", at(1, 12), False, False, "https://example.org/wim"),
        ("Hidden rehearsal", at(2, 9), False, True, ""),
        ("Last week's talk", at(-7, 9), False, False, ""),
        ("Next month's gala", at(40, 18), False, False, ""),
        (
            "Pathway open house",
            dt.datetime.combine(today + dt.timedelta(days=5), dt.time(0), dt.UTC),
            True,
            False,
            "",
        ),
    ]
    for i, (title, starts, all_day, hidden, url) in enumerate(rows):
        s.add(
            Event(
                source_id=source.id,
                guid=f"e{i}",
                title=title,
                starts_at=starts,
                ends_at=None,
                all_day=all_day,
                hidden=hidden,
                url=url,
                location="Eric P. Newman Education Center",
                fetched_at=utcnow(),
            )
        )
    s.commit()


def test_the_events_page_lists_the_coming_events_soonest_first(
    client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        add_list(s, "md-diversity-programs", name="MD Diversity Programs", public=False)
        s.commit()
        _add_events(s)
    r = client.get("/lists/md-diversity-programs/events")
    assert r.status_code == 200
    doc = lxml.html.document_fromstring(r.get_data(as_text=True))
    titles = [h.text_content().strip() for h in doc.xpath("//ul[@class='events']//h2")]
    assert titles == [
        "Women in Medicine panel",
        "Restorative justice circle",
        "Pathway open house",
    ]
    assert doc.xpath("//a[@href='https://example.org/wim']")
    assert "javascript:" not in r.get_data(as_text=True)  # a bad link is no link
    page = r.get_data(as_text=True)
    assert "(all day)" in page and "MD Diversity Programs: upcoming events" in page


def test_an_unknown_list_has_no_events_page(client: WebClient) -> None:
    assert client.get("/lists/nope/events").status_code == 404


def test_a_list_without_events_says_so(
    client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        add_list(s)
        s.commit()
    r = client.get("/lists/odei-weekly/events")
    assert r.status_code == 200 and "No events in the next 14 days." in r.get_data(as_text=True)
