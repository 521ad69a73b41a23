"""Sending is deliberate: a confirm page before a digest goes out, a cancelled campaign that
reads as cancelled, and times in the list's own zone, named (issue 13, requirement 5)."""

from __future__ import annotations

import datetime as dt
import html
import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import WebClient, start_digest

from mailer.db import utcnow
from mailer.delivery import campaigns
from mailer.delivery.models import Campaign, Delivery
from tests.helpers import make_campaign, make_subscribers
from tests.schedule_fixtures import add_news, digest_list

pytest_plugins = ["web_fixtures"]


def _list_with_news(s: Session) -> int:
    weekly = digest_list(s, slug="odei-weekly", readers=3, name="ODEI Weekly")
    make_subscribers(s, weekly, 1, status="unsubscribed", prefix="gone")
    add_news(s, utcnow() - dt.timedelta(hours=2))
    s.commit()
    return weekly.id


def test_create_and_send_shows_list_recipients_and_subject_before_sending(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        list_id = _list_with_news(s)
    lists_page = admin_client.get("/admin/lists/").get_data(as_text=True)
    # The table offers the step to the confirm page, not a one-click send.
    assert f'action="/admin/lists/{list_id}/digest"' not in lists_page
    assert f'href="/admin/lists/{list_id}/digest"' in lists_page

    r = admin_client.get(f"/admin/lists/{list_id}/digest")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "ODEI Weekly" in page
    assert "3 recipients" in page  # confirmed readers only, not the one who left
    assert '<dd data-field="subject">ODEI Weekly' in page
    assert 'name="csrf_token"' in page and 'method="post"' in page
    with session_factory() as s:
        assert s.scalar(select(func.count(Campaign.id))) == 0  # looking sends nothing

    # A POST that skips the confirm page (scripted, or an old form) sends nothing.
    r = admin_client.post_form(f"/admin/lists/{list_id}/digest", {})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/admin/lists/{list_id}/digest")
    # Without the CSRF token, refused.
    assert admin_client.post(f"/admin/lists/{list_id}/digest", data={}).status_code == 400
    with session_factory() as s:
        assert s.scalar(select(func.count(Campaign.id))) == 0
    # Confirmed on the page: it goes.
    r = start_digest(admin_client, list_id)
    assert r.status_code == 302 and "/admin/campaigns/" in r.headers["Location"]
    with session_factory() as s:
        campaign = s.scalar(select(Campaign))
        assert campaign is not None and campaign.status == "sending"
        assert s.scalar(select(func.count(Delivery.id))) == 3


def test_the_confirm_page_subject_is_the_one_that_is_sent(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        list_id = _list_with_news(s)
    page = admin_client.get(f"/admin/lists/{list_id}/digest").get_data(as_text=True)
    subject = re.search(r'<dd data-field="subject">([^<]+)</dd>', page)
    assert subject is not None
    start_digest(admin_client, list_id)
    with session_factory() as s:
        campaign = s.scalar(select(Campaign))
        assert campaign is not None
        assert campaign.subject == html.unescape(subject.group(1))
    # Once it is sending, the page says so and offers no second send.
    again = admin_client.get(f"/admin/lists/{list_id}/digest").get_data(as_text=True)
    assert "already sending" in again
    assert 'name="edition"' not in again


def test_a_cancelled_campaign_reads_as_cancelled_with_the_right_numbers(
    admin_client: WebClient, session_factory: sessionmaker[Session], admin: object
) -> None:
    with session_factory() as s:
        weekly = digest_list(s, readers=5)
        campaign = make_campaign(s, weekly)
        campaigns.start(s, campaign, actor="ada.admin@example.org")
        first_two = list(
            s.scalars(select(Delivery).where(Delivery.campaign_id == campaign.id).limit(2))
        )
        for d in first_two:
            d.status, d.sent_at = "sent", utcnow()
        campaigns.cancel(s, campaign, actor="ada.admin@example.org")
        s.commit()
        cid = campaign.id
    page = admin_client.get(f"/admin/campaigns/{cid}").get_data(as_text=True)
    assert "100.0% done" not in page and "100.0</span>% done" not in page
    assert "cancelled cancelled" not in page.lower()
    assert "Cancelled by ada.admin@example.org" in page
    assert "2 of 5 recipients were sent the campaign; 3 were not sent." in page
    progress = admin_client.get(f"/admin/campaigns/{cid}/progress.json").get_json()
    assert progress["live"] is False
    assert progress["rate_per_minute"] == 0  # no rate for a send that has stopped
    assert progress["counts"]["sent"] == 2 and progress["counts"]["skipped"] == 3


def test_campaign_times_are_in_the_lists_zone_and_named(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        weekly = digest_list(s, readers=1, timezone="America/Chicago")
        campaign = make_campaign(s, weekly)
        campaign.status = "sent"
        campaign.started_at = dt.datetime(2026, 12, 2, 16, 0, tzinfo=dt.UTC)
        campaign.finished_at = dt.datetime(2026, 12, 2, 16, 5, tzinfo=dt.UTC)
        campaign.created_at = dt.datetime(2026, 12, 2, 15, 0, tzinfo=dt.UTC)
        s.commit()
        cid = campaign.id
    page = admin_client.get(f"/admin/campaigns/{cid}").get_data(as_text=True)
    assert "Dec 2, 2026 10:00 CST" in page and "Dec 2, 2026 10:05 CST" in page
    assert "UTC" not in page.replace('datetime="', "")
    listing = admin_client.get("/admin/campaigns/").get_data(as_text=True)
    assert "Dec 2, 2026 09:00 CST" in listing


def test_a_draft_campaign_says_it_has_not_started(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        weekly = digest_list(s, readers=2)
        cid = make_campaign(s, weekly).id
        s.commit()
    page = admin_client.get(f"/admin/campaigns/{cid}").get_data(as_text=True)
    assert "Not started: nobody has been sent it yet." in page
    assert "were sent the campaign" not in page and "% done" not in page
