"""The screenshots of a campaign's page and of the overview in docs/web.md, from a seeded database.

Run it with ``MAILER_DOCS_SCREENSHOTS=1`` (``make docs-screenshots``) to rewrite
``docs/web-campaign.png`` and ``docs/img/overview.png``; without it the test
only checks that the pictures the docs show exist and are 1280 px wide PNGs,
and leaves fresh copies under test-artifacts/ to compare.
"""

from __future__ import annotations

import datetime as dt
import os
import struct
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import PASSWORD, add_campaign, add_list

from mailer import auth
from mailer.db import utcnow
from mailer.delivery.models import Delivery
from subscribers.models import BounceRecord, Subscriber, Subscription

pytest_plugins = ["web_fixtures"]

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parents[1] / "docs"
CAMPAIGN_PNG = DOCS / "web-campaign.png"
OVERVIEW_PNG = DOCS / "img" / "overview.png"
WIDTH = 1280

# A sent digest of 240 readers: most delivered, a few bounced, failed or skipped.
OUTCOMES = {"sent": 228, "bounced": 6, "failed": 2, "skipped": 4}
FIRST = ["Ana", "Kofi", "Priya", "Mateo", "Aisha", "Wei", "Zoe", "Noah", "Jakayla", "Maria"]


def _seed(s: Session) -> int:
    auth.create_user(s, "ada.admin@example.org", PASSWORD, "admin", "Ada Admin")
    weekly = add_list(s, from_email="odei-news@wustl.example", timezone="America/Chicago")
    started = utcnow() - dt.timedelta(hours=2)
    campaign = add_campaign(
        s,
        weekly,
        f"list-{weekly.id}:2026-W10",
        created_at=started - dt.timedelta(minutes=20),
        started_at=started,
        finished_at=started + dt.timedelta(minutes=3),
    )
    n = 0
    for status, count in OUTCOMES.items():
        for _ in range(count):
            email = f"{FIRST[n % len(FIRST)].lower()}.{n}@wustl.example"
            person = Subscriber(email=email, name=f"{FIRST[n % len(FIRST)]} {n}")
            s.add(person)
            s.flush()
            if status != "bounced":  # a hard bounce ended their subscription
                s.add(
                    Subscription(
                        subscriber_id=person.id,
                        list_id=weekly.id,
                        status="confirmed",
                        source="import",
                        confirmed_at=started - dt.timedelta(days=3 * (n % 20)),
                    )
                )
            d = Delivery(
                campaign_id=campaign.id,
                subscriber_id=person.id,
                email=email,
                status=status,
                attempts=0 if status == "skipped" else 1,
                sent_at=started + dt.timedelta(seconds=n) if status != "skipped" else None,
                last_error="550 5.1.1 user unknown" if status in ("bounced", "failed") else "",
            )
            s.add(d)
            s.flush()
            if status == "bounced":
                s.add(BounceRecord(address=email, kind="hard", delivery_id=d.id, source="mailbox"))
            n += 1
    s.commit()
    return int(campaign.id)


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_campaign_screenshot_in_the_docs(
    browser: Any,
    live_server: Any,
    session_factory: sessionmaker[Session],
    artifacts_dir: Path,
    db_url: str,
) -> None:
    with session_factory() as s:
        campaign_id = _seed(s)
    context = browser.new_context(viewport={"width": WIDTH, "height": 900})
    page = context.new_page()
    try:
        page.goto(live_server.url + "/login")
        page.get_by_label("Email").fill("ada.admin@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state("load")
        page.goto(f"{live_server.url}/admin/campaigns/{campaign_id}")
        assert page.locator('[data-count="sent"]').inner_text() == "228"
        fresh = artifacts_dir / "docs" / CAMPAIGN_PNG.name
        fresh.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(fresh), full_page=True)
        # The console's landing page, from the same send.
        page.goto(f"{live_server.url}/admin/")
        assert page.get_by_role("heading", name="Overview").is_visible()
        overview = artifacts_dir / "docs" / OVERVIEW_PNG.name
        page.screenshot(path=str(overview), full_page=True)
    finally:
        context.close()
    if os.environ.get("MAILER_DOCS_SCREENSHOTS") == "1":
        CAMPAIGN_PNG.write_bytes(fresh.read_bytes())
        OVERVIEW_PNG.write_bytes(overview.read_bytes())
    for png in (CAMPAIGN_PNG, OVERVIEW_PNG):
        assert png.exists(), "run: MAILER_DOCS_SCREENSHOTS=1 make docs-screenshots"
        assert png_size(png)[0] == WIDTH
    docs = (DOCS / "web.md").read_text(encoding="utf-8")
    assert "(web-campaign.png)" in docs and "(img/overview.png)" in docs
