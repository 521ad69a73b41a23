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


def test_confirmation_through_an_api_backend_carries_its_bodies(
    session: Session, settings: Settings
) -> None:
    """An API backend takes the structured fields: they are filled for one-off mail too."""
    from http_fakes import FakePostmark, FakeSendGrid

    from mailer.delivery.backends import backend_from_url

    ml = make_list(session, "odei-weekly")
    person = Subscriber(email="amara.okafor@example.org", name="Amara Okafor")
    session.add(person)
    session.flush()
    url = "https://news.example.org/confirm/TOKEN123"
    for fake, scheme in (
        (FakeSendGrid(), "sendgrid://SG.test-key@"),
        (FakePostmark(), "postmark://00000000-test-token@"),
    ):
        with fake:
            backend = backend_from_url(f"{scheme}?base_url={fake.url}", settings)
            result = send_transactional(
                session, settings, "confirm", person, ml, backend=backend, confirm_url=url
            )
            assert result.outcome is Outcome.SENT, result.detail
            (delivered,) = fake.delivered
            assert delivered["to"] == ["amara.okafor@example.org"]
            assert url in delivered["text"] and url in delivered["html"]
            assert "Amara Okafor" in delivered["text"]
            assert delivered["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
