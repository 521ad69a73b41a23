"""The console in Chromium: every admin and staff page at 375 px without the page body
overflowing, the Lists table's send control readable (axe color-contrast), and the
deliberate send walked from the Lists table through the confirm page (issue 13)."""

from __future__ import annotations

import re
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


def _pages(live_server: Any, ids: dict[str, Any]) -> list[str]:
    """Every HTML page of the console: the admin and staff GET routes, ids filled in."""
    values = {
        "list_id": ids["list_id"],
        "campaign_id": ids["campaign_id"],
        "subscriber_id": ids["subscriber_id"],
        "announcement_id": ids["announcement_id"],
        "user_id": ids["user_id"],
        "slug": ids["slug"],
    }
    not_pages = re.compile(r"(\.json|\.csv|/content|/export|/preview)$")
    paths = []
    for rule in live_server.app.url_map.iter_rules():
        if not rule.rule.startswith(("/admin/", "/staff/")) or "GET" not in rule.methods:
            continue
        if not_pages.search(rule.rule) or not set(rule.arguments) <= set(values):
            continue
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(r"<(?:[a-z]+:)?" + name + ">", str(values[name]), path)
        paths.append(path)
    return sorted(set(paths))


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


def _overflow(page: Any) -> int:
    """How many px the document is wider than the viewport (0: it fits)."""
    return int(
        page.evaluate(
            "() => Math.max(document.documentElement.scrollWidth,"
            " document.body.scrollWidth) - window.innerWidth"
        )
    )


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_console_pages_fit_a_375px_screen(
    browser: Any,
    live_server: Any,
    session_factory: sessionmaker[Session],
    axe_source: str,
    artifacts_dir: Path,
    db_url: str,
) -> None:
    with session_factory() as s:
        ids = _seed(s)
    out = artifacts_dir / "web" / "375"
    out.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 375, "height": 740})
    context.set_default_timeout(10_000)
    v = Visitor(context.new_page(), live_server.url, axe_source, out)
    overflowing: dict[str, tuple[int, list[str]]] = {}
    paths = _pages(live_server, ids)
    assert "/admin/lists/" in paths and "/admin/campaigns/" in paths and len(paths) > 15
    try:
        v.login("ada.admin@example.org")
        for path in paths:
            name = path.strip("/").replace("/", "-") or "root"
            response = v.visit(path, name)
            assert response.status < 400, (path, response.status)
            if (extra := _overflow(v.page)) > 0:
                overflowing[path] = (extra, v.page.evaluate(WIDEST_JS))
    finally:
        context.close()
    assert overflowing == {}, f"wider than 375 px by: {overflowing}"
    assert v.violations == {}, v.violations


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
