"""No poison loop: one message that breaks its worker cannot keep a campaign going round.

An unexpected exception while building or sending one message fails that
delivery with the error recorded, and the batch goes on. A message whose
sending stopped the worker (a hang the supervisor killed, a crash) three
times is failed with that reason (Mailman's "bad" queue), and the rows that
shared its batch are not blamed for it: after a crash they go out alone.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from collections import Counter
from collections.abc import Sequence

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.db import utcnow
from mailer.delivery.backends.base import Outcome, OutgoingMessage, SendResult
from mailer.delivery.models import Campaign, CampaignStatus, Delivery
from mailer.delivery.worker import Worker
from tests.delivery_fixtures import assert_counts_add_up, worker_process
from tests.helpers import started_campaign
from tests.smtp_server import Slow, SmtpFaultServer


class BrittleBackend:
    """Our Backend protocol with a bug that one reader's message sets off."""

    max_batch = 100

    def __init__(self, trigger: str) -> None:
        self.trigger = trigger
        self.accepted: list[str] = []

    def open(self) -> None:
        pass

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        results = []
        for m in messages:
            if m.recipient == self.trigger:
                raise KeyError("List-Unsubscribe")
            self.accepted.append(m.recipient)
            results.append(SendResult(m.delivery_id, Outcome.SENT))
        return results

    def close(self) -> None:
        pass


def test_an_unexpected_error_sending_one_message_fails_it_alone(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with session_factory() as session:
        cid = started_campaign(session, 5)
    backend = BrittleBackend("reader2@example.org")
    stats = Worker(session_factory, settings.replace(batch_size=5), backend).run(once=True)
    assert stats.sent == 4 and stats.failed == 1
    # Tried as a batch, then one by one to find the culprit: the two before it went
    # out twice (the bound of a batch in flight), the rest once.
    assert Counter(backend.accepted) == Counter(
        {"reader0@example.org": 2, "reader1@example.org": 2}
        | {f"reader{i}@example.org": 1 for i in (3, 4)}
    )
    with session_factory() as session:
        row = session.scalar(select(Delivery).where(Delivery.email == "reader2@example.org"))
        assert row is not None and row.status == "failed"
        assert row.last_error == "not sent: KeyError: 'List-Unsubscribe'"
        assert assert_counts_add_up(session, cid) == {"sent": 4, "failed": 1}
        camp = session.get(Campaign, cid)
        assert camp is not None and camp.status == CampaignStatus.SENT


RECIPIENTS = 6
POISON = "reader1@example.org"
HUNG_AFTER = 1.0  # seconds a row may stay sending before the "supervisor" kills the worker


def _hung(factory: sessionmaker[Session], since: dt.datetime) -> bool:
    """Has the worker started at ``since`` been stuck on the poison row for a while?"""
    with factory() as session:
        row = session.scalar(select(Delivery).where(Delivery.email == POISON))
        assert row is not None
        if row.status != "sending" or row.claimed_at is None or row.claimed_at < since:
            return False
        return utcnow() - row.claimed_at > dt.timedelta(seconds=HUNG_AFTER)


@pytest.mark.slow
def test_a_row_that_stops_its_worker_three_times_is_failed_not_resent_for_ever(
    session_factory: sessionmaker[Session], settings: Settings, cli_env: dict[str, str]
) -> None:
    with session_factory() as session:
        cid = started_campaign(session, RECIPIENTS)
    kills = 0
    with SmtpFaultServer() as server:
        server.script_data(POISON, *[Slow(60)] * 4)  # its DATA never answers: the worker hangs
        env = {
            **cli_env,
            "MAILER_BACKEND": server.url(),
            "MAILER_BATCH_SIZE": "3",
            "MAILER_LEASE_SECONDS": "1",
        }
        while True:
            started = utcnow()
            proc = worker_process(env)
            deadline = time.monotonic() + 60
            while proc.poll() is None:
                assert time.monotonic() < deadline, "worker neither finished nor hung"
                if _hung(session_factory, started):
                    assert kills < 3, "the poison row was sent a fourth time"
                    os.kill(proc.pid, signal.SIGKILL)  # a supervisor's watchdog
                    kills += 1
                    break
                time.sleep(0.05)
            output, _ = proc.communicate(timeout=30)
            if proc.returncode != -signal.SIGKILL:
                assert proc.returncode == 0, output.decode()
                break
            time.sleep(1.1)  # its lease expires
        got = Counter(r for m in server.received for r in m.rcpt_tos)
    assert kills == 3
    with session_factory() as session:
        rows = {d.email: d for d in session.scalars(select(Delivery))}
        assert rows[POISON].status == "failed"
        assert (
            rows[POISON].last_error == "its sending stopped the worker 3 times; not retried again"
        )
        assert assert_counts_add_up(session, cid) == {"sent": RECIPIENTS - 1, "failed": 1}
        # Its batch-mates were resent alone after the first crash and went out.
        assert all(d.recoveries <= 1 for e, d in rows.items() if e != POISON)
        camp = session.get(Campaign, cid)
        assert camp is not None and camp.status == CampaignStatus.SENT
    assert set(got) == set(rows) - {POISON}
