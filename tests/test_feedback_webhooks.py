"""SendGrid, Mailgun and Postmark webhooks: signatures checked, events mapped and applied."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer.config import Settings
from mailer.feedback.apply import apply_feedback
from mailer.feedback.events import Kind
from mailer.feedback.webhooks import (
    WebhookRejected,
    parse_mailgun_webhook,
    parse_postmark_webhook,
    parse_sendgrid_webhook,
)
from subscribers.models import MailingList, Subscription, Suppression
from subscribers.service import add_subscriber

PRIVATE = ec.generate_private_key(ec.SECP256R1())
PUBLIC_B64 = base64.b64encode(
    PRIVATE.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()
MAILGUN_KEY = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
HOOKS = SimpleNamespace(
    sendgrid_webhook_public_key=PUBLIC_B64,
    mailgun_webhook_signing_key=MAILGUN_KEY,
    postmark_webhook_user="postmark",
    postmark_webhook_password="s3cret-hook-pass",
)

SENDGRID_EVENTS = [
    {
        "email": "priya.patel@wustl.example",
        "timestamp": 1804597512,
        "smtp-id": "<173000000001.41.2715@mailer.example.org>",
        "event": "bounce",
        "type": "bounce",
        "bounce_classification": "Invalid Address",
        "reason": "550 5.1.1 The email account that you tried to reach does not exist.",
        "status": "5.1.1",
        "sg_event_id": "ZHJvcC0xMjM0",
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        "delivery_id": "41",
    },
    {
        "email": "wei.chen@gmail.example",
        "event": "bounce",
        "type": "blocked",
        "reason": "550 5.7.26 This mail has been blocked because the sender is unauthenticated.",
        "status": "5.7.26",
    },
    {"email": "aisha.khan@gmail.example", "event": "spamreport", "sg_event_id": "c3BhbQ"},
    {"email": "lee.jordan@yahoo.example", "event": "group_unsubscribe", "asm_group_id": 10},
    {"email": "kofi.mensah@example.net", "event": "dropped", "reason": "Bounced Address"},
    {"email": "ana.ruiz@wustl.example", "event": "delivered", "response": "250 OK"},
    {"email": "ana.ruiz@wustl.example", "event": "deferred", "response": "421 try later"},
]


def _sendgrid_headers(body: bytes, timestamp: str | None = None) -> dict[str, str]:
    timestamp = timestamp or str(int(time.time()))
    signature = PRIVATE.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
        "Content-Type": "application/json",
    }


def test_sendgrid_signed_events_are_mapped() -> None:
    body = json.dumps(SENDGRID_EVENTS).encode()
    events = parse_sendgrid_webhook(_sendgrid_headers(body), body, HOOKS)
    assert [(e.kind, e.address) for e in events] == [
        (Kind.HARD, "priya.patel@wustl.example"),
        (Kind.POLICY, "wei.chen@gmail.example"),
        (Kind.COMPLAINT, "aisha.khan@gmail.example"),
        (Kind.UNSUBSCRIBE, "lee.jordan@yahoo.example"),
        (Kind.HARD, "kofi.mensah@example.net"),
    ]
    assert events[0].delivery_id == 41
    assert events[0].message_id == "<173000000001.41.2715@mailer.example.org>"


def test_sendgrid_rejects_tampering_staleness_and_missing_key() -> None:
    body = json.dumps(SENDGRID_EVENTS).encode()
    headers = _sendgrid_headers(body)
    with pytest.raises(WebhookRejected, match="bad signature"):
        parse_sendgrid_webhook(headers, body.replace(b"5.1.1", b"5.1.2"), HOOKS)
    old = _sendgrid_headers(body, str(int(time.time()) - 3600))
    with pytest.raises(WebhookRejected, match="stale"):
        parse_sendgrid_webhook(old, body, HOOKS)
    with pytest.raises(WebhookRejected, match="missing"):
        parse_sendgrid_webhook({}, body, HOOKS)
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    foreign = SimpleNamespace(
        sendgrid_webhook_public_key=other.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
    )
    with pytest.raises(WebhookRejected, match="bad signature"):
        parse_sendgrid_webhook(headers, body, foreign)
    with pytest.raises(WebhookRejected, match="no public key"):
        parse_sendgrid_webhook(headers, body, SimpleNamespace())


def _mailgun_body(event_data: dict, *, key: str = MAILGUN_KEY, age: int = 0) -> bytes:
    timestamp = str(int(time.time()) - age)
    token = "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0"
    signature = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    return json.dumps(
        {
            "signature": {"timestamp": timestamp, "token": token, "signature": signature},
            "event-data": event_data,
        }
    ).encode()


MAILGUN_FAILED = {
    "event": "failed",
    "id": "G9Bn5sl1TC6nu79C8C0bwg",
    "timestamp": 1804597512.4,
    "severity": "permanent",
    "reason": "bounce",
    "recipient": "priya.patel@wustl.example",
    "delivery-status": {
        "code": 550,
        "message": "5.1.1 The email account that you tried to reach does not exist",
        "description": "",
        "attempt-no": 1,
    },
    "message": {"headers": {"message-id": "173000000001.41.2715@mailer.example.org"}},
    "user-variables": {"delivery_id": "41"},
}


def test_mailgun_signed_events_are_mapped() -> None:
    (hard,) = parse_mailgun_webhook({}, _mailgun_body(MAILGUN_FAILED), HOOKS)
    assert (hard.kind, hard.address, hard.status_code, hard.delivery_id) == (
        Kind.HARD,
        "priya.patel@wustl.example",
        "5.1.1",
        41,
    )
    assert hard.message_id == "<173000000001.41.2715@mailer.example.org>"
    temporary = {
        **MAILGUN_FAILED,
        "severity": "temporary",
        "delivery-status": {"code": 452, "message": "4.2.2 mailbox full"},
    }
    (soft,) = parse_mailgun_webhook({}, _mailgun_body(temporary), HOOKS)
    assert soft.kind == Kind.SOFT
    complained = {"event": "complained", "recipient": "aisha.khan@gmail.example"}
    assert parse_mailgun_webhook({}, _mailgun_body(complained), HOOKS)[0].kind == Kind.COMPLAINT
    unsub = {"event": "unsubscribed", "recipient": "lee.jordan@yahoo.example"}
    assert parse_mailgun_webhook({}, _mailgun_body(unsub), HOOKS)[0].kind == Kind.UNSUBSCRIBE
    assert parse_mailgun_webhook({}, _mailgun_body({"event": "opened"}), HOOKS) == []


def test_mailgun_rejects_bad_signature_and_replays() -> None:
    with pytest.raises(WebhookRejected, match="bad signature"):
        parse_mailgun_webhook({}, _mailgun_body(MAILGUN_FAILED, key="wrong-key"), HOOKS)
    with pytest.raises(WebhookRejected, match="stale"):
        parse_mailgun_webhook({}, _mailgun_body(MAILGUN_FAILED, age=3600), HOOKS)
    with pytest.raises(WebhookRejected, match="no signature"):
        parse_mailgun_webhook({}, json.dumps({"event-data": MAILGUN_FAILED}).encode(), HOOKS)


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


POSTMARK_BOUNCE = {
    "RecordType": "Bounce",
    "ID": 4323372036854775807,
    "Type": "HardBounce",
    "TypeCode": 1,
    "Name": "Hard bounce",
    "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
    "Description": (
        "The server was unable to deliver your message (ex: unknown user, mailbox not found)."
    ),
    "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
    "Email": "priya.patel@wustl.example",
    "From": "odei-news@example.org",
    "BouncedAt": "2027-03-08T13:05:12Z",
    "Metadata": {"delivery_id": "41"},
    "MessageStream": "broadcast",
}


def test_postmark_with_credentials_is_mapped() -> None:
    auth = _basic("postmark", "s3cret-hook-pass")
    (hard,) = parse_postmark_webhook(auth, json.dumps(POSTMARK_BOUNCE).encode(), HOOKS)
    assert (hard.kind, hard.status_code, hard.delivery_id) == (Kind.HARD, "5.1.1", 41)
    blocked = {**POSTMARK_BOUNCE, "Type": "Blocked", "Details": "550 5.7.1 spam blocked"}
    assert parse_postmark_webhook(auth, json.dumps(blocked).encode(), HOOKS)[0].kind == Kind.POLICY
    complaint = {"RecordType": "SpamComplaint", "Type": "SpamComplaint", "Email": "a@b.example"}
    kinds = parse_postmark_webhook(auth, json.dumps(complaint).encode(), HOOKS)
    assert kinds[0].kind == Kind.COMPLAINT
    change = {
        "RecordType": "SubscriptionChange",
        "Recipient": "lee.jordan@yahoo.example",
        "SuppressSending": True,
        "SuppressionReason": "ManualSuppression",
    }
    assert parse_postmark_webhook(auth, json.dumps(change).encode(), HOOKS)[0].kind == (
        Kind.UNSUBSCRIBE
    )
    auto = {**POSTMARK_BOUNCE, "Type": "AutoResponder"}
    assert parse_postmark_webhook(auth, json.dumps(auto).encode(), HOOKS) == []


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic !!!"}, {"authorization": "Basic cG9zdG1hcms6d3Jvbmc="}],
)
def test_postmark_without_right_credentials_is_refused(headers: dict[str, str]) -> None:
    with pytest.raises(WebhookRejected):
        parse_postmark_webhook(headers, json.dumps(POSTMARK_BOUNCE).encode(), HOOKS)


def test_webhook_events_change_the_audience(session: Session, settings: Settings) -> None:
    weekly = MailingList(slug="weekly", name="ODEI Weekly")
    session.add(weekly)
    session.flush()
    for email in (
        "priya.patel@wustl.example",
        "aisha.khan@gmail.example",
        "wei.chen@gmail.example",
    ):
        add_subscriber(session, weekly, email, confirmed=True)
    body = json.dumps(SENDGRID_EVENTS[:3]).encode()
    events = parse_sendgrid_webhook(_sendgrid_headers(body), body, HOOKS)
    for e in events:
        e.delivery_id = None  # no such delivery in this test: the address decides
    apply_feedback(session, events, settings)
    session.commit()
    reasons = dict(session.execute(select(Suppression.address, Suppression.reason)).all())
    assert reasons == {
        "priya.patel@wustl.example": "hard_bounce",
        "aisha.khan@gmail.example": "complaint",
    }
    statuses = dict(
        session.execute(
            select(Subscription.subscriber_id, Subscription.status).order_by(Subscription.id)
        ).all()
    )
    assert sorted(statuses.values()) == ["confirmed", "confirmed", "unsubscribed"]
