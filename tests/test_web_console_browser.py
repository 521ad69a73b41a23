"""The console in Chromium: the Lists table's send control readable (axe color-contrast),
the deliberate send walked from the Lists table through the confirm page, and a staff
member's withdraw and digest date (issue 13). Every page at 1280 and 375 px is
``test_web_every_page_browser.py``'s."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import PASSWORD, Visitor, add_announcement, add_campaign, add_list

from mailer import auth
from mailer.db import utcnow
from mailer.delivery.models import Delivery
from subscribers.models import Subscriber, Subscription
from tests.schedule_fixtures import add_news

pytest_plugins = ["web_fixtures"]

pytestmark = pytest.mark.browser

LONG = "Office of Diversity, Equity and Inclusion — Diversity Grand Rounds and Heritage Months"


def _seed(s: Session) -> dict[str, Any]:
    auth.create_user(s, "ada.admin@example.org", PASSWORD, "admin", "Ada Admin")
    auth.create_user(s, "sam.staff@example.org", PASSWORD, "staff", "Sam Staff")
    auth.create_user(
        s, "maria.fernanda.gonzalez-rodriguez@medicine.wustl.example", PASSWORD, "staff", LONG
    )
    weekly = add_list(s, from_email="odei-news@wustl.example", timezone="America/Chicago")
    rounds = add_list(s, "diversity-grand-rounds-and-heritage-months", name=LONG)
    item = add_announcement(
        s, "sam.staff@example.org", "Heritage month lunch " + LONG, [weekly, rounds]
    )
    add_campaign(s, weekly, "odei-weekly:2026-W10", finished_at=utcnow())
    running = add_campaign(
        s,
        rounds,
        "diversity-grand-rounds-and-heritage-months:2026-W11",
        subject="ODEI Weekly: Black History & The Arts, " + LONG,
        status="sending",
        started_at=utcnow(),
    )
    people = [
        Subscriber(email=f"jakayla.folarin-hines.{i}@medicine.wustl.example", name=f"{LONG} {i}")
        for i in range(3)
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
                status="failed",
                last_error="550 5.1.1 <" + p.email + ">: Recipient address rejected",
            )
        )
    add_news(s, utcnow())
    s.commit()
    return {
        "list_id": weekly.id,
        "slug": weekly.slug,
        "campaign_id": running.id,
        "subscriber_id": people[0].id,
        "announcement_id": item.id,
        "user_id": 1,
        "news": 1,
    }


# WCAG 2 contrast of each visible control's text against the first opaque background
# behind it. axe-core leaves such a control "incomplete" (it cannot be sure of the
# background under a form inside a table cell), so it missed white-on-white.
LOW_CONTRAST_JS = """
() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) { return c.slice(0, 3); }
    }
    return [255, 255, 255];
  };
  const bad = [];
  for (const el of document.querySelectorAll("main a, main button")) {
    if (!el.offsetParent) { continue; }
    const a = lum(rgb(getComputedStyle(el).color).slice(0, 3)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) { bad.push(el.textContent.trim() + ": " + ratio.toFixed(2)); }
  }
  return bad;
}
"""


# For the failure message: the elements outside the viewport (other than inside a
# table's own scrolling box).
WIDEST_JS = """
() => [...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
  .filter((e) => !e.closest(".scroll-x"))
  .slice(0, 6)
  .map((e) => e.tagName + "." + e.className + " " + Math.round(e.getBoundingClientRect().right))
"""


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_create_and_send_is_readable_and_asks_first(
    browser: Any,
    live_server: Any,
    session_factory: sessionmaker[Session],
    axe_source: str,
    artifacts_dir: Path,
    db_url: str,
) -> None:
    with session_factory() as s:
        ids = _seed(s)
    out = artifacts_dir / "web" / "sending"
    out.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    v = Visitor(context.new_page(), live_server.url, axe_source, out)
    page = v.page
    try:
        v.login("ada.admin@example.org")
        v.visit("/admin/lists/", "lists")
        contrast = page.evaluate(
            "async () => (await axe.run(document, {runOnly: ['color-contrast']})).violations"
        )
        assert contrast == [], [n["html"] for c in contrast for n in c["nodes"]]
        assert page.evaluate(LOW_CONTRAST_JS) == []
        send = page.get_by_role("link", name="Create and send… the digest of ODEI Weekly")
        assert send.is_visible()
        send.click()
        v.check("send-confirm")
        # Nothing has been sent: the page names the list, the count and the subject.
        assert page.locator('[data-field="recipients"]').inner_text().startswith("3 recipients")
        assert page.locator('[data-field="subject"]').inner_text().startswith("ODEI Weekly")
        with session_factory() as s:
            assert s.query(Delivery).filter(Delivery.campaign_id != ids["campaign_id"]).count() == 0
        page.get_by_role("button", name="Send to 3 recipients").click()
        page.wait_for_url("**/admin/campaigns/*")
        v.check("send-started")
        assert page.locator('[data-field="status_text"]').inner_text() == "Sending"
    finally:
        context.close()
    assert v.violations == {}, v.violations


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_staff_withdraw_and_pick_a_digest_date_in_chromium(
    browser: Any,
    live_server: Any,
    session_factory: sessionmaker[Session],
    axe_source: str,
    artifacts_dir: Path,
    db_url: str,
) -> None:
    with session_factory() as s:
        ids = _seed(s)
    out = artifacts_dir / "web" / "staff-life"
    out.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    v = Visitor(context.new_page(), live_server.url, axe_source, out)
    page = v.page
    try:
        v.login("sam.staff@example.org")
        v.visit(f"/staff/announcements/{ids['announcement_id']}", "announcement-submitted")
        # Still under review: the author may change it or take it back.
        assert page.get_by_label("Title").is_editable()
        page.get_by_role("button", name="Withdraw “Heritage month lunch").click()
        v.check("announcement-withdrawn")
        assert page.locator('[data-field="status"]').inner_text() == "withdrawn"
        v.visit("/staff/digest/odei-weekly", "digest-coming")
        coming = page.locator('[data-field="edition_date"] time').get_attribute("datetime")
        page.get_by_label("Edition for the week of").fill("2027-01-04")
        page.get_by_role("button", name="Preview").click()
        page.wait_for_url("**/staff/digest/odei-weekly?date=2027-01-04")
        v.check("digest-picked")
        assert page.locator('[data-field="edition_date"] time').get_attribute("datetime") == (
            "2027-01-04"
        )
        assert coming != "2027-01-04" or coming is None
        # The frame shows that week's edition too.
        src = page.locator("iframe.edition").get_attribute("src") or ""
        assert src.endswith("/staff/digest/odei-weekly/content?date=2027-01-04")
        frame = page.frame_locator("iframe.edition")
        assert frame.get_by_text("January 4, 2027").first.is_visible()
    finally:
        context.close()
    assert v.violations == {}, v.violations
    assert [e for e in v.console_errors if "status of 40" not in e] == []
