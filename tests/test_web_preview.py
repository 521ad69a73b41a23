"""The staff's digest preview shows the NEXT edition (not the one already sent) and takes a
date (issue 13, requirement 6)."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy.orm import Session, sessionmaker
from web_helpers import WebClient, add_announcement, add_list, start_digest

from mailer.db import utcnow
from mailer.delivery import campaigns
from mailer.scheduling.digests import next_due
from mailer.users import User
from subscribers import lists as list_rules
from subscribers.models import MailingList
from tests.helpers import make_campaign, make_subscribers

pytest_plugins = ["web_fixtures"]


def _edition_date(page: str) -> str:
    match = re.search(r'<dd data-field="edition_date">.*?datetime="([0-9-]+)"', page)
    assert match, "no edition date on the page"
    return match.group(1)


def test_after_this_weeks_edition_went_out_the_preview_is_the_next_one(
    admin_client: WebClient, staff: User, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        weekly = add_list(s, timezone="America/Chicago", digest_weekday=0, digest_time="07:00")
        make_subscribers(s, weekly, 2)
        add_announcement(s, staff.email, "Heritage month lunch", [weekly], status="approved")
        s.commit()
        list_id = weekly.id
    r = start_digest(admin_client, list_id)  # this week's edition goes out, with the lunch
    assert r.status_code == 302 and "/admin/campaigns/" in r.headers["Location"]
    with session_factory() as s:
        # Approved after that edition was made: it belongs in the next one.
        weekly = s.get(MailingList, list_id)
        assert weekly is not None
        add_announcement(s, staff.email, "Lunar New Year reception", [weekly], status="approved")
        s.commit()
        this_week = list_rules.list_today(weekly)
        due = next_due(weekly, utcnow()).astimezone(dt.UTC)
    page = admin_client.get("/staff/digest/odei-weekly").get_data(as_text=True)
    shown = dt.date.fromisoformat(_edition_date(page))
    assert shown.isocalendar()[:2] != this_week.isocalendar()[:2]  # not the edition sent
    assert shown > this_week and shown.weekday() == 0
    assert shown <= due.date() + dt.timedelta(days=7)
    assert "stored campaign" not in page and "rendered now" in page
    html = admin_client.get("/staff/digest/odei-weekly/content").get_data(as_text=True)
    assert "Lunar New Year reception" in html
    assert "Heritage month lunch" not in html  # it went out already


def test_a_draft_of_the_coming_edition_is_what_is_previewed(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        weekly = add_list(s, timezone="America/Chicago")
        on = next_due(weekly, utcnow()).astimezone(dt.UTC).date()
        draft = make_campaign(s, weekly, campaigns.edition_key(weekly, on))
        draft.edition_date = on
        draft.subject = "The drafted one"
        s.commit()
        cid = draft.id
    page = admin_client.get("/staff/digest/odei-weekly").get_data(as_text=True)
    assert f"stored campaign {cid} (draft)" in page and "The drafted one" in page


def test_the_preview_takes_a_date(
    admin_client: WebClient, staff: User, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        weekly = add_list(s, timezone="America/Chicago")
        add_announcement(s, staff.email, "Heritage month lunch", [weekly], status="approved")
        s.commit()
    day = (utcnow() + dt.timedelta(days=30)).date()
    r = admin_client.get(f"/staff/digest/odei-weekly?date={day.isoformat()}")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert _edition_date(page) == day.isoformat()
    # The form to pick it, and the frame showing the same date.
    assert 'type="date"' in page and 'name="date"' in page
    assert f"/staff/digest/odei-weekly/content?date={day.isoformat()}" in page
    content = admin_client.get(f"/staff/digest/odei-weekly/content?date={day.isoformat()}")
    assert content.status_code == 200 and "Heritage month lunch" in content.get_data(as_text=True)
    for bad in (
        "2026-13-01",
        "tomorrow",
        "99999-01-01",
        "1999-01-01",
        "\uff12\uff10\uff12\uff16-01-01",
    ):
        assert admin_client.get(f"/staff/digest/odei-weekly?date={bad}").status_code == 400, bad
        assert (
            admin_client.get(f"/staff/digest/odei-weekly/content?date={bad}").status_code == 400
        ), bad
