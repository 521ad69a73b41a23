"""Database blips are weather: a worker whose connections are cut mid-send carries on.

A real ``mailer worker --once`` sends a PostgreSQL campaign to a real (counting)
SMTP server while the test cuts every connection the worker has, again and
again for a moment (``pg_terminate_backend``, as a restart or a failover would).
The worker waits it out with backoff and finishes: everyone receives the
message, a duplicate stays within the batches in flight, the counts add up.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.delivery import campaigns
from mailer.delivery.models import Campaign, CampaignStatus
from tests.delivery_fixtures import statuses, worker_process
from tests.helpers import cut_connections, make_campaign, make_list, make_subscribers
from tests.smtp_server import Slow, SmtpFaultServer

RECIPIENTS = 200
BATCH = 10
CUT_AT = (40, 110)  # messages received when the connections are cut
STORM = 1.0  # seconds during which every new connection is cut as well


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_worker_survives_its_database_connections_being_cut_mid_send(
    session_factory: sessionmaker[Session],
    engine: Engine,
    settings: Settings,
    cli_env: dict[str, str],
) -> None:
    with session_factory() as session:
        ml = make_list(session)
        people = make_subscribers(session, ml, RECIPIENTS)
        c = make_campaign(session, ml)
        campaigns.start(session, c)
        session.commit()
        cid = c.id
    with SmtpFaultServer() as server:
        for p in people:
            server.script_data(p.email, Slow(0.01))
        env = {**cli_env, "MAILER_BACKEND": server.url(), "MAILER_BATCH_SIZE": str(BATCH)}
        proc = worker_process(env)
        cuts = 0
        for threshold in CUT_AT:
            deadline = time.monotonic() + 60
            while len(server.received) < threshold:
                assert proc.poll() is None, proc.communicate()[0].decode()[-3000:]
                assert time.monotonic() < deadline, "no progress"
                time.sleep(0.005)
            cuts += cut_connections(engine, STORM, 0.005)
        output, _ = proc.communicate(timeout=120)
        log = output.decode()
        got = Counter(r for m in server.received for r in m.rcpt_tos)
    assert proc.returncode == 0, log[-3000:]
    assert cuts >= len(CUT_AT), "the worker held no connection when they were cut"
    assert "database unreachable" in log
    assert set(got) == {p.email for p in people}
    duplicates = sum(n - 1 for n in got.values())
    assert duplicates <= BATCH * len(CUT_AT) * 2, duplicates  # the batches in flight
    with session_factory() as session:
        assert statuses(session, cid) == {"sent": RECIPIENTS}
        camp = session.get(Campaign, cid)
        assert camp is not None and camp.status == CampaignStatus.SENT
        assert camp.sent_count == RECIPIENTS
