"""Several worker processes on one campaign: each recipient exactly once.

On PostgreSQL the workers claim side by side (FOR UPDATE SKIP LOCKED); on
SQLite they take turns on the write lock. Either way, no row is claimed twice.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.delivery import campaigns
from mailer.delivery.models import Campaign, CampaignStatus, Delivery
from tests.delivery_fixtures import received, statuses, worker_process
from tests.helpers import make_campaign, make_list, make_subscribers

RECIPIENTS = 1_500


def test_three_worker_processes_drain_one_campaign_each_recipient_once(
    session_factory: sessionmaker[Session],
    settings: Settings,
    cli_env: dict[str, str],
    outbox: Path,
) -> None:
    with session_factory() as session:
        ml = make_list(session)
        people = make_subscribers(session, ml, RECIPIENTS)
        c = make_campaign(session, ml)
        campaigns.start(session, c)
        session.commit()
        cid = c.id
    env = {**cli_env, "MAILER_BATCH_SIZE": "20"}
    procs = [worker_process(env) for _ in range(3)]
    for proc in procs:
        output, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, output.decode()

    got = received(outbox)
    assert set(got) == {p.email for p in people}
    assert max(got.values()) == 1, [e for e, n in got.items() if n > 1][:5]
    with session_factory() as session:
        assert statuses(session, cid) == {"sent": RECIPIENTS}
        assert session.scalar(select(func.max(Delivery.attempts))) == 1
        workers = session.scalar(select(func.count(func.distinct(Delivery.worker))))
        camp = session.get(Campaign, cid)
        assert camp is not None and camp.status == CampaignStatus.SENT
        assert camp.sent_count == RECIPIENTS
    # The processes overlap (each starts within a second of the others), so they share it.
    assert workers is not None and workers >= 2
