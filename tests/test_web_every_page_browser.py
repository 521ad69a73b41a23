"""Every page of the web app in Chromium at 1280 and 375 px (issue 13, items 5 and 7).

The routes come from Flask's URL map, so a page added later is visited without
anyone editing this file; a route with an argument this file cannot fill fails
the test (add its value to ``_values``) rather than being skipped. Each page must
answer below 400, keep the document as wide as the viewport (wide tables scroll
inside their own box), and pass axe-core with no serious or critical finding,
color-contrast included, plus a contrast check of every link and button that
axe leaves "incomplete" (a control over a background it cannot be sure of).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker
from test_web_console_browser import LOW_CONTRAST_JS, WIDEST_JS
from web_helpers import PASSWORD, Visitor, add_announcement, add_campaign, add_list, overflow

from mailer import auth, resets
from mailer.content.manual import add_event, add_news
from mailer.content.sources import add_source
from mailer.db import audit, utcnow
from mailer.delivery.models import Delivery
from mailer.users import User
from subscribers import service
from subscribers.models import BounceRecord, Subscriber, Subscription
from subscribers.tokens import TokenSigner

pytest_plugins = ["web_fixtures"]

pytestmark = pytest.mark.browser

LONG = "Office of Diversity, Equity and Inclusion — Diversity Grand Rounds and Heritage Months"
LONG_ADDRESS = "maria.fernanda.gonzalez-rodriguez.{}@medicine.wustl.example"

# Not pages: data for programs (JSON, CSV, Atom, iCalendar, the open pixel), the
# mail documents the pages show in a sandboxed frame (the digest's and an
# announcement's preview) and a reader's "view in your browser" copy (the email's own
# markup, which compose's checks cover), and the click redirect (a 302, no page).
NOT_PAGES = re.compile(
    r"(\.json|\.csv|\.atom|\.ics|\.gif|/export|/content|/announcements/preview)$"
)
PREFIXES_NOT_PAGES = ("/api/", "/hooks/", "/static/", "/view/", "/l/")


def _seed(s: Session, signing_key: str) -> dict[str, Any]:
    """A console with one of everything, long names and addresses included."""
    admin = auth.create_user(s, "ada.admin@example.org", PASSWORD, "admin", "Ada Admin")
    staff = auth.create_user(s, "sam.staff@example.org", PASSWORD, "staff", "Sam Staff")
    auth.create_user(s, LONG_ADDRESS.format("staff"), PASSWORD, "staff", LONG)
    weekly = add_list(
        s, from_email="odei-news@wustl.example", timezone="America/Chicago", archive=True
    )
    rounds = add_list(s, "diversity-grand-rounds-and-heritage-months", name=LONG)
    item = add_announcement(s, staff.email, "Heritage month lunch " + LONG, [weekly, rounds])
    sent = add_campaign(
        s, weekly, f"list-{weekly.id}:2026-W10", started_at=utcnow(), finished_at=utcnow()
    )
    running = add_campaign(
        s,
        rounds,
        f"list-{rounds.id}:2026-W11",
        subject="ODEI Weekly: Black History & The Arts, " + LONG,
        status="sending",
        started_at=utcnow(),
    )
    people = [Subscriber(email=LONG_ADDRESS.format(i), name=f"{LONG} {i}") for i in range(3)]
    s.add_all(people)
    s.flush()
    record_id = 0
    for p in people:
        s.add(Subscription(subscriber_id=p.id, list_id=weekly.id, status="confirmed"))
        d = Delivery(
            campaign_id=running.id,
            subscriber_id=p.id,
            email=p.email,
            status="bounced",
            last_error="550 5.1.1 <" + p.email + ">: Recipient address rejected: User unknown",
        )
        s.add(d)
        s.flush()
        record = BounceRecord(
            address=p.email,
            kind="hard",
            status_code="5.1.1",
            diagnostic="smtp; 550 5.1.1 <" + p.email + ">: Recipient address rejected",
            delivery_id=d.id,
            source="mailbox",
            raw="Final-Recipient: rfc822; " + p.email + "\n" + "X-Long-Header: " + "a" * 400,
        )
        s.add(record)
        s.flush()
        record_id = record.id
        service.suppress(s, p.email, "hard_bounce", "550 5.1.1 " + "x" * 200, actor="mailbox")
    service.forget(s, "gone.person@example.org", actor=admin.email)
    news = add_news(
        s,
        title="Summer scholars present " + LONG,
        url="https://diversity.wustl.edu/news/summer-scholars-present-their-research-posters",
        summary_md="Twelve **summer scholars** presented.",
        published_at=utcnow(),
    )
    event = add_event(
        s,
        title="Diversity Grand Rounds " + LONG,
        starts_at=dt.datetime(2099, 3, 12, 17, 30, tzinfo=dt.UTC),
        location="Eric P. Newman Education Center, 320 S. Euclid Ave.",
    )
    source = add_source(
        s,
        kind="news",
        url="https://diversity.wustl.edu/feed/?" + "category=heritage-months&" * 6,
        name="ODEI news " + LONG,
    )
    source.last_status, source.last_error = "failing", "HTTP 503 " + "Service unavailable " * 12
    audit(s, admin.email, "suppression.add", LONG_ADDRESS.format(0), "asked " + "y" * 200)
    s.commit()
    signer = TokenSigner(signing_key)
    return {
        "list_id": weekly.id,
        "slug": weekly.slug,
        "campaign_id": sent.id,
        "subscriber_id": people[0].id,
        "announcement_id": item.id,
        "user_id": staff.id,
        "record_id": record_id,
        "news_id": news.id,
        "event_id": event.id,
        "confirm": signer.make("confirm", people[0].id, weekly.id),
        "unsubscribe": signer.make("unsubscribe", people[0].id, weekly.id),
        "preferences": signer.make("preferences", people[0].id),
    }


def _values(rule: Any, ids: dict[str, Any]) -> dict[str, Any]:
    """A real value for each argument of ``rule``; an unknown one fails the test."""
    by_endpoint = {
        ("public.confirm", "token"): ids["confirm"],
        ("public.unsubscribe", "token"): ids["unsubscribe"],
        ("public.preferences", "token"): ids["preferences"],
        ("staff.news_edit", "item_id"): ids["news_id"],
        ("staff.event_edit", "item_id"): ids["event_id"],
        ("reset.reset", "token"): ids["reset"],
    }
    values = {}
    for name in rule.arguments:
        value = by_endpoint.get((rule.endpoint, name), ids.get(name))
        assert value is not None, f"{rule.rule}: give this test a value for <{name}>"
        values[name] = value
    return values


def every_page(app: Flask, ids: dict[str, Any]) -> dict[str, list[str]]:
    """The HTML pages of the app by who visits them: admin, staff and anyone."""
    pages: dict[str, list[str]] = {"admin": [], "staff": [], "anyone": []}
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.rule.startswith(PREFIXES_NOT_PAGES):
            continue
        if NOT_PAGES.search(rule.rule):
            continue
        path = rule.rule
        for name, value in _values(rule, ids).items():
            path = re.sub(r"<(?:[a-z]+:)?" + name + ">", str(value), path)
        who = "admin" if path.startswith("/admin/") else "anyone"
        who = "staff" if path.startswith("/staff/") else who
        pages[who].append(path)
    return {who: sorted(set(paths)) for who, paths in pages.items()}


@pytest.mark.timeout(1200)  # about 50 pages, each screenshotted and axe-checked
@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_page_fits_and_passes_axe(
    browser: Any,
    live_server: Any,
    session_factory: sessionmaker[Session],
    axe_source: str,
    artifacts_dir: Path,
    db_url: str,
    width: int,
) -> None:
    with session_factory() as s:
        ids = _seed(s, live_server.settings.signing_key)
        staff = s.get(User, ids["user_id"])
        assert staff is not None
        ids["reset"] = resets.make_token(live_server.settings, staff)
    pages = every_page(live_server.app, ids)
    # The pages this issue added are among them, found from the URL map.
    assert {"/admin/suppressions/", "/admin/bounces/", "/admin/audit/", "/admin/sources/"} <= set(
        pages["admin"]
    )
    assert f"/admin/bounces/{ids['record_id']}" in pages["admin"]
    assert f"/staff/news/{ids['news_id']}/edit" in pages["staff"]
    assert f"/u/{ids['unsubscribe']}" in pages["anyone"]
    out = artifacts_dir / "web" / "every-page" / str(width)
    out.mkdir(parents=True, exist_ok=True)
    problems: dict[str, Any] = {}
    timings: dict[str, float] = {}
    violations: dict[str, list[str]] = {}
    logins = {"admin": "ada.admin@example.org", "staff": "sam.staff@example.org", "anyone": ""}
    for who, paths in pages.items():
        context = browser.new_context(viewport={"width": width, "height": 800})
        context.set_default_timeout(15_000)
        v = Visitor(context.new_page(), live_server.url, axe_source, out)
        try:
            if logins[who]:
                v.login(logins[who])
            for path in paths:
                name = f"{who}-" + (re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")[:80] or "root")
                started = time.monotonic()
                response = v.visit(path, name)
                timings[path] = round(time.monotonic() - started, 2)
                if response.status >= 400:
                    problems[path] = f"status {response.status}"
                    continue
                if (extra := overflow(v.page)) > 0:
                    problems[path] = (f"{extra} px too wide", v.page.evaluate(WIDEST_JS))
                if low := v.page.evaluate(LOW_CONTRAST_JS):
                    problems[path] = ("low contrast", low)
        finally:
            context.close()
        violations.update(v.violations)
    (out / "timings.txt").write_text(
        "\n".join(f"{t:6.2f} {p}" for p, t in sorted(timings.items(), key=lambda i: -i[1]))
    )
    assert problems == {}, problems
    assert violations == {}, violations


BAD_PAGE = """<!doctype html><html lang="en"><head><title>Bad</title></head><body><main>
<h1>Bad</h1><p style="color:#bbb;background:#fff">Pale text nobody can read.</p>
<button style="color:#fff;background:#fff">Create and send</button>
<table style="width:900px"><tr><td>a table wider than the screen</td></tr></table>
</main></body></html>"""


def test_the_checks_catch_a_bad_page(browser: Any, axe_source: str, tmp_path: Path) -> None:
    """The checks above can fail: white on white, pale text and a wide table are caught."""
    from web_helpers import axe_check

    context = browser.new_context(viewport={"width": 375, "height": 800})
    try:
        page = context.new_page()
        page.set_content(BAD_PAGE)
        assert overflow(page) > 400
        assert page.evaluate(LOW_CONTRAST_JS) == ["Create and send: 1.00"]
        found = {v["id"] for v in axe_check(page, axe_source, "bad", tmp_path)}
        assert "color-contrast" in found
    finally:
        context.close()
