"""Counts always add up: sent + failed + bounced + skipped + queued + sending = recipients,
after crashes, cancels and forgets, and the campaign's counters agree with its rows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.delivery import campaigns, lease, outbox
from mailer.delivery.backends.base import Outcome, SendResult
from mailer.delivery.models import Campaign, CampaignStatus, Delivery
from mailer.delivery.worker import Worker
from subscribers.models import MailingList
from subscribers.service import forget
from tests.delivery_fixtures import assert_counts_add_up, worker_process
from tests.helpers import make_campaign, started_campaign
from tests.smtp_server import Slow, SmtpFaultServer


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "mailer", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_forget_mid_send_anonymises_the_readers_rows_and_the_counts_still_add_up(
    session_factory: sessionmaker[Session], settings: Settings, cli_env: dict[str, str]
) -> None:
    with session_factory() as session:
        cid = started_campaign(session, 6)
        elsewhere = "mail-2.example.org:7:5f1c2a9e"  # another machine's worker
        lease.renew(session, elsewhere, lease.DEFAULT_TTL)
        in_flight = outbox.claim(session, cid, 3, elsewhere)  # reader0-2 are being sent
        session.commit()
    # One reader forgotten by the real command while their message is in flight, one
    # whose message is still queued, by the service (the web console's path).
    _cli(cli_env, "subscribers", "forget", "reader0@example.org", "--yes")
    with session_factory() as session:
        forget(session, "reader4@example.org")
        session.commit()
        assert_counts_add_up(session, cid)
        # The worker that was sending comes back with its answers.
        ok = [SendResult(c.delivery_id, Outcome.SENT) for c in in_flight]
        tries = {c.delivery_id: c.attempts for c in in_flight}
        outbox.record_batch(session, cid, ok, {}, tries, 5, worker=elsewhere)
        session.commit()
    Worker(session_factory, settings).run(once=True)
    with session_factory() as session:
        assert assert_counts_add_up(session, cid) == {"sent": 5, "skipped": 1}
        forgotten = session.scalars(select(Delivery).where(Delivery.subscriber_id.is_(None)))
        kept = {(d.status, d.email.startswith("sha256:"), d.name) for d in forgotten}
        assert kept == {("sent", True, ""), ("skipped", True, "")}
        emails = set(session.scalars(select(Delivery.email)))
        assert not {"reader0@example.org", "reader4@example.org"} & emails
        camp = session.get(Campaign, cid)
        assert camp is not None and camp.status == CampaignStatus.SENT


RECIPIENTS = 60
BATCH = 10


@pytest.mark.slow
def test_cancel_after_a_crash_settles_the_dead_workers_rows_as_skipped(
    session_factory: sessionmaker[Session], settings: Settings, cli_env: dict[str, str]
) -> None:
    with session_factory() as session:
        cid = started_campaign(session, RECIPIENTS)
        emails = list(session.scalars(select(Delivery.email)))
    with SmtpFaultServer() as server:
        for email in emails:
            server.script_data(email, Slow(0.05))
        env = {
            **cli_env,
            "MAILER_BACKEND": server.url(),
            "MAILER_BATCH_SIZE": str(BATCH),
            "MAILER_LEASE_SECONDS": "1",
        }
        proc = worker_process(env)
        deadline = time.monotonic() + 60
        while len(server.received) < BATCH + BATCH // 2:  # in the middle of its 2nd batch
            assert proc.poll() is None and time.monotonic() < deadline, "no progress"
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.stdout is not None
        proc.stdout.close()
        with session_factory() as session:
            assert assert_counts_add_up(session, cid).get("sending", 0) > 0
        _cli(env, "campaigns", "cancel", str(cid))
        time.sleep(1.2)  # the dead worker's lease expires
        after = worker_process(env)
        output, _ = after.communicate(timeout=60)
        assert after.returncode == 0, output.decode()
        got = Counter(r for m in server.received for r in m.rcpt_tos)
    with session_factory() as session:
        rows = assert_counts_add_up(session, cid)
        assert set(rows) == {"sent", "skipped"}, rows
        assert rows["sent"] >= BATCH  # the first batch was recorded before the kill
        camp = session.get(Campaign, cid)
        assert camp is not None and camp.status == CampaignStatus.CANCELLED
    assert sum(got.values()) >= rows["sent"]  # skipped rows may have reached the server


def test_cancel_settles_at_once_the_rows_of_a_worker_whose_lease_expired(
    session: Session,
) -> None:
    cid = started_campaign(session, 5)
    ml = session.scalar(select(MailingList))
    assert ml is not None
    second = make_campaign(session, ml, "weekly:2027-W11")
    campaigns.start(session, second)
    other = second.id
    outbox.claim(session, cid, 2, "gone-host:9:0ddba11")  # its worker died, no lease left
    outbox.claim(session, other, 1, "gone-host:9:0ddba11")
    session.commit()
    camp = session.get(Campaign, cid)
    assert camp is not None
    assert campaigns.cancel(session, camp, actor="admin") == 3
    session.commit()
    assert assert_counts_add_up(session, cid) == {"skipped": 5}
    # Only the cancelled campaign was settled; the other one's row waits for a worker.
    assert assert_counts_add_up(session, other) == {"sending": 1, "queued": 4}
