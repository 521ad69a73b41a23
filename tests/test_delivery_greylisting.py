"""Greylisting is normal: a server that answers 451 to every first try does not pause
the campaign; the retries go through and everyone gets the message once."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.db import utcnow
from mailer.delivery.models import Campaign, CampaignStatus, Delivery
from mailer.delivery.worker import Worker
from tests.delivery_fixtures import assert_counts_add_up
from tests.helpers import started_campaign
from tests.smtp_server import SmtpFaultServer

RECIPIENTS = 30


def test_a_greylisting_server_does_not_pause_the_campaign(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with session_factory() as session:
        cid = started_campaign(session, RECIPIENTS)
        emails = list(session.scalars(select(Delivery.email)))
    with SmtpFaultServer() as server:
        for address in emails:  # Postgrey's answer to a sender it has not seen yet
            server.script_rcpt(address, "451 4.7.1 Greylisted, please try again later")
        s = settings.replace(backend=server.url(), batch_size=10, max_consecutive_failures=5)
        Worker(session_factory, s).run(once=True)
        with session_factory() as session:
            camp = session.get(Campaign, cid)
            assert camp is not None
            assert (camp.status, camp.status_reason) == (CampaignStatus.SENDING, "")
            assert assert_counts_add_up(session, cid) == {"queued": RECIPIENTS}
            session.execute(  # the retry time has come
                update(Delivery).values(next_attempt_at=utcnow() - dt.timedelta(seconds=1))
            )
            session.commit()
        Worker(session_factory, s).run(once=True)
        got = Counter(r for m in server.received for r in m.rcpt_tos)
    assert got == Counter(emails)
    with session_factory() as session:
        assert assert_counts_add_up(session, cid) == {"sent": RECIPIENTS}
        camp = session.get(Campaign, cid)
        assert camp is not None and camp.status == CampaignStatus.SENT


def test_a_server_that_refuses_the_retries_too_still_pauses(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    """A transient answer on a retry counts: refused again and again, the campaign pauses
    before it has burnt every reader's attempts."""
    with session_factory() as session:
        cid = started_campaign(session, 12)
        emails = list(session.scalars(select(Delivery.email)))
    with SmtpFaultServer() as server:
        for address in emails:
            server.script_rcpt(address, *["451 4.7.0 Temporary policy refusal"] * 3)
        s = settings.replace(backend=server.url(), batch_size=4, max_consecutive_failures=5)
        for _ in range(3):
            Worker(session_factory, s).run(once=True)
            with session_factory() as session:
                session.execute(
                    update(Delivery).values(next_attempt_at=utcnow() - dt.timedelta(seconds=1))
                )
                session.commit()
    with session_factory() as session:
        camp = session.get(Campaign, cid)
        assert camp is not None and camp.status == CampaignStatus.PAUSED
        assert "retries refused again" in camp.status_reason
        assert "451 4.7.0" in camp.status_reason
        assert_counts_add_up(session, cid)
