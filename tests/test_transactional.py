"""Confirmation, welcome and goodbye messages go out at once, with every bulk header."""

from __future__ import annotations

import email
import email.policy
import mailbox
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer.config import Settings
from mailer.db import AuditLog
from mailer.delivery.backends.base import Outcome
from mailer.delivery.transactional import send_transactional
from subscribers.models import Subscriber
from tests.helpers import make_list


def test_confirmation_is_sent_now_with_its_link(
    session: Session, settings: Settings, outbox: Path
) -> None:
    ml = make_list(session, "odei-weekly")
    person = Subscriber(email="amara.okafor@example.org", name="Amara Okafor")
    session.add(person)
    session.flush()
    url = "https://news.example.org/confirm/TOKEN123"
    result = send_transactional(session, settings, "confirm", person, ml, confirm_url=url)
    session.commit()
    assert result.outcome is Outcome.SENT
    [raw] = [m.as_bytes() for m in mailbox.Maildir(outbox, create=False)]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["To"].addresses[0].addr_spec == "amara.okafor@example.org"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in msg.get_body(("plain",)).get_content()
    assert url in msg.get_body(("html",)).get_content()
    assert "Amara Okafor" in msg.get_body(("plain",)).get_content()
    logged = session.scalar(select(AuditLog).where(AuditLog.action == "mail.confirm"))
    assert logged is not None and logged.detail["outcome"] == "sent"
