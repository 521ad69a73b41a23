"""Issue 13, items 2 and 4 in Chromium at 1280 and 375 px: the Subscribers search with its
total and bulk actions (forget asks first), adding and editing one person, a user's page
with reset link and tokens, the staff's own tokens (shown once) and the reset page. Every
page is screenshotted, axe-clean of serious and critical findings, and no wider than the
screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import PASSWORD, Visitor, add_list, overflow

from mailer import auth, resets
from mailer.config import Settings
from mailer.users import User
from subscribers.models import Subscriber, Subscription

pytest_plugins = ["web_fixtures"]

pytestmark = pytest.mark.browser

LONG = "Office of Diversity, Equity and Inclusion — Diversity Grand Rounds and Heritage Months"


def _seed(s: Session) -> dict[str, int]:
    auth.create_user(s, "ada.admin@example.org", PASSWORD, "admin", "Ada Admin")
    sam = auth.create_user(
        s, "maria.fernanda.gonzalez-rodriguez@medicine.wustl.example", PASSWORD, "staff", LONG
    )
    weekly = add_list(s, from_email="odei-news@wustl.example")
    add_list(s, "diversity-grand-rounds-and-heritage-months", name=LONG)
    people = [
        Subscriber(
            email=f"jakayla.folarin-hines.{i}@medicine.wustl.example",
            name=f"{LONG} {i}",
            attributes={"department": "Surgery"},
        )
        for i in range(4)
    ]
    s.add_all(people)
    s.flush()
    for p in people:
        s.add(Subscription(subscriber_id=p.id, list_id=weekly.id, status="confirmed"))
    auth.create_personal_token(s, sam, "Grand Rounds sign-up sheet " + LONG[:60])
    s.commit()
    return {"subscriber": people[0].id, "staff": sam.id}


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_people_pages_in_chromium(
    browser: Any,
    live_server: Any,
    session_factory: sessionmaker[Session],
    settings: Settings,
    axe_source: str,
    artifacts_dir: Path,
    db_url: str,
    width: int,
) -> None:
    with session_factory() as s:
        ids = _seed(s)
    out = artifacts_dir / "web" / "people" / str(width)
    out.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 800})
    context.set_default_timeout(10_000)
    v = Visitor(context.new_page(), live_server.url, axe_source, out)
    page = v.page
    wide: dict[str, int] = {}

    def look(name: str) -> None:
        v.check(name)
        if (extra := overflow(page)) > 0:
            wide[name] = extra

    try:
        v.login("ada.admin@example.org")
        v.visit("/admin/subscribers/?q=folarin&list=odei-weekly", "search")
        if (extra := overflow(page)) > 0:
            wide["search"] = extra
        assert page.locator('[data-field="total"]').inner_text().startswith("4 subscribers match")
        page.get_by_label("Select jakayla.folarin-hines.2@medicine.wustl.example").check()
        page.get_by_label("Select jakayla.folarin-hines.3@medicine.wustl.example").check()
        page.get_by_label("Action").select_option("forget")
        page.get_by_role("button", name="Apply to the ticked").click()
        look("forget-confirm")
        assert "Forget: 2 subscribers?" in page.locator("h1").inner_text()
        page.get_by_role("button", name="Forget: 2 subscribers").click()
        page.wait_for_url("**/admin/subscribers/**")
        look("forgotten")
        assert page.locator('[data-field="total"]').inner_text().startswith("2 subscribers")

        v.visit("/admin/subscribers/new", "add")
        page.get_by_label("Email").fill("Ana.Ruiz@WUSTL.example")
        page.get_by_label("Name").fill("Ana Ruiz")
        page.get_by_label("Attributes").fill("department = Pediatrics")
        page.get_by_label("ODEI Weekly").check()
        page.get_by_role("button", name="Add").click()
        page.wait_for_url("**/admin/subscribers/*")
        look("added")
        assert "department = Pediatrics" in page.content()
        page.get_by_role("link", name="Edit name, attributes, lists and status").click()
        look("edit")
        page.get_by_label(LONG).select_option("pending")
        page.get_by_role("button", name="Save").click()
        page.wait_for_url("**/admin/subscribers/*")
        look("edited")
        with session_factory() as s:
            ana = s.scalar(
                select(Subscriber).where(Subscriber.email_key == "ana.ruiz@wustl.example")
            )
            assert ana is not None and len(ana.subscriptions) == 2

        v.visit(f"/admin/users/{ids['staff']}", "user")
        assert "Grand Rounds sign-up sheet" in page.content()
        page.get_by_role("button", name="Mail a password reset link").click()
        look("user-reset-sent")
        assert "link to choose a password is on its way" in page.content()

        v.visit("/staff/tokens", "tokens")
        page.get_by_label("Token name").fill("Nightly export " + LONG[:80])
        page.get_by_role("button", name="Create a token").click()
        look("token-created")
        assert page.locator('[data-field="token"]').inner_text().startswith("mlr_")
        v.visit("/staff/tokens", "tokens-after")
        assert page.locator('[data-field="token"]').count() == 0
    finally:
        context.close()
    # The reset page, as the person who got the link sees it (not logged in).
    with session_factory() as s:
        user = s.get(User, ids["staff"])
        assert user is not None
        token = resets.make_token(settings, user)
    context = browser.new_context(viewport={"width": width, "height": 800})
    context.set_default_timeout(10_000)
    r = Visitor(context.new_page(), live_server.url, axe_source, out)
    try:
        r.visit(f"/reset/{token}", "reset")
        if (extra := overflow(r.page)) > 0:
            wide["reset"] = extra
        r.page.get_by_label("New password", exact=True).fill("a brand new passphrase 42")
        r.page.get_by_label("The new password again").fill("a brand new passphrase 42")
        r.page.get_by_role("button", name="Set the password").click()
        r.page.wait_for_url("**/login")
        r.check("reset-done")
        r.visit(f"/reset/{token}", "reset-used")
        assert "used already" in r.page.content()
    finally:
        context.close()
    assert wide == {}, f"wider than {width} px by: {wide}"
    assert v.violations == {} and r.violations == {}, (v.violations, r.violations)
