"""One-off messages: the opt-in confirmation, the welcome, the goodbye; notices to admins.

They go out at once through the configured backend, outside any campaign,
but are built by the same MessageBuilder as every edition, so they carry the
same headers (List-Id, one-click List-Unsubscribe, VERP, DKIM) and escaping.
Each send is written to the audit log, which is where "did they get the
confirmation?" is answered.
"""

from __future__ import annotations

import email.policy
import email.utils
import logging
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer.config import Settings
from mailer.db import audit
from mailer.delivery.backends import Backend, BackendError, OutgoingMessage, backend_from_url
from mailer.delivery.backends.base import Outcome, SendResult
from mailer.delivery.dkim import DkimError, DkimSigner
from mailer.delivery.message import MessageBuilder, Recipient
from mailer.delivery.verp import verp_address
from mailer.users import Role, User
from subscribers.models import MailingList, Subscriber

log = logging.getLogger(__name__)

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


def build_notice(settings: Settings, recipient: str, subject: str, text: str) -> OutgoingMessage:
    """A plain-text operational message (no list, no unsubscribe): tests and alerts to staff.

    Same envelope (VERP sender of delivery 0), Message-ID domain and DKIM
    signature as every other message; ``Auto-Submitted`` so auto-responders
    stay quiet. Raises ``DkimError`` when DKIM is configured but unusable.
    """
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = email.utils.formataddr((settings.from_name, settings.from_email))
    msg["To"] = recipient
    msg["Subject"] = subject
    msg["Date"] = email.utils.formatdate(localtime=False)
    msg["Message-ID"] = email.utils.make_msgid(domain=settings.message_id_domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    raw = msg.as_bytes()
    signer = DkimSigner.from_settings(settings)
    if signer is not None:
        raw = signer.sign(raw)
    return OutgoingMessage(
        delivery_id=0,
        envelope_from=verp_address(settings.signing_key, 0, settings.bounce_domain),
        recipient=recipient,
        raw=raw,
        subject=subject,
        from_header=str(msg["From"]),
        text=text,
        headers={"Message-ID": str(msg["Message-ID"]), "Auto-Submitted": "auto-generated"},
        message_id=str(msg["Message-ID"]),
    )


def send_notice(
    settings: Settings,
    recipient: str,
    subject: str,
    text: str,
    *,
    backend: Backend | None = None,
) -> SendResult:
    """Send one plain-text notice now (a password reset link); returns the backend's verdict.

    Raises ``BackendError``/``DkimError``/``OSError`` when it cannot be sent, so the
    caller can say so: unlike ``notify_admins``, the person waiting needs to know.
    """
    message = build_notice(settings, recipient, subject, text)
    transport = backend or backend_from_url(settings.backend, settings)
    transport.open()
    try:
        results = transport.send([message])
    finally:
        transport.close()
    return results[0] if results else SendResult(0, Outcome.TRANSIENT, "no result")


def notify_admins(
    session: Session,
    settings: Settings,
    subject: str,
    text: str,
    *,
    backend: Backend | None = None,
) -> int:
    """Mail a notice to every active admin now; returns how many the backend accepted.

    A notice must never stop what raised it (a blocked edition is recorded
    whether or not the mail goes out), so transport errors are logged and
    written to the audit log instead of raised.
    """
    admins = session.scalars(
        select(User).where(User.role == Role.ADMIN, User.active.is_(True)).order_by(User.id)
    ).all()
    if not admins:
        log.warning("no active admin to tell: %s", subject)
        return 0
    try:
        messages = [
            build_notice(settings, email.utils.formataddr((u.name, u.email)), subject, text)
            for u in admins
        ]
        transport = backend or backend_from_url(settings.backend, settings)
        transport.open()
        try:
            results = transport.send(messages)
        finally:
            transport.close()
    except (BackendError, DkimError, OSError, ValueError) as exc:
        log.error("could not mail the admins %r: %s", subject, exc)
        audit(
            session,
            "system",
            "mail.notice",
            "admins",
            subject=subject,
            outcome="error",
            detail=str(exc),
        )
        return 0
    sent = sum(1 for r in results if r.outcome == Outcome.SENT)
    audit(
        session,
        "system",
        "mail.notice",
        "admins",
        subject=subject,
        sent=sent,
        recipients=[u.email for u in admins],
    )
    return sent
