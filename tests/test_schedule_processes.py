"""Two real `mailer scheduler` processes on one database through digest time.

The digest job is driven every second (``MAILER_SCHEDULER_DIGEST_EVERY_SECONDS``)
instead of weekly, so within a few seconds both processes would have fired it
many times if nothing held them back. Exactly one edition must exist and every
reader must get it once; SIGTERM must stop each process cleanly and hand the
lock to the standby.
"""

from __future__ import annotations

import datetime as dt
import mailbox
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from mailer.db import utcnow
from mailer.delivery.models import Campaign, CampaignStatus, Delivery, DeliveryStatus
from tests.schedule_fixtures import add_news, digest_list

READERS = 4


def wait_for(what: str, check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def campaign_summary(factory: sessionmaker[Session]) -> tuple[list[tuple[str, str]], int]:
    with factory() as s:
        rows = [(c.edition_key, c.status) for c in s.scalars(select(Campaign))]
        sent = s.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.status == DeliveryStatus.SENT)
        )
        return rows, int(sent or 0)


def test_two_schedulers_one_edition_each_reader_once(
    session: Session,
    session_factory: sessionmaker[Session],
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
    logs = [tmp_path / "scheduler-a.log", tmp_path / "scheduler-b.log"]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for log in logs:
            with log.open("wb") as fh:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "mailer", "scheduler", "--verbose"],
                        cwd=tmp_path,
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=fh,
                    )
                )

        def log_of(i: int) -> str:
            return logs[i].read_text(errors="replace")

        wait_for(
            "one active scheduler and one standby",
            lambda: (
                sum("scheduler active" in log_of(i) for i in (0, 1)) == 1
                and sum("standby" in log_of(i) for i in (0, 1)) == 1
            ),
        )
        active = 0 if "scheduler active" in log_of(0) else 1
        standby = 1 - active

        def sent_once() -> bool:
            rows, _ = campaign_summary(session_factory)
            return bool(rows) and rows[0][1] == CampaignStatus.SENT

        wait_for("the edition to be sent", sent_once)
        time.sleep(2.5)  # the digest job fires again, more than once
        rows, sent = campaign_summary(session_factory)
        assert len(rows) == 1 and rows[0][0].startswith("list-1:")
        assert sent == READERS
        assert log_of(active).count("digest job for list 1: exists") >= 1

        # The active one stops cleanly; the standby takes over and sends nothing again.
        procs[active].send_signal(signal.SIGTERM)
        assert procs[active].wait(timeout=20) == 0
        assert "scheduler stopped" in log_of(active)
        wait_for("the standby to take over", lambda: "scheduler active" in log_of(standby), 15)
        wait_for(
            "the new active scheduler to run the digest job",
            lambda: "digest job for list 1: exists" in log_of(standby),
            15,
        )
        procs[standby].send_signal(signal.SIGTERM)
        assert procs[standby].wait(timeout=20) == 0
        assert "scheduler stopped" in log_of(standby)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)

    rows, sent = campaign_summary(session_factory)
    assert len(rows) == 1 and sent == READERS
    recipients = [m["To"] for m in mailbox.Maildir(outbox, create=False)]
    assert sorted(recipients) == sorted(
        f"Reader {i} <weekly-reader{i}@example.org>" for i in range(READERS)
    )
    for log in logs:
        assert "Traceback" not in log.read_text(), log.read_text()


@pytest.mark.parametrize("flag", ["--help"])
def test_scheduler_commands_explain_themselves(flag: str) -> None:
    for args in (["scheduler", flag], ["schedule", "list", flag]):
        out = subprocess.run(
            [sys.executable, "-m", "mailer", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        assert "Usage:" in out and len(out) > 200


def test_a_digest_missed_while_down_is_sent_when_the_scheduler_starts(
    session: Session,
    session_factory: sessionmaker[Session],
    cli_env: dict[str, str],
    outbox: Path,
    tmp_path: Path,
) -> None:
    """The list's digest time was an hour ago and no scheduler ran: it goes out on start."""
    zone = ZoneInfo("America/Chicago")
    due = (utcnow() - dt.timedelta(hours=1)).astimezone(zone)
    digest_list(session, readers=2, digest_weekday=due.weekday(), digest_time=f"{due:%H:%M}")
    add_news(session, utcnow() - dt.timedelta(days=1))
    session.commit()
    session.close()
    log = tmp_path / "scheduler.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mailer", "scheduler"],
            cwd=tmp_path,
            env={**os.environ, **cli_env},
            stdout=subprocess.DEVNULL,
            stderr=fh,
        )
    try:

        def sent() -> bool:
            rows, count = campaign_summary(session_factory)
            return count == 2 and rows[0][1] == CampaignStatus.SENT

        wait_for("the missed digest to be sent", sent)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    output = log.read_text()
    assert "catch-up weekly" in output and "started" in output, output
    assert len(mailbox.Maildir(outbox, create=False)) == 2


def test_sigterm_right_after_taking_the_lock_stops_promptly(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """A stop that lands while APScheduler is still starting must not leave it running."""
    log = tmp_path / "scheduler.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mailer", "scheduler", "--no-worker"],
            cwd=tmp_path,
            env={**os.environ, **cli_env},
            stdout=subprocess.DEVNULL,
            stderr=fh,
        )
    try:
        wait_for("the lock", lambda: "scheduler active" in log.read_text(), 20)
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        assert proc.wait(timeout=8) == 0
        assert time.monotonic() - started < 5
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert "scheduler stopped" in log.read_text()


def test_a_scheduler_that_loses_its_lock_stops_jobs_and_waits(
    engine: Engine, cli_env: dict[str, str], tmp_path: Path
) -> None:
    """Lock gone (PostgreSQL connection killed, SQLite lease taken over): back to standby."""
    log = tmp_path / "scheduler.log"
    env = {**os.environ, **cli_env, "MAILER_SCHEDULER_LOCK_SECONDS": "3"}
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mailer", "scheduler", "--no-worker"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=fh,
        )
    try:
        wait_for("the lock", lambda: "scheduler active" in log.read_text(), 20)
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name LIKE 'mailer scheduler %'"
                    )
                )
        else:
            with engine.begin() as conn:
                conn.execute(
                    text("UPDATE locks SET holder = 'intruder:1', expires_at = :t"),
                    {"t": (utcnow() + dt.timedelta(seconds=2)).replace(tzinfo=None)},
                )
        wait_for("the loss to be noticed", lambda: "back to standby" in log.read_text(), 10)
        # The lock is free again (connection gone / lease expired): it becomes active again.
        wait_for(
            "it to take the lock again", lambda: log.read_text().count("scheduler active") == 2, 15
        )
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert "Traceback" not in log.read_text(), log.read_text()
