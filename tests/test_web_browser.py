"""The web app in headless Chromium: real logins, forms, the live send view, axe-core.

Every page built so far is visited, screenshotted into ``artifacts/web/`` and
checked with axe-core (no serious or critical violations) and for console
errors (a CSP violation shows up there).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from test_web_public import EDITION_HTML
from web_helpers import PASSWORD, Visitor, add_announcement, add_campaign, add_list

from mailer import auth
from mailer.db import utcnow
from mailer.delivery.models import Delivery
from subscribers.models import MailingList, Subscriber, Subscription

pytest_plugins = ["web_fixtures"]

pytestmark = pytest.mark.browser


def _seed(s: Session) -> dict[str, int]:
    auth.create_user(s, "ada.admin@example.org", PASSWORD, "admin", "Ada Admin")
    auth.create_user(s, "sam.staff@example.org", PASSWORD, "staff", "Sam Staff")
    weekly = add_list(s)
    rounds = add_list(s, "grand-rounds", name="Diversity Grand Rounds", archive=False)
    add_announcement(s, "sam.staff@example.org", "Heritage month lunch", [weekly, rounds])
    sent = add_campaign(s, weekly, "odei-weekly:2026-W10", html=EDITION_HTML, finished_at=utcnow())
    running = add_campaign(
        s,
        weekly,
        "odei-weekly:2026-W11",
        subject="ODEI Weekly: Black History & The Arts",
        status="sending",
        started_at=utcnow(),
    )
    people = [
        Subscriber(email="jakayla.folarin@wustl.example", name="Jakayla Folarin-Hines"),
        Subscriber(email="victora.brings@wustl.example", name="Victora Brings"),
        *[Subscriber(email=f"scholar{i}@wustl.example", name=f"Scholar {i}") for i in range(4)],
    ]
    s.add_all(people)
    s.flush()
    for p in people:
        s.add(Subscription(subscriber_id=p.id, list_id=weekly.id, status="confirmed"))
        s.add(
            Delivery(
                campaign_id=running.id,
                subscriber_id=p.id,
                email=p.email,
                status="sent" if p is people[0] else "queued",
                sent_at=utcnow() if p is people[0] else None,
            )
        )
    s.commit()
    return {"sent": sent.id, "running": running.id, "person": people[0].id}


# The browser drives the pages; the data rules under them run on both databases in
# the test-client tests. One database here keeps the suite's time in bounds.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_pages_in_chromium(
    browser: Any,
    live_server: Any,
    session_factory: sessionmaker[Session],
    axe_source: str,
    artifacts_dir: Path,
    db_url: str,
) -> None:
    with session_factory() as s:
        ids = _seed(s)
    out = artifacts_dir / "web" / db_url.split(":", 1)[0].split("+")[0]
    out.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    context.set_default_timeout(10_000)
    v = Visitor(context.new_page(), live_server.url, axe_source, out)
    page = v.page
    try:
        # --- public ---
        v.visit("/", "home")
        assert page.get_by_role("heading", name="ODEI Weekly").is_visible()
        v.visit("/subscribe/odei-weekly", "subscribe")
        assert page.get_by_label("List").input_value() == "odei-weekly"
        honeypot = page.get_by_label("Leave this field empty").bounding_box()
        assert honeypot is not None and honeypot["x"] + honeypot["width"] <= 0  # off-screen
        page.get_by_label("Email address").fill("not an address")
        page.get_by_role("button", name="Subscribe").click()
        v.check("subscribe-error")
        assert (
            page.locator("#email-error")
            .inner_text()
            .startswith("This is not a usable email address")
        )
        v.visit("/archive/", "archive")
        v.visit("/archive/odei-weekly/", "archive-list")
        page.get_by_role("link", name="ODEI Weekly: Commemorate Women’s History Month").click()
        v.check("edition")
        frame = page.frame_locator("iframe.edition")
        assert frame.get_by_role("heading", name="Commemorate Women’s History Month").is_visible()
        assert "Dear friend," in frame.locator("body").inner_text()
        assert frame.locator("a").count() == 1
        v.visit("/no-such-page", "not-found")

        # --- staff ---
        v.login("sam.staff@example.org")
        assert page.url.endswith("/staff/")
        v.check("staff-home")
        response = v.visit("/admin/lists/", "staff-refused")
        assert response.status == 403
        assert page.get_by_role("heading", name="Not allowed").is_visible()
        v.visit("/staff/news/", "staff-news")
        page.get_by_label("Headline").fill("Happy Ramadan!")
        page.get_by_label("Summary (Markdown)").fill(
            "This week marks the beginning of **Ramadan**."
        )
        page.get_by_role("button", name="Add news item").click()
        v.check("staff-news-added")
        page.get_by_role("button", name="Hide “Happy Ramadan!”").click()
        v.check("staff-news-hidden")
        assert page.get_by_role("button", name="Show “Happy Ramadan!” again").is_visible()
        v.visit("/staff/events/", "staff-events")
        page.get_by_label("Event", exact=True).fill("Diversity Grand Rounds")
        page.get_by_label("Date").fill("2099-03-12")
        page.get_by_label("Starts").fill("17:30")
        page.get_by_role("button", name="Add event").click()
        v.check("staff-events-added")
        assert page.get_by_text("Thu Mar 12, 2099 5:30 PM CDT").is_visible()
        v.visit("/staff/account", "staff-account")
        v.logout()

        # --- admin ---
        v.login("ada.admin@example.org")
        assert page.url.endswith("/admin/")
        v.check("admin-home")
        v.visit("/admin/lists/new", "list-new")
        page.get_by_label("Name", exact=True).fill("Heritage Month Features")
        page.get_by_label("Slug (used in links)").fill("heritage")
        page.get_by_label("Time zone").fill("Nowhere/Atlantis")
        page.get_by_label("Digest day").select_option(label="Thursday")
        page.get_by_role("button", name="Save list").click()
        v.check("list-new-error")
        assert "Unknown time zone" in page.locator("#timezone-error").inner_text()
        page.get_by_label("Time zone").fill("America/New_York")
        page.get_by_role("button", name="Save list").click()
        page.wait_for_url("**/admin/lists/")
        v.check("lists")
        assert page.get_by_role("link", name="Heritage Month Features", exact=True).is_visible()
        assert page.get_by_text("Thursday 07:00 (America/New_York)").is_visible()
        page.get_by_role("link", name="Heritage Month Features", exact=True).click()
        v.check("list-edit")

        v.visit("/admin/subscribers/", "subscribers")
        page.get_by_label("Email or name contains").fill("ictora")  # a substring
        page.get_by_role("button", name="Search").click()
        v.check("subscribers-search")
        assert page.locator("tbody tr").count() == 1
        v.visit(f"/admin/subscribers/{ids['person']}", "subscriber")
        assert page.get_by_role("heading", name="jakayla.folarin@wustl.example").is_visible()

        v.visit("/admin/announcements/", "announcements")
        page.get_by_role("link", name="Heritage month lunch").click()
        v.check("announcement")
        assert page.locator("article strong").inner_text() == "Diversity Grand Rounds"
        v.visit("/admin/campaigns/", "campaigns")
        v.visit(f"/admin/campaigns/{ids['running']}", "campaign-live")
        sent = page.locator('[data-count="sent"]')
        assert sent.inner_text() == "1"
        # A worker sends two more; the page's poller shows it without a reload.
        with session_factory() as s:
            queued = list(
                s.scalars(
                    select(Delivery.id)
                    .where(Delivery.campaign_id == ids["running"], Delivery.status == "queued")
                    .limit(2)
                )
            )
            s.execute(
                update(Delivery)
                .where(Delivery.id.in_(queued))
                .values(status="sent", sent_at=utcnow())
            )
            s.commit()
        page.wait_for_function(
            "() => document.querySelector('[data-count=\"sent\"]').textContent === '3'",
            timeout=15_000,
        )
        assert page.locator('[data-field="percent"]').inner_text() in {"50", "50.0"}
        v.check("campaign-live-updated")

        v.visit("/admin/users/", "users")
        v.visit("/admin/users/new", "user-new")
        v.visit("/staff/", "admin-on-staff-desk")
    finally:
        context.close()

    with session_factory() as s:
        heritage = s.scalar(select(MailingList).where(MailingList.slug == "heritage"))
        assert heritage is not None and heritage.digest_weekday == 3
    assert v.violations == {}, v.violations
    # The 403 and 404 pages log their status; anything else is a real error (CSP included).
    real_errors = [e for e in v.console_errors if "status of 40" not in e]
    assert real_errors == [], real_errors
