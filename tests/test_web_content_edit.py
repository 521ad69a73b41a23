"""Staff edit the news items and events they typed in (issue 13, item 3); ingested items
are not theirs to edit (the next fetch would undo it). Each edit is audited."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import WebClient

from mailer.content.models import Event, NewsItem
from mailer.content.sources import add_source
from mailer.db import AuditLog
from mailer.users import User

pytest_plugins = ["web_fixtures"]

NEWS = {
    "title": "Summer scholars present their research",
    "url": "https://diversity.wustl.edu/news/summer-scholars",
    "summary": "Twelve **summer scholars** presented posters.",
    "image_url": "",
    "image_alt": "",
    "published_on": "2026-03-02",
}


def _field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'<textarea[^>]*name="{name}"[^>]*>\s*([^<]*)</textarea>', html
    )
    return found.group(1) if found else ""


def test_staff_edit_their_news_item_from_its_markdown(
    staff_client: WebClient, staff: User, session_factory: sessionmaker[Session]
) -> None:
    assert staff_client.post_form("/staff/news/", NEWS).status_code == 302
    with session_factory() as s:
        item = s.scalar(select(NewsItem))
        assert item is not None and item.summary_md == NEWS["summary"]
        item_id, guid = item.id, item.guid
    listing = staff_client.get("/staff/news/").get_data(as_text=True)
    assert f'href="/staff/news/{item_id}/edit"' in listing
    form = staff_client.get(f"/staff/news/{item_id}/edit").get_data(as_text=True)
    assert _field(form, "summary") == "Twelve **summer scholars** presented posters."
    assert _field(form, "title") == NEWS["title"] and _field(form, "published_on") == "2026-03-02"
    changed = {
        **NEWS,
        "title": "Summer scholars present at the research symposium",
        "summary": "Twelve scholars presented *posters* at the [symposium](https://wustl.edu/s).",
        "published_on": "2026-03-04",
    }
    r = staff_client.post_form(f"/staff/news/{item_id}/edit", changed)
    assert r.status_code == 302, r.get_data(as_text=True)[-1500:]
    with session_factory() as s:
        (item,) = s.scalars(select(NewsItem))
        assert (item.id, item.guid, item.title) == (item_id, guid, changed["title"])
        assert "<em>posters</em>" in item.summary_html and item.summary_md == changed["summary"]
        assert item.published_at == dt.datetime(2026, 3, 4, 12, tzinfo=dt.UTC)
        (entry,) = s.scalars(select(AuditLog).where(AuditLog.action == "news.edit"))
        assert (entry.actor, entry.target) == (staff.email, f"news:{item_id}")


def test_a_bad_edit_is_refused_next_to_the_field_and_changes_nothing(
    staff_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    staff_client.post_form("/staff/news/", NEWS)
    with session_factory() as s:
        item_id = s.scalars(select(NewsItem.id)).one()
    r = staff_client.post_form(
        f"/staff/news/{item_id}/edit", {**NEWS, "title": "", "image_url": "https://x.org/a.jpg"}
    )
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "Give the item a headline." in html and "Describe the image" in html
    with session_factory() as s:
        assert s.scalars(select(NewsItem.title)).one() == NEWS["title"]


def test_an_ingested_item_is_not_edited_here(
    staff_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory.begin() as s:
        feed = add_source(s, kind="news", url="https://example.org/feed", name="ODEI news")
        s.add(NewsItem(source_id=feed.id, guid="g1", title="From the feed"))
    with session_factory() as s:
        item_id = s.scalars(select(NewsItem.id)).one()
    assert staff_client.get(f"/staff/news/{item_id}/edit").status_code == 409
    assert staff_client.post_form(f"/staff/news/{item_id}/edit", NEWS).status_code == 409
    assert "/edit" not in staff_client.get("/staff/news/").get_data(as_text=True).split("<h2>")[-1]
    assert staff_client.get("/staff/news/99999/edit").status_code == 404


def test_staff_edit_an_event_in_its_own_zone_and_make_it_all_day(
    staff_client: WebClient, staff: User, session_factory: sessionmaker[Session]
) -> None:
    r = staff_client.post_form(
        "/staff/events/",
        {"title": "Diversity Grand Rounds", "day": "2099-03-12", "starts": "17:30",
         "ends": "19:00", "timezone": "America/New_York", "location": "Room 1"},
    )  # fmt: skip
    assert r.status_code == 302
    with session_factory() as s:
        event_id = s.scalars(select(Event.id)).one()
    form = staff_client.get(f"/staff/events/{event_id}/edit").get_data(as_text=True)
    assert _field(form, "starts") == "17:30" and _field(form, "ends") == "19:00"
    assert _field(form, "timezone") == "America/New_York" and _field(form, "day") == "2099-03-12"
    r = staff_client.post_form(
        f"/staff/events/{event_id}/edit",
        {"title": "Diversity Grand Rounds", "day": "2099-03-12", "starts": "18:00",
         "ends": "19:30", "timezone": "America/New_York", "location": "Room 2"},
    )  # fmt: skip
    assert r.status_code == 302, r.get_data(as_text=True)[-1500:]
    with session_factory() as s:
        event = s.get(Event, event_id)
        assert event is not None and event.location == "Room 2"
        assert event.starts_at == dt.datetime(2099, 3, 12, 22, 0, tzinfo=dt.UTC)  # EDT
        assert event.timezone == "America/New_York"
    r = staff_client.post_form(
        f"/staff/events/{event_id}/edit",
        {"title": "Heritage exhibit", "day": "2099-03-03", "all_day": "y",
         "last_day": "2099-03-05", "timezone": "America/Chicago"},
    )  # fmt: skip
    assert r.status_code == 302
    with session_factory() as s:
        (event,) = s.scalars(select(Event))
        assert (event.id, event.all_day, event.timezone) == (event_id, True, "")
        assert (event.starts_at, event.ends_at) == (
            dt.datetime(2099, 3, 3, tzinfo=dt.UTC),
            dt.datetime(2099, 3, 6, tzinfo=dt.UTC),
        )
        edits = s.scalars(select(AuditLog).where(AuditLog.action == "event.edit"))
        assert [e.actor for e in edits] == [staff.email, staff.email]
    form = staff_client.get(f"/staff/events/{event_id}/edit").get_data(as_text=True)
    assert _field(form, "last_day") == "2099-03-05"
    assert re.search(r'<input checked[^>]*name="all_day"|name="all_day"[^>]*checked', form)


def test_edits_need_the_csrf_token_and_a_login(
    staff_client: WebClient, client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    staff_client.post_form("/staff/news/", NEWS)
    with session_factory() as s:
        item_id = s.scalars(select(NewsItem.id)).one()
    forged = staff_client.post(f"/staff/news/{item_id}/edit", data={**NEWS, "title": "Forged"})
    assert forged.status_code == 400
    assert client.get(f"/staff/news/{item_id}/edit").status_code == 302
    with session_factory() as s:
        assert s.scalars(select(NewsItem.title)).one() == NEWS["title"]
