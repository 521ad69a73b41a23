"""SendGrid Event Webhook, signed (ECDSA P-256 over timestamp + raw body).

SendGrid signs ``timestamp || body`` with its private key; we verify with the
public key from the Mail Settings page (base64 DER, or PEM), read from
``MAILER_SENDGRID_WEBHOOK_PUBLIC_KEY``. Headers:
``X-Twilio-Email-Event-Webhook-Signature`` and ``-Timestamp``.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mailer.feedback.classify import classify, find_status
from mailer.feedback.events import FeedbackEvent, Kind
from mailer.feedback.webhooks._common import WebhookRejected, header, int_or_none, secret

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
MAX_AGE = 600

_DROPPED = {
    "bounced address": Kind.HARD,
    "invalid": Kind.HARD,
    "spam reporting address": Kind.COMPLAINT,
    "unsubscribed address": Kind.UNSUBSCRIBE,
}


def _public_key(text: str) -> ec.EllipticCurvePublicKey:
    try:
        if "BEGIN PUBLIC KEY" in text:
            key = serialization.load_pem_public_key(text.encode())
        else:
            key = serialization.load_der_public_key(base64.b64decode(text))
    except (ValueError, binascii.Error) as exc:
        raise WebhookRejected(f"MAILER_SENDGRID_WEBHOOK_PUBLIC_KEY is not a key: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise WebhookRejected("MAILER_SENDGRID_WEBHOOK_PUBLIC_KEY is not an ECDSA key")
    return key


def verify_sendgrid(
    headers: Mapping[str, str], body: bytes, settings: Any, *, now: float | None = None
) -> None:
    key_text = secret(settings, "sendgrid_webhook_public_key")
    if not key_text:
        raise WebhookRejected("SendGrid webhook: no public key configured")
    signature = header(headers, SIGNATURE_HEADER)
    timestamp = header(headers, TIMESTAMP_HEADER)
    if not signature or not timestamp:
        raise WebhookRejected("SendGrid webhook: signature headers missing")
    stamp = int_or_none(timestamp)
    if stamp is None or abs((now or time.time()) - stamp) > MAX_AGE:
        raise WebhookRejected("SendGrid webhook: stale or malformed timestamp")
    try:
        _public_key(key_text).verify(
            base64.b64decode(signature), timestamp.encode() + body, ec.ECDSA(hashes.SHA256())
        )
    except (InvalidSignature, binascii.Error, ValueError):
        raise WebhookRejected("SendGrid webhook: bad signature") from None


def _event(item: dict[str, Any]) -> FeedbackEvent | None:
    name = str(item.get("event", ""))
    reason = str(item.get("reason", "") or item.get("response", ""))
    status = str(item.get("status", "") or find_status(reason))
    if name == "bounce":
        kind = classify(status, reason, permanent=True)
        if item.get("type") == "blocked" and kind == Kind.HARD:
            kind = Kind.SOFT  # SendGrid's "blocked": the receiver refused for now
    elif name == "dropped":
        found = _DROPPED.get(reason.strip().lower())
        if found is None:
            return None
        kind = found
    elif name == "spamreport":
        kind = Kind.COMPLAINT
    elif name in ("unsubscribe", "group_unsubscribe"):
        kind = Kind.UNSUBSCRIBE
    else:
        return None  # processed, delivered, deferred, open, click: not feedback
    message_id = str(item.get("smtp-id", "") or "")
    return FeedbackEvent(
        kind,
        str(item.get("email", "")),
        delivery_id=int_or_none(item.get("delivery_id")),
        message_id=message_id if message_id.startswith("<") else "",
        status_code=status,
        diagnostic=reason[:1000],
        source="sendgrid",
        signed=True,  # only built after the request's signature or credentials checked out
        raw=json.dumps(item, indent=1, ensure_ascii=False),
        extra={"sg_event_id": str(item.get("sg_event_id", ""))},
    )


def parse_sendgrid_webhook(
    headers: Mapping[str, str], body: bytes, settings: Any, *, now: float | None = None
) -> list[FeedbackEvent]:
    verify_sendgrid(headers, body, settings, now=now)
    try:
        items = json.loads(body)
    except ValueError:
        raise WebhookRejected("SendGrid webhook: the body is not JSON") from None
    if not isinstance(items, list):
        raise WebhookRejected("SendGrid webhook: expected a JSON array of events")
    return [e for item in items if isinstance(item, dict) and (e := _event(item))]
