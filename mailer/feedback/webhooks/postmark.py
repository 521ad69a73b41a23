"""Postmark webhooks: no signature, so the URL carries basic-auth credentials.

Configure the webhook URL as ``https://USER:PASSWORD@host/...`` in Postmark
and set ``MAILER_POSTMARK_WEBHOOK_USER`` and ``MAILER_POSTMARK_WEBHOOK_PASSWORD``;
a request without those exact credentials is refused.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Mapping
from typing import Any

from mailer.feedback.classify import classify, find_status
from mailer.feedback.events import FeedbackEvent, Kind
from mailer.feedback.webhooks._common import WebhookRejected, header, int_or_none, secret

_BOUNCE_TYPES = {
    "HardBounce": None,  # permanent; the code decides hard or policy
    "BadEmailAddress": Kind.HARD,
    "SoftBounce": Kind.SOFT,
    "Transient": Kind.SOFT,
    "DnsError": Kind.SOFT,
    "Blocked": Kind.POLICY,
    "SpamNotification": Kind.COMPLAINT,
    "SpamComplaint": Kind.COMPLAINT,
    "Unsubscribe": Kind.UNSUBSCRIBE,
}


def verify_postmark(headers: Mapping[str, str], settings: Any) -> None:
    user = secret(settings, "postmark_webhook_user")
    password = secret(settings, "postmark_webhook_password")
    if not user or not password:
        raise WebhookRejected("Postmark webhook: no credentials configured")
    auth = header(headers, "Authorization")
    if not auth.lower().startswith("basic "):
        raise WebhookRejected("Postmark webhook: credentials missing")
    try:
        given = base64.b64decode(auth[6:].strip(), validate=True)
    except (binascii.Error, ValueError):
        raise WebhookRejected("Postmark webhook: malformed credentials") from None
    if not hmac.compare_digest(given, f"{user}:{password}".encode()):
        raise WebhookRejected("Postmark webhook: wrong credentials")


def parse_postmark_webhook(
    headers: Mapping[str, str], body: bytes, settings: Any
) -> list[FeedbackEvent]:
    verify_postmark(headers, settings)
    try:
        item = json.loads(body)
    except ValueError:
        raise WebhookRejected("Postmark webhook: the body is not JSON") from None
    if not isinstance(item, dict):
        raise WebhookRejected("Postmark webhook: expected one JSON object")
    record = item.get("RecordType")
    details = " ".join(str(item.get(k, "")) for k in ("Description", "Details") if item.get(k))
    status = find_status(details)
    if record == "Bounce":
        bounce_type = str(item.get("Type", ""))
        if bounce_type not in _BOUNCE_TYPES:
            return []  # AutoResponder, ManuallyDeactivated, ...: nothing about the reader
        kind = _BOUNCE_TYPES[bounce_type] or classify(status, details, permanent=True)
    elif record == "SpamComplaint":
        kind = Kind.COMPLAINT
    elif record == "SubscriptionChange":
        # Bounces and complaints arrive as their own records; only a reader's own
        # unsubscribe through Postmark's link matters here.
        if not item.get("SuppressSending") or item.get("SuppressionReason") != "ManualSuppression":
            return []
        kind = Kind.UNSUBSCRIBE
    else:
        return []
    metadata = item.get("Metadata") or {}
    return [
        FeedbackEvent(
            kind,
            str(item.get("Email", "") or item.get("Recipient", "")),
            delivery_id=int_or_none(metadata.get("delivery_id")),
            status_code=status,
            diagnostic=details[:1000],
            source="postmark",
            signed=True,  # only built after the request's signature or credentials checked out
            raw=json.dumps(item, indent=1, ensure_ascii=False),
            extra={"postmark_id": str(item.get("MessageID", ""))},
        )
    ]
