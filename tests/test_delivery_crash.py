"""kill -9 a worker in the middle of a campaign, again and again: nobody is lost.

Every kill leaves at most two batches ``sending``: the one being sent (its
fate unknown) and the one claimed behind it while it was sent (never handed
to the transport). Once the killed worker's lease has expired (a short one
here), a worker resends them. So every recipient gets the message, and the
duplicates are at most one batch per kill. The proof of
"received" is the Maildir: a message counts once its file is in ``new/``.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.delivery import campaigns
from mailer.delivery.models import Campaign, CampaignStatus, Delivery
from tests.delivery_fixtures import (
    delivered_files,
    message_ids,
    received,
    statuses,
    worker_process,
)
from tests.helpers import make_campaign, make_list, make_subscribers

RECIPIENTS = 2_000
BATCH = 50
KILL_AT = (150, 600, 1_000, 1_450)


def test_sigkill_mid_campaign_loses_nobody_and_duplicates_stay_within_a_batch(
    session_factory: sessionmaker[Session],
    settings: Settings,
    cli_env: dict[str, str],
    outbox: Path,
) -> None:
    with session_factory() as session:
        ml = make_list(session)
        people = make_subscribers(session, ml, RECIPIENTS)
        emails = {p.email for p in people}
        c = make_campaign(session, ml)
        campaigns.start(session, c)
        session.commit()
        cid = c.id
    env = {**cli_env, "MAILER_BATCH_SIZE": str(BATCH), "MAILER_LEASE_SECONDS": "2"}

    kills = 0
    for threshold in KILL_AT:
        proc = worker_process(env)
        deadline = time.monotonic() + 60
        while delivered_files(outbox) < threshold and proc.poll() is None:
            assert time.monotonic() < deadline, "worker made no progress"
            time.sleep(0.002)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait(timeout=30)
        assert proc.stdout is not None
        proc.stdout.close()
    assert kills >= 3, "the campaign finished before the worker could be killed"

    with session_factory() as session:
        left_sending = statuses(session, cid).get("sending", 0)
    # At most the batch in flight at each kill and the one claimed behind it.
    assert left_sending <= 2 * BATCH * kills

    final = worker_process(env)
    output, _ = final.communicate(timeout=120)
    assert final.returncode == 0, output.decode()

    got = received(outbox)
    assert set(got) == emails, f"never received: {sorted(emails - set(got))[:5]}"
    duplicates = sum(n - 1 for n in got.values())
    print(f"{kills} kills, {duplicates} duplicates (bound {BATCH * kills})")
    assert duplicates <= BATCH * kills, (duplicates, kills)
    with session_factory() as session:
        assert statuses(session, cid) == {"sent": RECIPIENTS}
        camp = session.get(Campaign, cid)
        assert camp is not None
        assert camp.status == CampaignStatus.SENT
        assert camp.sent_count == RECIPIENTS
        recovered = session.query(Delivery).filter(Delivery.attempts > 1).count()
        # The killed batches (sent, and claimed behind them) went again, nothing else.
        assert 0 < recovered <= 2 * BATCH * kills
        stored = {d.email: d.message_id for d in session.query(Delivery)}
    # A resent message carries its first Message-ID: the receiver can drop the duplicate.
    assert message_ids(outbox) == {address: {mid} for address, mid in stored.items()}
