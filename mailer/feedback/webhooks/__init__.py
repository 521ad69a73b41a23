"""Provider webhooks: each provider is one module with one function.

``parse_<provider>_webhook(headers, body, settings) -> list[FeedbackEvent]``
verifies the request (SendGrid's ECDSA signature, Mailgun's HMAC, Postmark's
basic-auth credentials) and turns the provider's events into ours; anything
unverified raises ``WebhookRejected`` (answer 401/403 and change nothing).
The web layer only passes the raw body and headers through and calls
``mailer.feedback.apply.apply_feedback``. Secrets come from the environment:

- ``MAILER_SENDGRID_WEBHOOK_PUBLIC_KEY`` (the base64 key SendGrid shows),
- ``MAILER_MAILGUN_WEBHOOK_SIGNING_KEY``,
- ``MAILER_POSTMARK_WEBHOOK_USER`` and ``MAILER_POSTMARK_WEBHOOK_PASSWORD``.

A provider event is tied to our delivery by a ``delivery_id`` custom
argument (SendGrid ``custom_args``, Mailgun ``user-variables``, Postmark
``Metadata``) when the sending backend set one, else by our Message-ID.
"""

from __future__ import annotations

from mailer.feedback.webhooks._common import WebhookRejected
from mailer.feedback.webhooks.mailgun import parse_mailgun_webhook
from mailer.feedback.webhooks.postmark import parse_postmark_webhook
from mailer.feedback.webhooks.sendgrid import parse_sendgrid_webhook

__all__ = [
    "WebhookRejected",
    "parse_mailgun_webhook",
    "parse_postmark_webhook",
    "parse_sendgrid_webhook",
]
