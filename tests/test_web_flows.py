"""End-to-end flows in headless Chromium against the app on loopback, mail read from the
Maildir outbox: a reader's whole life on a list; an announcement from a staff desk to the
digest preview; an admin's import and a paused and resumed send.

Every page is screenshotted into ``artifacts/web/flows/`` and checked with axe-core
(no serious or critical violations) and for console errors (CSP violations show there).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import PASSWORD, Visitor, add_list, link_in, mail_to, outbox_mails

from mailer import auth
from mailer.content.models import Announcement
from mailer.delivery import campaigns
from mailer.delivery.models import Campaign
from subscribers.models import Subscriber, Subscription
from tests.helpers import make_campaign, make_subscribers

pytest_plugins = ["web_fixtures"]

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

READER = "jakayla.folarin@wustl.example"


@pytest.fixture
def visitor(browser: Any, live_server: Any, axe_source: str, artifacts_dir: Path) -> Any:
    out = artifacts_dir / "web" / "flows"
    out.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    context.set_default_timeout(10_000)
    v = Visitor(context.new_page(), live_server.url, axe_source, out)
    yield v
    context.close()
    assert v.violations == {}, v.violations
    real_errors = [e for e in v.console_errors if "status of 40" not in e]
    assert real_errors == [], real_errors


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path


def _status(session_factory: sessionmaker[Session], slug_id: int) -> str:
    with session_factory() as s:
        sub = s.scalar(
            select(Subscription)
            .join(Subscriber)
            .where(Subscriber.email == READER, Subscription.list_id == slug_id)
        )
        return sub.status if sub else "none"


def test_reader_subscribes_confirms_changes_preferences_and_unsubscribes(
    visitor: Any, session_factory: sessionmaker[Session], outbox: Path
) -> None:
    with session_factory() as s:
        weekly = add_list(s)
        rounds = add_list(s, "grand-rounds", name="Diversity Grand Rounds")
        s.commit()
        weekly_id, rounds_id = weekly.id, rounds.id
    v, page = visitor, visitor.page
    v.visit("/subscribe/odei-weekly", "1-subscribe")
    page.get_by_label("Your name").fill("Jakayla Folarin-Hines")
    page.get_by_label("Email address").fill(READER)
    page.get_by_role("button", name="Subscribe").click()
    v.check("1-subscribe-done")
    assert page.get_by_role("heading", name="Check your inbox").is_visible()
    assert _status(session_factory, weekly_id) == "pending"

    confirm_url = link_in(mail_to(outbox, READER), "/c/")
    v.visit(_path(confirm_url), "1-confirm")
    assert _status(session_factory, weekly_id) == "pending"  # the GET changed nothing
    page.get_by_role("button", name="Confirm my subscription").click()
    v.check("1-confirmed")
    assert page.get_by_role("heading", name="You are subscribed").is_visible()
    assert _status(session_factory, weekly_id) == "confirmed"
    welcome = mail_to(outbox, READER, "Welcome")
    assert len(outbox_mails(outbox)) == 2 and READER in str(welcome["To"])

    v.visit(_path(link_in(welcome, "/p/")), "1-preferences")
    assert page.get_by_label("ODEI Weekly").is_checked()
    page.get_by_label("Diversity Grand Rounds").check()
    page.get_by_label("Your name").fill("Jakayla F. Hines")
    page.get_by_role("button", name="Save preferences").click()
    v.check("1-preferences-saved")
    assert page.get_by_text("Your preferences are saved.").is_visible()
    assert _status(session_factory, rounds_id) == "confirmed"

    unsubscribe = link_in(welcome, "/u/")
    v.visit(_path(unsubscribe), "1-unsubscribe")
    assert _status(session_factory, weekly_id) == "confirmed"
    page.get_by_role("button", name="Unsubscribe").click()
    v.check("1-unsubscribed")
    assert page.get_by_role("heading", name="You are unsubscribed").is_visible()
    assert _status(session_factory, weekly_id) == "unsubscribed"
    assert _status(session_factory, rounds_id) == "confirmed"
    with session_factory() as s:
        assert s.scalar(select(Subscriber.name).where(Subscriber.email == READER)) == (
            "Jakayla F. Hines"
        )
    # A link that is not ours (or was altered) gets a plain page, never a stack trace.
    response = v.visit(_path(unsubscribe)[:-4] + "abcd", "1-bad-link")
    assert response.status == 400
    assert page.get_by_role("heading", name="This link does not work").is_visible()
    assert _status(session_factory, rounds_id) == "confirmed"


def test_staff_announcement_is_approved_and_appears_in_the_digest_preview(
    visitor: Any, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        auth.create_user(s, "ada.admin@example.org", PASSWORD, "admin", "Ada Admin")
        auth.create_user(s, "sam.staff@example.org", PASSWORD, "staff", "Sam Staff")
        add_list(s)
        add_list(s, "grand-rounds", name="Diversity Grand Rounds")
        s.commit()
    v, page = visitor, visitor.page
    v.login("sam.staff@example.org")
    v.visit("/staff/announcements/new", "2-announcement-new")
    page.get_by_label("Title").fill("Black History & The Arts luncheon")
    page.get_by_label("Text (Markdown)").fill(
        "Join the **Black History & The Arts** luncheon on Thursday at noon. "
        "[Register here](https://diversity.wustl.edu/events)"
    )
    page.get_by_label("ODEI Weekly").check()
    frame = page.frame_locator("iframe#announcement-preview")
    # The preview follows the typing: the real email, Markdown rendered.
    frame.locator("strong", has_text="Black History & The Arts").wait_for(timeout=10_000)
    assert frame.get_by_role("link", name="Register here").is_visible()
    v.check("2-announcement-preview")
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url("**/staff/announcements/*")
    v.check("2-announcement-submitted")
    assert page.locator('[data-field="status"]').inner_text() == "submitted"
    v.logout()

    v.login("ada.admin@example.org")
    v.visit("/admin/announcements/", "2-admin-queue")
    page.get_by_role("link", name="Black History & The Arts luncheon").click()
    v.check("2-admin-review")
    page.get_by_label("Note to the author").fill("Approved: lovely, thank you.")
    page.get_by_role("button", name="Approve").click()
    v.check("2-admin-approved")
    with session_factory() as s:
        item = s.scalar(select(Announcement))
        assert item is not None and item.status == "approved"
        assert item.review_note == "Approved: lovely, thank you."
    v.visit("/staff/digest/", "2-digest-lists")
    page.get_by_role("link", name="ODEI Weekly").click()
    v.check("2-digest-preview")
    digest = page.frame_locator("iframe.edition")
    digest.get_by_text("Black History & The Arts luncheon").first.wait_for()
    assert digest.locator("strong", has_text="Black History & The Arts").count() >= 1
    v.visit("/staff/digest/grand-rounds", "2-digest-preview-other-list")
    other = page.frame_locator("iframe.edition").locator("body")
    other.wait_for()
    assert "luncheon" not in other.inner_text()
    v.logout()
    v.login("sam.staff@example.org")
    v.visit("/staff/announcements/", "2-staff-sees-state")
    assert page.get_by_text("Approved: lovely, thank you.").is_visible()


CSV = (
    "email,name,program\n"
    "amara.okafor@wustl.example,Amara Okafor,Summer Scholars\n"
    "not-an-address,Nobody,\n"
    "luis.ortega@wustl.example,Luis Ortega,Pathways\n"
)


def test_admin_imports_csv_and_pauses_and_resumes_a_running_send(
    visitor: Any, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with session_factory() as s:
        auth.create_user(s, "ada.admin@example.org", PASSWORD, "admin", "Ada Admin")
        weekly = add_list(s)
        make_subscribers(s, weekly, 300, prefix="scholar")
        campaign = make_campaign(s, weekly, "odei-weekly:2027-W10")
        recipients = campaigns.start(s, campaign, actor="test")  # no worker runs: it stays sending
        s.commit()
        cid = campaign.id
    assert recipients == 300
    v, page = visitor, visitor.page
    v.login("ada.admin@example.org")
    v.visit("/admin/subscribers/import", "3-import")
    members = tmp_path / "members.csv"
    members.write_text(CSV, encoding="utf-8")
    page.get_by_label("CSV file").set_input_files(str(members))
    page.get_by_label("Into list").select_option(label="ODEI Weekly")
    page.get_by_label("These people gave their consent").check()
    page.get_by_role("button", name="Import").click()
    v.check("3-import-report")
    summary = page.locator('[data-field="summary"]').inner_text()
    assert summary.startswith("imported 2, updated 0, unchanged 0, rejected 1")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download all rejected lines (CSV)").click()
    rejects = Path(download.value.path()).read_text(encoding="utf-8")
    assert "not-an-address" in rejects and rejects.startswith("line,reason")

    def status() -> str:
        with session_factory() as s:
            return s.get(Campaign, cid).status  # type: ignore[union-attr]

    v.visit(f"/admin/campaigns/{cid}", "3-campaign-sending")
    assert page.locator('[data-field="total"]').inner_text() == "300"
    page.get_by_role("button", name="Pause sending").click()
    v.check("3-campaign-paused")
    assert status() == "paused"
    assert page.locator('[data-field="status_text"]').inner_text() == (
        "Paused by ada.admin@example.org"
    )
    page.get_by_role("button", name="Resume sending").click()
    v.check("3-campaign-resumed")
    assert status() == "sending"
    v.visit("/admin/subscribers/?q=amara", "3-subscribers-search")
    page.get_by_role("link", name="amara.okafor@wustl.example").click()
    v.check("3-subscriber")
