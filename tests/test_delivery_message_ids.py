"""One Message-ID per delivery: given at its first claim, stored on its row, and the
same on every retry and every resend after a crash, so a receiving system can
drop the duplicate."""

from __future__ import annotations

import datetime as dt
import email
from email import policy

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.db import utcnow
from mailer.delivery import outbox
from mailer.delivery.models import Delivery
from mailer.delivery.worker import Worker
from tests.helpers import started_campaign
from tests.smtp_server import SmtpFaultServer


def _message_ids(server: SmtpFaultServer) -> dict[str, list[str]]:
    ids: dict[str, list[str]] = {}
    for m in server.received:
        msg = email.message_from_bytes(m.data, policy=policy.default)
        ids.setdefault(m.rcpt_tos[0], []).append(str(msg["Message-ID"]))
    return ids


def _row(session: Session, address: str) -> Delivery:
    row = session.scalar(select(Delivery).where(Delivery.email == address))
    assert row is not None
    return row


def test_a_retried_and_a_recovered_delivery_keep_their_message_id(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with session_factory() as session:
        cid = started_campaign(session, 3)
        # The first tries die with their worker (it holds no lease: found dead at once).
        outbox.claim(session, cid, 3, "gone-host:1:0badc0ffee00")
        session.commit()
        first_claim = {d.email: d.message_id for d in session.scalars(select(Delivery))}
        assert all(
            v.startswith("<") and v.endswith("@mailer.example.org>") for v in first_claim.values()
        )
        assert len(set(first_claim.values())) == 3
    with SmtpFaultServer() as server:
        server.script_data("reader1@example.org", "451 4.3.0 Please try again later")
        s = settings.replace(backend=server.url())
        Worker(session_factory, s).run(once=True)  # recovers, sends; reader1 is deferred
        with session_factory() as session:
            assert _row(session, "reader1@example.org").status == "queued"
            session.execute(
                update(Delivery).values(next_attempt_at=utcnow() - dt.timedelta(seconds=1))
            )
            session.commit()
        Worker(session_factory, s).run(once=True)
        sent = _message_ids(server)
    with session_factory() as session:
        for address, first in first_claim.items():
            row = _row(session, address)
            assert row.status == "sent"
            assert row.message_id == first  # kept from the first claim
            assert sent[address] == [first]
            # claimed by the dead worker, then sent; reader1 deferred once more (451)
            assert row.attempts == (3 if address == "reader1@example.org" else 2)
