"""Mailgun webhooks: HMAC-SHA256 of timestamp + token with the webhook signing key.

The key is the "HTTP webhook signing key" of the Mailgun domain, read from
``MAILER_MAILGUN_WEBHOOK_SIGNING_KEY``. A request older than ten minutes is
refused, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from mailer.feedback.classify import classify, find_status
from mailer.feedback.events import FeedbackEvent, Kind
from mailer.feedback.webhooks._common import WebhookRejected, int_or_none, secret

MAX_AGE = 600


def verify_mailgun(
    signature: Mapping[str, Any], settings: Any, *, now: float | None = None
) -> None:
    key = secret(settings, "mailgun_webhook_signing_key")
    if not key:
        raise WebhookRejected("Mailgun webhook: no signing key configured")
    timestamp = str(signature.get("timestamp", ""))
    token = str(signature.get("token", ""))
    given = str(signature.get("signature", ""))
    stamp = int_or_none(timestamp)
    if stamp is None or not token or abs((now or time.time()) - stamp) > MAX_AGE:
        raise WebhookRejected("Mailgun webhook: stale or malformed signature")
    expected = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given):
        raise WebhookRejected("Mailgun webhook: bad signature")


def _event(data: Mapping[str, Any]) -> FeedbackEvent | None:
    name = str(data.get("event", ""))
    status_info = data.get("delivery-status") or {}
    diagnostic = " ".join(
        str(status_info.get(k, ""))
        for k in ("code", "message", "description")
        if status_info.get(k)
    )
    status = str(status_info.get("enhanced-code", "") or find_status(diagnostic))
    if name == "failed":
        permanent = data.get("severity") == "permanent"
        if data.get("reason") == "suppress-bounce":
            kind = Kind.HARD
        else:
            kind = classify(status, diagnostic, permanent=permanent)
            if not permanent and kind == Kind.HARD:
                kind = Kind.SOFT
    elif name == "complained":
        kind = Kind.COMPLAINT
    elif name == "unsubscribed":
        kind = Kind.UNSUBSCRIBE
    else:
        return None
    headers = (data.get("message") or {}).get("headers") or {}
    message_id = str(headers.get("message-id", "") or "")
    if message_id and not message_id.startswith("<"):
        message_id = f"<{message_id}>"
    variables = data.get("user-variables") or {}
    return FeedbackEvent(
        kind,
        str(data.get("recipient", "")),
        delivery_id=int_or_none(variables.get("delivery_id")),
        message_id=message_id,
        status_code=status,
        diagnostic=diagnostic[:1000],
        source="mailgun",
        signed=True,  # only built after the request's signature or credentials checked out
        raw=json.dumps(data, indent=1, ensure_ascii=False),
    )


def parse_mailgun_webhook(
    headers: Mapping[str, str], body: bytes, settings: Any, *, now: float | None = None
) -> list[FeedbackEvent]:
    try:
        payload = json.loads(body)
    except ValueError:
        raise WebhookRejected("Mailgun webhook: the body is not JSON") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("signature"), dict):
        raise WebhookRejected("Mailgun webhook: no signature in the body")
    verify_mailgun(payload["signature"], settings, now=now)
    event = _event(payload.get("event-data") or {})
    return [event] if event is not None else []
