"""Real `mailer scheduler` processes on each database: stopping after a missed run,
and starting the campaigns people schedule.

APScheduler reports a run more than the misfire grace late as *missed*, after
it reported the job as *submitted*. A scheduler that settled its count of
running jobs only on "executed" or "error" waited for ever on SIGTERM, and on
PostgreSQL its standby waited all that time too.
"""

from __future__ import annotations

import datetime as dt
import mailbox
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
from mailer.delivery.models import Campaign, CampaignStatus
from mailer.scheduling.schedule import JOBSTORE_TABLE, build_scheduler, reconcile
from tests.helpers import make_campaign, make_list, make_subscribers
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


def start_scheduler(
    env: dict[str, str], cwd: Path, log: Path, worker: bool = False
) -> subprocess.Popen[bytes]:
    with log.open("ab") as fh:
        return subprocess.Popen(
            [sys.executable, "-m", "mailer", "scheduler"] + ([] if worker else ["--no-worker"]),
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
    env = {**os.environ, **cli_env}  # default lock settings: the takeover must still be prompt
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
        # The lock is released on a clean stop: the standby's next poll (every second) takes it.
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


def test_the_running_scheduler_starts_a_scheduled_campaign_at_its_time(
    session: Session,
    session_factory: sessionmaker[Session],
    cli_env: dict[str, str],
    outbox: Path,
    tmp_path: Path,
) -> None:
    """`mailer campaigns schedule` says the scheduler starts it: the real process does."""
    ml = make_list(session)
    make_subscribers(session, ml, 3)
    campaign_id = make_campaign(session, ml).id
    session.commit()
    session.close()
    env = {**os.environ, **cli_env, "MAILER_SCHEDULER_RECONCILE_SECONDS": "1"}
    log = tmp_path / "scheduler.log"
    proc = start_scheduler(env, tmp_path, log, worker=True)
    try:
        wait_for("the lock", lambda: "scheduler active" in log.read_text(), 20)
        at = utcnow().replace(microsecond=0) + dt.timedelta(seconds=4)
        args = ["campaigns", "schedule", str(campaign_id), "--at", at.isoformat()]
        scheduled = subprocess.run(
            [sys.executable, "-m", "mailer", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert scheduled.returncode == 0, scheduled.stderr
        assert "scheduler starts it" in scheduled.stdout or "scheduled for" in scheduled.stdout

        def sent() -> bool:
            with session_factory() as s:
                c = s.get(Campaign, campaign_id)
                return c is not None and c.status == CampaignStatus.SENT

        wait_for("the scheduled campaign to be sent", sent, 30)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    with session_factory() as s:
        c = s.get(Campaign, campaign_id)
        assert c is not None and c.started_at is not None
        assert c.started_at >= at  # not before its time
        assert c.sent_count == 3
    assert len(list(mailbox.Maildir(outbox, create=False))) == 3
    assert f"campaign job {campaign_id}: started [{campaign_id}]" in log.read_text()
