"""Staff desk: typing in news and events, hiding and showing them; sanitised Markdown."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import WebClient

from mailer.content.models import Event, NewsItem, Source
from mailer.db import AuditLog
from mailer.web.markdown import render_markdown

pytest_plugins = ["web_fixtures"]

RAMADAN = (
    "This week marks the beginning of **Ramadan**. As we work towards a culture that "
    "values diversity, [read more](https://diversity.wustl.edu/ramadan).\n\n"
    "<script>alert('x')</script> [bad](javascript:alert(1))"
)


def test_markdown_is_rendered_and_sanitised() -> None:
    html = render_markdown(RAMADAN + "\n\n# Heading\n\n<img src=x onerror=alert(1)>")
    assert "<strong>Ramadan</strong>" in html
    assert '<a href="https://diversity.wustl.edu/ramadan" rel="noopener noreferrer">' in html
    assert "<script" not in html and "javascript:" not in html.replace("[bad](javascript", "")
    # One renderer (mailer.content.markup): the page's and the mail's h1 is not for staff.
    assert "<img" not in html and "<h1" not in html and "Heading" in html
    assert 'href="javascript' not in html


def test_staff_adds_a_news_item(
    staff_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    r = staff_client.post_form(
        "/staff/news/",
        {
            "title": "Happy Ramadan!",
            "url": "https://diversity.wustl.edu/ramadan",
            "summary": RAMADAN,
            "published_on": "2026-03-11",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)[-1500:]
    with session_factory() as s:
        item = s.scalar(select(NewsItem))
        assert item is not None and item.title == "Happy Ramadan!"
        assert (
            "<script" not in item.summary_html and "<strong>Ramadan</strong>" in item.summary_html
        )
        assert item.guid.startswith("manual:") and item.author == "sam.staff@example.org"
        assert item.published_at == dt.datetime(2026, 3, 11, 12, tzinfo=dt.UTC)
        source = s.get(Source, item.source_id)
        assert source is not None and (source.kind, source.name) == ("news", "manual")
    page = staff_client.get("/staff/news/").get_data(as_text=True)
    assert "Happy Ramadan!" in page
    # A second item reuses the one manual source.
    staff_client.post_form("/staff/news/", {"title": "Desegregation History Wall install begins"})
    with session_factory() as s:
        assert s.scalar(select(func.count(Source.id))) == 1


def test_news_form_errors_are_next_to_the_fields(
    staff_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    r = staff_client.post_form(
        "/staff/news/",
        {"title": "", "url": "javascript:alert(1)", "image_url": "https://img.example/a.jpg"},
    )
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    for field, words in {
        "title": "Give the item a headline.",
        "url": "starting with https://",
        "image_alt": "Describe the image",
    }.items():
        start = page.index(f'id="{field}-error"')
        assert words in page[start : start + 200], field
    with session_factory() as s:
        assert s.scalar(select(func.count(NewsItem.id))) == 0


def test_staff_adds_events_in_their_time_zone(
    staff_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    r = staff_client.post_form(
        "/staff/events/",
        {
            "title": "Diversity Grand Rounds: health equity in St. Louis",
            "day": "2099-03-12",
            "starts": "17:30",
            "ends": "19:00",
            "timezone": "America/Chicago",
            "location": "Eric P. Newman Education Center",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)[-1500:]
    r = staff_client.post_form(
        "/staff/events/",
        {"title": "Women’s History Month", "day": "2099-03-01", "all_day": "y",
         "timezone": "America/Chicago"},
    )  # fmt: skip
    assert r.status_code == 302
    with session_factory() as s:
        timed = s.scalar(select(Event).where(Event.all_day.is_(False)))
        assert timed is not None
        assert timed.starts_at == dt.datetime(2099, 3, 12, 22, 30, tzinfo=dt.UTC)  # CDT
        assert timed.ends_at == dt.datetime(2099, 3, 13, 0, 0, tzinfo=dt.UTC)
        assert timed.timezone == "America/Chicago"
        all_day = s.scalar(select(Event).where(Event.all_day.is_(True)))
        # Dates, not instants: 00:00 UTC of the day, the end exclusive (RFC 5545 DTEND).
        assert all_day is not None and (all_day.starts_at, all_day.ends_at) == (
            dt.datetime(2099, 3, 1, tzinfo=dt.UTC),
            dt.datetime(2099, 3, 2, tzinfo=dt.UTC),
        )
    r = staff_client.post_form(
        "/staff/events/",
        {"title": "Exhibit", "day": "2099-03-03", "all_day": "y", "last_day": "2099-03-05",
         "timezone": "America/Chicago"},
    )  # fmt: skip
    assert r.status_code == 302
    with session_factory() as s:
        exhibit = s.scalar(select(Event).where(Event.title == "Exhibit"))
        assert exhibit is not None and exhibit.ends_at == dt.datetime(2099, 3, 6, tzinfo=dt.UTC)
    page = staff_client.get("/staff/events/").get_data(as_text=True)
    assert "Thu Mar 12, 2099 5:30 PM – 7:00 PM CDT" in page
    assert "Sun Mar 1, 2099 (all day)" in page and "Mon Mar 2, 2099" not in page
    assert "Tue Mar 3, 2099 – Thu Mar 5, 2099 (all day)" in page


def test_event_form_checks_times_and_zone(staff_client: WebClient) -> None:
    r = staff_client.post_form(
        "/staff/events/",
        {"title": "x", "day": "2099-03-12", "starts": "19:00", "ends": "18:00",
         "timezone": "Mars/Base"},
    )  # fmt: skip
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "The end must be after the start." in page and "Unknown time zone" in page
    r = staff_client.post_form(
        "/staff/events/", {"title": "x", "day": "2099-03-12", "timezone": "UTC"}
    )
    assert "Give a start time" in r.get_data(as_text=True)


def test_hide_and_show(staff_client: WebClient, session_factory: sessionmaker[Session]) -> None:
    staff_client.post_form("/staff/news/", {"title": "SNMA presents Black History & The Arts"})
    with session_factory() as s:
        item_id = s.scalar(select(NewsItem.id))
    assert staff_client.post(f"/staff/news/{item_id}/hide").status_code == 400  # no CSRF
    assert staff_client.post_form(f"/staff/news/{item_id}/hide", {}).status_code == 302
    with session_factory() as s:
        assert s.get(NewsItem, item_id).hidden is True  # type: ignore[union-attr]
    assert staff_client.post_form(f"/staff/news/{item_id}/show", {}).status_code == 302
    with session_factory() as s:
        assert s.get(NewsItem, item_id).hidden is False  # type: ignore[union-attr]
        actions = list(s.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    assert actions == ["news.add", "news.hide", "news.show"]
    assert staff_client.post_form("/staff/events/999/hide", {}).status_code == 404
