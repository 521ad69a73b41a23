"""The report pages, their CSV and JSON, and the overview, through the test client."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import WebClient

from mailer import auth
from mailer.users import User
from tests.report_fixtures import seed_reports

pytest_plugins = ["web_fixtures"]


@pytest.fixture
def seeded(session_factory: sessionmaker[Session]) -> object:
    with session_factory() as s:
        return seed_reports(s)


def test_campaign_report_page_shows_the_numbers_and_a_chart_with_its_table(
    admin_client: WebClient, seeded: object
) -> None:
    page = admin_client.get(f"/reports/campaigns/{seeded.campaign_id}")  # type: ignore[attr-defined]
    assert page.status_code == 200
    html = page.get_data(True)
    assert '<dd data-count="recipients">60</dd>' in html
    assert '<dd data-count="failed">1</dd>' in html
    assert "<svg" in html and 'role="img"' in html and "<table>" in html
    assert "Needs attention" in html  # 1 complaint in 59 and 2 hard bounces in 60
    assert "<script" not in html.split("</main>")[0].split("<main")[1]
    assert page.headers["Cache-Control"] == "no-store"


def test_report_csv_is_spreadsheet_safe_and_equals_the_json(
    admin_client: WebClient, seeded: object, session_factory: sessionmaker[Session]
) -> None:
    cid = seeded.campaign_id  # type: ignore[attr-defined]
    body = admin_client.get(f"/reports/campaigns/{cid}.csv").get_data(True)
    rows = {r[0]: r[1] for r in csv.reader(io.StringIO(body)) if len(r) >= 2}
    with session_factory() as s:
        token = auth.issue_api_token(s.get(User, 1))  # type: ignore[arg-type]
        s.commit()
    data = admin_client.get(
        f"/api/v1/campaigns/{cid}/report", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    for key in ("recipients", "sent", "failed", "bounced", "complained", "unsubscribed"):
        assert int(rows[key]) == data[key]
    assert data["clicks"] == {"tracked": True, "total": 4, "unique": 2}
    assert data["links"][0] == {
        "url": "https://diversity.wustl.edu/womens-history-month",
        "total": 3,
        "unique": 2,
    }
    health = admin_client.get(f"/reports/lists/{seeded.list_id}.csv").get_data(True)  # type: ignore[attr-defined]
    # The subject begins with "=": the guard makes it text, never a formula.
    assert "'=HYPERLINK" in health and ",=HYPERLINK" not in health


def test_list_health_page_charts_against_the_lines(admin_client: WebClient, seeded: object) -> None:
    html = admin_client.get(f"/reports/lists/{seeded.list_id}").get_data(True)  # type: ignore[attr-defined]
    assert '<dd data-count="subscribers">59</dd>' in html
    assert "0.1%: keep under" in html and "0.3%: Gmail" in html
    assert html.count("<svg") == 4 and html.count("<table>") == 4
    assert "by form" in html and "by import" in html


def test_overview_is_the_admin_landing_and_staff_see_it_too(
    admin_client: WebClient, staff_client: WebClient, client: WebClient, seeded: object
) -> None:
    html = admin_client.get("/admin/").get_data(True)
    assert "<h1>Overview</h1>" in html
    assert "School of Medicine news" in html and "HTTP 503" in html  # failing source
    assert "ODEI Weekly: next week" in html  # blocked edition
    assert "Weekly digest:" in html and ("CST" in html or "CDT" in html)  # due next, list time
    assert "Sends that need attention" in html
    assert staff_client.get("/reports/").status_code == 200
    assert client.get("/reports/").status_code == 302  # to the login page


def test_unknown_ids_are_404(admin_client: WebClient, seeded: object) -> None:
    for path in ("/reports/campaigns/999", "/reports/lists/999", "/reports/lists/999.csv"):
        assert admin_client.get(path).status_code == 404


LIST_FORM = {
    "name": "Diversity Grand Rounds",
    "slug": "grand-rounds",
    "description": "",
    "public": "y",
    "double_opt_in": "y",
    "from_name": "",
    "from_email": "",
    "reply_to": "",
    "timezone": "America/Chicago",
    "digest_enabled": "y",
    "digest_weekday": "2",
    "digest_time": "08:30",
    "archive": "y",
}


def test_click_tracking_is_off_by_default_and_switched_in_the_console(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    from sqlalchemy import select

    from subscribers.models import MailingList

    form = admin_client.get("/admin/lists/new").get_data(True)
    assert (
        'name="track_clicks"' in form and "checked" not in form.split('name="track_clicks"')[1][:40]
    )
    assert admin_client.post_form("/admin/lists/new", LIST_FORM).status_code == 302
    with session_factory() as s:
        ml = s.scalar(select(MailingList).where(MailingList.slug == "grand-rounds"))
        assert ml is not None and ml.track_clicks is False
        list_id = ml.id
    edit = {**LIST_FORM, "track_clicks": "y"}
    assert admin_client.post_form(f"/admin/lists/{list_id}", edit).status_code == 302
    with session_factory() as s:
        ml = s.get(MailingList, list_id)
        assert ml is not None and ml.track_clicks is True


def test_the_preference_page_says_which_lists_track_clicks(
    client: WebClient, session_factory: sessionmaker[Session], web_settings: object
) -> None:
    from subscribers.models import MailingList, Subscriber, Subscription
    from subscribers.tokens import TokenSigner

    with session_factory() as s:
        tracked = MailingList(slug="weekly", name="ODEI Weekly", track_clicks=True)
        plain = MailingList(slug="rounds", name="Grand Rounds")
        person = Subscriber(email="ngozi.okafor@wustl.example")
        s.add_all([tracked, plain, person])
        s.flush()
        s.add(Subscription(subscriber_id=person.id, list_id=tracked.id, status="confirmed"))
        s.commit()
        token = TokenSigner(web_settings.signing_key).make("preferences", person.id)  # type: ignore[attr-defined]
    html = client.get(f"/p/{token}").get_data(True)
    weekly = html.split("ODEI Weekly")[1].split("Grand Rounds")[0]
    assert "counts which links you click" in weekly
    assert "does not track which links you click" in html.split("Grand Rounds")[1]


def test_overview_shows_a_standalone_announcement_due_in_the_lists_own_time(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    import datetime as dt

    from web_helpers import add_announcement, add_list

    with session_factory() as s:
        berlin = add_list(s, "berlin-fellows", name="Berlin Fellows", timezone="Europe/Berlin")
        add_announcement(
            s,
            "sam.staff@example.org",
            "Iftar at the Newman Center",
            [berlin],
            status="approved",
            mode="standalone",
            send_at=dt.datetime(2031, 3, 20, 16, 0, tzinfo=dt.UTC),
        )
        s.commit()
    html = admin_client.get("/admin/").get_data(True)
    row = html.split("Berlin Fellows")[1].split("</tr>")[0]
    # 16:00 UTC is 17:00 in Berlin that day (CET), named.
    assert "Announcement “Iftar at the Newman Center”" in row
    assert "Mar 20, 2031 17:00 CET" in row


def test_a_test_copy_redirects_but_counts_nothing_and_one_off_mail_is_never_tracked(
    client: WebClient, session_factory: sessionmaker[Session], web_settings: Any
) -> None:
    import re

    from sqlalchemy import func, select

    from mailer.compose.snapshot import Snapshot
    from mailer.delivery.message import MessageBuilder, Recipient
    from mailer.feedback.clicks import Click
    from tests.helpers import make_campaign, make_list

    with session_factory() as s:
        ml = make_list(s, track_clicks=True)
        campaign = make_campaign(s, ml)
        s.commit()
        snap = Snapshot("s", "", '<a href="https://diversity.wustl.edu/">ODEI</a>', "")
        test_copy = MessageBuilder(snap, ml, web_settings, campaign_id=campaign.id).build(
            Recipient(0, 0, "ada.admin@example.org", "Sample Reader")
        )
        one_off = MessageBuilder(snap, ml, web_settings, campaign_id=0).build(
            Recipient(0, 7, "new.reader@example.org", "")
        )
    assert b"/l/" not in one_off.raw and b"https://diversity.wustl.edu/" in one_off.raw
    raw = test_copy.raw.replace(b"=\r\n", b"").decode()
    (path,) = set(re.findall(r"http://localhost(/l/[^\"\s]+)", raw))
    answer = client.get(
        path, headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"}
    )
    assert (
        answer.status_code == 302 and answer.headers["Location"] == "https://diversity.wustl.edu/"
    )
    with session_factory() as s:
        assert s.scalar(select(func.count(Click.id))) == 0


def test_every_report_route_needs_a_login_and_the_api_a_token(
    app: Any, client: WebClient, seeded: object
) -> None:
    values = {"campaign_id": seeded.campaign_id, "list_id": seeded.list_id}  # type: ignore[attr-defined]
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/reports/", "/api/v1/")) or "GET" not in rule.methods:
            continue
        if rule.arguments - set(values):
            continue
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<int:{name}>", str(values[name]))
        answer = client.get(path)
        if path.startswith("/reports/"):
            assert answer.status_code == 302 and "/login" in answer.headers["Location"], path
        else:
            assert answer.status_code == 401, path
        checked += 1
    assert checked >= 8


def test_overview_marks_only_the_rate_that_is_over_its_line(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    """A send with 3 hard bounces in 100 and no complaint: its bounce rate is over the 2%
    line, its complaint rate (0%) is not, and the page must not say it is."""
    import datetime as dt

    from web_helpers import add_campaign, add_list

    from mailer.db import utcnow
    from mailer.delivery.models import Delivery
    from subscribers.models import BounceRecord, Subscriber

    with session_factory() as s:
        weekly = add_list(s)
        started = utcnow() - dt.timedelta(hours=1)
        sent = add_campaign(s, weekly, f"list-{weekly.id}:2026-W48", started_at=started)
        for n in range(100):
            person = Subscriber(email=f"reader{n}@wustl.example", name=f"Reader {n}")
            s.add(person)
            s.flush()
            status = "bounced" if n < 3 else "sent"
            d = Delivery(campaign_id=sent.id, subscriber_id=person.id, email=person.email,
                         status=status, attempts=1, sent_at=started)  # fmt: skip
            s.add(d)
            s.flush()
            if status == "bounced":
                s.add(BounceRecord(address=person.email, kind="hard", delivery_id=d.id,
                                   source="mailbox"))  # fmt: skip
        s.commit()
    html = admin_client.get("/admin/").get_data(True)
    row = html.split("Last sends", 1)[1].split("</tr>", 2)[1]
    cells = [c.split("</td>")[0] for c in row.split("<td>")[1:]]
    _status, _count, _delivered, bounced, complained, _unsubscribed = cells
    assert "over the line" in bounced and "3" in bounced
    assert complained.startswith("0%") and "over the line" not in complained
