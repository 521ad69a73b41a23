"""SIGTERM after a missed run: real `mailer scheduler` processes on each database.

APScheduler reports a run more than the misfire grace late as *missed*, after
it reported the job as *submitted*. A scheduler that settled its count of
running jobs only on "executed" or "error" waited for ever on SIGTERM, and on
PostgreSQL its standby waited all that time too.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.db import make_engine, utcnow
from mailer.scheduling.schedule import JOBSTORE_TABLE, build_scheduler, reconcile
from tests.schedule_fixtures import digest_list
from tests.test_schedule_processes import wait_for


def store_overdue_digest_job(
    factory: sessionmaker[Session], settings: Settings, late: dt.timedelta
) -> None:
    """What a scheduler stopped for a while leaves behind: a stored job whose run is long past."""
    sched = build_scheduler(settings, BackgroundScheduler)
    sched.start(paused=True)  # paused: stores the jobs, runs nothing
    try:
        reconcile(sched, factory, settings)
    finally:
        sched.shutdown(wait=False)
    store = SQLAlchemyJobStore(engine=make_engine(settings.database_url), tablename=JOBSTORE_TABLE)
    job = store.lookup_job("digest:1")
    assert job is not None
    job.next_run_time = utcnow() - late
    store.update_job(job)
    store.shutdown()


def start_scheduler(env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as fh:
        return subprocess.Popen(
            [sys.executable, "-m", "mailer", "scheduler", "--no-worker"],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=fh,
        )


def test_sigterm_after_a_missed_run_stops_at_once_and_the_standby_takes_over(
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    cli_env: dict[str, str],
    tmp_path: Path,
) -> None:
    digest_list(session, readers=1)
    session.commit()
    session.close()
    # Beyond the grace (digest_grace_hours, 6 h by default): APScheduler reports it missed.
    store_overdue_digest_job(
        session_factory, settings, dt.timedelta(hours=settings.digest_grace_hours + 2)
    )
    env = {**os.environ, **cli_env, "MAILER_SCHEDULER_LOCK_SECONDS": "3"}
    logs = [tmp_path / "active.log", tmp_path / "standby.log"]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.append(start_scheduler(env, tmp_path, logs[0]))
        wait_for("the lock", lambda: "scheduler active" in logs[0].read_text(), 20)
        wait_for("the missed run", lambda: "was missed by" in logs[0].read_text(), 20)
        procs.append(start_scheduler(env, tmp_path, logs[1]))
        wait_for("the standby", lambda: "standby" in logs[1].read_text(), 20)

        procs[0].send_signal(signal.SIGTERM)
        stopped = time.monotonic()
        assert procs[0].wait(timeout=15) == 0, logs[0].read_text()
        assert time.monotonic() - stopped < 5, logs[0].read_text()
        assert "scheduler stopped" in logs[0].read_text()
        # The lock is released on a clean stop: the standby's next poll (1 s here) takes it.
        wait_for("the standby to take over", lambda: "scheduler active" in logs[1].read_text(), 5)
        procs[1].send_signal(signal.SIGTERM)
        assert procs[1].wait(timeout=15) == 0, logs[1].read_text()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
    for log in logs:
        assert "Traceback" not in log.read_text(), log.read_text()
