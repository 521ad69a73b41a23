"""Admin console actions: campaign control and test copy, digest start, CSV import with its
report and rejects, export, suppress and forget; feedback webhooks."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import WebClient, add_list, mail_to

from mailer.config import Settings
from mailer.delivery import campaigns
from mailer.delivery.models import Campaign, Delivery
from mailer.feedback.events import Kind
from mailer.web import create_app
from subscribers import lists as list_rules
from subscribers.models import BounceRecord, Subscriber, Subscription, Suppression
from tests.helpers import make_campaign, make_subscribers

pytest_plugins = ["web_fixtures"]


def _post(client: WebClient, path: str, page: str, follow: bool = False, **data: object):  # type: ignore[no-untyped-def]
    return client.post(
        path, data={"csrf_token": client.token(page), **data}, follow_redirects=follow
    )


def test_pause_resume_cancel_follow_the_state_machine(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        weekly = add_list(s)
        make_subscribers(s, weekly, 5)
        campaign = make_campaign(s, weekly)
        campaigns.start(s, campaign)
        s.commit()
        cid = campaign.id
    page = f"/admin/campaigns/{cid}"

    def status() -> str:
        with session_factory() as s:
            return s.get(Campaign, cid).status  # type: ignore[union-attr]

    assert "Pause sending" in admin_client.get(page).get_data(as_text=True)
    assert admin_client.post(f"{page}/pause").status_code == 400  # no CSRF token
    assert status() == "sending"
    assert _post(admin_client, f"{page}/pause", page).status_code == 302
    assert status() == "paused"
    assert "Resume sending" in admin_client.get(page).get_data(as_text=True)
    r = _post(admin_client, f"{page}/pause", page, follow=True)
    assert "only a sending one can be paused" in r.get_data(as_text=True)
    assert _post(admin_client, f"{page}/resume", page).status_code == 302
    assert status() == "sending"
    assert _post(admin_client, f"{page}/cancel", page).status_code == 302
    assert status() == "sending"  # not without ticking the confirmation
    assert _post(admin_client, f"{page}/cancel", page, confirm="yes").status_code == 302
    assert status() == "cancelled"


def test_test_copy_goes_to_the_address_through_the_backend(
    admin_client: WebClient, session_factory: sessionmaker[Session], outbox: Path
) -> None:
    with session_factory() as s:
        weekly = add_list(s)
        campaign = make_campaign(s, weekly)
        s.commit()
        cid = campaign.id
    page = f"/admin/campaigns/{cid}"
    r = _post(admin_client, f"{page}/test", page, address="not an address")
    assert r.status_code == 400 and 'id="address-error"' in r.get_data(as_text=True)
    assert _post(admin_client, f"{page}/test", page, address="ada@wustl.example").status_code == 302
    message = mail_to(outbox, "ada@wustl.example")
    assert message["Subject"] == "ODEI Weekly — March 8, 2027"
    assert "Hi Sample Reader" in message.get_body(("plain",)).get_content()
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_admin_creates_and_starts_this_weeks_digest_once(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        weekly = add_list(s)
        make_subscribers(s, weekly, 3)
        s.commit()
        list_id = weekly.id
        key = campaigns.edition_key(weekly, list_rules.list_today(weekly))
    confirm = f"/admin/lists/{list_id}/digest"
    page = admin_client.get(confirm).get_data(as_text=True)
    assert "3 recipients" in page
    r = _post(admin_client, confirm, confirm, edition=key)
    assert r.status_code == 302
    with session_factory() as s:
        campaign = s.scalar(select(Campaign))
        if campaign is None:  # nothing to say this week: the page said it was skipped
            assert r.headers["Location"].endswith("/admin/lists/")
            return
        assert campaign.status == "sending"
        assert s.scalar(select(func.count(Delivery.id))) == 3
    _post(admin_client, confirm, confirm, edition=key)
    with session_factory() as s:
        assert s.scalar(select(func.count(Campaign.id))) == 1
        assert s.scalar(select(func.count(Delivery.id))) == 3


CSV = (
    "email,name,department\r\n"
    "jakayla.folarin@wustl.example,Jakayla Folarin-Hines,Medicine\r\n"
    "not-an-address,Nobody,\r\n"
    "JAKAYLA.folarin@wustl.example,Again,\r\n"
    "victora.brings@wustl.example,Victora Brings,Surgery\r\n"
)


def test_import_shows_the_report_and_offers_the_rejects(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        add_list(s)
        s.commit()
    page = "/admin/subscribers/import"
    r = admin_client.post(
        page,
        data={"csrf_token": admin_client.token(page), "mailing_list": "odei-weekly"},
        content_type="multipart/form-data",
    )
    assert r.status_code == 400 and "Choose a CSV file." in r.get_data(as_text=True)
    r = admin_client.post(
        page,
        data={
            "csrf_token": admin_client.token(page),
            "mailing_list": "odei-weekly",
            "confirmed": "y",
            "file": (io.BytesIO(CSV.encode()), "members.csv"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "imported 2, updated 0, unchanged 0, rejected 2" in html
    assert "duplicate of line 2" in html
    link = html.split('href="/admin/subscribers/import/', 1)[1].split('"', 1)[0]
    rejects = admin_client.get("/admin/subscribers/import/" + link)
    assert rejects.status_code == 200 and rejects.mimetype == "text/csv"
    assert "not-an-address" in rejects.get_data(as_text=True)
    with session_factory() as s:
        assert (
            s.scalar(select(func.count(Subscription.id)).where(Subscription.status == "confirmed"))
            == 2
        )
    # A broken file is refused as a whole, next to the field.
    r = admin_client.post(
        page,
        data={
            "csrf_token": admin_client.token(page),
            "mailing_list": "odei-weekly",
            "file": (io.BytesIO(b""), "empty.csv"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 400 and "empty.csv: the file is empty" in r.get_data(as_text=True)
    assert admin_client.get("/admin/subscribers/import/not-a-key/rejects.csv").status_code == 404
    export = admin_client.get("/admin/subscribers/export?list=odei-weekly")
    assert export.status_code == 200
    lines = export.get_data(as_text=True).splitlines()
    assert lines[0].startswith("email,name,status") and len(lines) == 3


def test_suppress_and_forget_a_person(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        weekly = add_list(s)
        (person,) = make_subscribers(s, weekly, 1)
        s.commit()
        pid, email = person.id, person.email
    page = f"/admin/subscribers/{pid}"
    assert _post(admin_client, f"{page}/suppress", page, note="asked by phone").status_code == 302
    with session_factory() as s:
        assert s.scalar(select(Suppression.reason).where(Suppression.address == email)) == "manual"
    assert _post(admin_client, f"{page}/unsuppress", page).status_code == 302
    r = _post(admin_client, f"{page}/forget", page, confirm_email="someone@else.example")
    assert r.status_code == 400 and "Type the subscriber" in r.get_data(as_text=True)
    with session_factory() as s:
        assert s.get(Subscriber, pid) is not None
    assert _post(admin_client, f"{page}/forget", page, confirm_email=email).status_code == 302
    with session_factory() as s:
        assert s.get(Subscriber, pid) is None
        assert s.scalar(select(Suppression.address)).startswith("sha256:")  # type: ignore[union-attr]


def _reader(factory: sessionmaker[Session], address: str) -> None:
    from subscribers.service import add_subscriber

    with factory() as s:
        add_subscriber(s, add_list(s, "hooks-test"), address, confirmed=True)
        s.commit()


def test_postmark_webhook_needs_its_credentials_and_applies_events(
    client: WebClient,
    session_factory: sessionmaker[Session],
) -> None:
    import pytest

    _reader(session_factory, "gone@wustl.example")  # feedback suppresses only subscribers
    mp = pytest.MonkeyPatch()  # credentials from the environment, as documented
    mp.setenv("MAILER_POSTMARK_WEBHOOK_USER", "postmark")
    mp.setenv("MAILER_POSTMARK_WEBHOOK_PASSWORD", "s3cret-hook")
    try:
        event = {
            "RecordType": "Bounce",
            "Type": "HardBounce",
            "TypeCode": 1,
            "Email": "gone@wustl.example",
            "Details": "smtp; 550 5.1.1 The email account that you tried to reach does not exist",
            "BouncedAt": "2026-03-02T10:00:00Z",
        }
        body = json.dumps(event)
        assert client.post("/hooks/postmark", data=body).status_code == 403
        wrong = base64.b64encode(b"postmark:nope").decode()
        r = client.post("/hooks/postmark", data=body, headers={"Authorization": f"Basic {wrong}"})
        assert r.status_code == 403
        with session_factory() as s:
            assert s.scalar(select(func.count(BounceRecord.id))) == 0
        good = base64.b64encode(b"postmark:s3cret-hook").decode()
        r = client.post(
            "/hooks/postmark",
            data=body,
            headers={"Authorization": f"Basic {good}", "Content-Type": "application/json"},
        )
        assert r.status_code == 200, r.get_data(as_text=True)
        assert r.get_json()["recorded"] == 1
        with session_factory() as s:
            record = s.scalar(select(BounceRecord))
            assert record is not None and record.kind == Kind.HARD.value
            assert s.scalar(select(Suppression.reason)) == "hard_bounce"
        assert client.post("/hooks/nosuch", data=body).status_code == 404
    finally:
        mp.undo()


def test_sendgrid_and_mailgun_webhooks_check_signatures_from_settings(
    web_settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    from tests.test_feedback_webhooks import (
        MAILGUN_FAILED,
        MAILGUN_KEY,
        PUBLIC_B64,
        SENDGRID_EVENTS,
        _mailgun_body,
        _sendgrid_headers,
    )

    _reader(session_factory, "priya.patel@wustl.example")  # only subscribers are suppressed
    app = create_app(
        web_settings.replace(
            sendgrid_webhook_public_key=PUBLIC_B64, mailgun_webhook_signing_key=MAILGUN_KEY
        )
    )
    try:
        client = app.test_client()
        body = json.dumps(SENDGRID_EVENTS).encode()
        headers = _sendgrid_headers(body)
        tampered = body.replace(b"5.1.1", b"5.1.2")
        assert client.post("/hooks/sendgrid", data=tampered, headers=headers).status_code == 403
        r = client.post("/hooks/sendgrid", data=body, headers=headers)
        assert r.status_code == 200 and r.get_json()["recorded"] == 5
        forged = _mailgun_body(MAILGUN_FAILED, key="not-the-key")
        r = client.post("/hooks/mailgun", data=forged, content_type="application/json")
        assert r.status_code == 403
        r = client.post(
            "/hooks/mailgun", data=_mailgun_body(MAILGUN_FAILED), content_type="application/json"
        )
        assert r.status_code == 200 and r.get_json()["recorded"] == 1
        with session_factory() as s:
            assert s.scalar(select(func.count(BounceRecord.id))) == 6
            hard = s.scalar(
                select(Suppression.reason).where(Suppression.address == "priya.patel@wustl.example")
            )
            assert hard == "hard_bounce"
    finally:
        app.extensions["mailer.engine"].dispose()
