"""One-off messages to one person: the opt-in confirmation, the welcome, the goodbye.

They go out at once through the configured backend, outside any campaign,
but are built by the same MessageBuilder as every edition, so they carry the
same headers (List-Id, one-click List-Unsubscribe, VERP, DKIM) and escaping.
Each send is written to the audit log, which is where "did they get the
confirmation?" is answered.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from mailer.config import Settings
from mailer.db import audit
from mailer.delivery.backends import Backend, backend_from_url
from mailer.delivery.backends.base import Outcome, SendResult
from mailer.delivery.message import MessageBuilder, Recipient
from subscribers.models import MailingList, Subscriber

KINDS = ("confirm", "welcome", "unsubscribed")


def send_transactional(
    session: Session,
    settings: Settings,
    kind: str,
    subscriber: Subscriber,
    mailing_list: MailingList,
    *,
    backend: Backend | None = None,
    **context: Any,
) -> SendResult:
    """Render ``kind`` for one subscriber and send it now; returns the backend's verdict."""
    from mailer.compose.render import render_transactional

    if kind not in KINDS:
        raise ValueError(f"unknown transactional message {kind!r} (known: {', '.join(KINDS)})")
    snapshot = render_transactional(kind, mailing_list, settings, **context)
    transport = backend or backend_from_url(settings.backend, settings)
    # An API backend takes the structured fields (subject, bodies, headers), not the MIME.
    structured = bool(getattr(transport, "structured", False))
    builder = MessageBuilder(snapshot, mailing_list, settings, campaign_id=0, structured=structured)
    message = builder.build(Recipient(0, subscriber.id, subscriber.email, subscriber.name))
    transport.open()
    try:
        results = transport.send([message])
    finally:
        transport.close()
    result = results[0] if results else SendResult(0, Outcome.TRANSIENT, "no result")
    audit(
        session,
        "system",
        f"mail.{kind}",
        f"subscriber:{subscriber.id}",
        list=mailing_list.slug,
        outcome=str(result.outcome),
        detail=result.detail,
        message_id=message.message_id,
    )
    return result
