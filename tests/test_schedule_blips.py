"""Database blips are weather for the scheduler too: its connections cut, it carries on.

A real ``mailer scheduler`` (digest job every second, its worker inside) runs
on PostgreSQL. Once it has sent the edition, the test cuts every connection to
the database, again and again for a moment (``pg_terminate_backend``, as a
restart or failover would): the advisory lock's, the job store's and the
jobs' own. The process must keep running, take the lock again, run its jobs
again, send nobody twice, and stop cleanly on SIGTERM.
"""

from __future__ import annotations

import mailbox
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from mailer.db import utcnow
from mailer.delivery.models import CampaignStatus
from tests.helpers import cut_connections
from tests.schedule_fixtures import add_news, digest_list
from tests.test_schedule_processes import campaign_summary, wait_for

READERS = 3
STORM = 1.5  # seconds during which every new connection is cut as well


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_scheduler_keeps_running_when_its_database_connections_are_cut(
    session: Session,
    session_factory: sessionmaker[Session],
    engine: Engine,
    cli_env: dict[str, str],
    outbox: Path,
    tmp_path: Path,
) -> None:
    digest_list(session, readers=READERS)
    add_news(session, utcnow())
    session.commit()
    session.close()
    env = {
        **os.environ,
        **cli_env,
        "MAILER_SCHEDULER_DIGEST_EVERY_SECONDS": "1",
        "MAILER_SCHEDULER_RECONCILE_SECONDS": "1",
        "MAILER_SCHEDULER_LOCK_SECONDS": "3",
    }
    log = tmp_path / "scheduler.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mailer", "scheduler", "--verbose"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=fh,
        )

    def output() -> str:
        return log.read_text(errors="replace")

    try:
        wait_for("the lock", lambda: "scheduler active" in output(), 30)

        def sent() -> bool:
            rows, _ = campaign_summary(session_factory)
            return bool(rows) and rows[0][1] == CampaignStatus.SENT

        wait_for("the edition to be sent", sent)
        cuts = cut_connections(engine, STORM, 0.01)
        assert cuts > 0, "the scheduler held no connection when they were cut"
        before = len(output())
        assert proc.poll() is None, output()[-3000:]
        # It runs its digest job again after the storm (taking the lock again if it was
        # the lock's connection that went), and is still alive.
        wait_for(
            "the digest job to run again after the storm",
            lambda: "digest job for list 1: exists" in output()[before:],
            40,
        )
        assert proc.poll() is None, output()[-3000:]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, output()[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    rows, count = campaign_summary(session_factory)
    assert len(rows) == 1 and count == READERS
    assert len(mailbox.Maildir(outbox, create=False)) == READERS
    assert "scheduler stopped" in output()
