"""One active scheduler per database: the lock, its lease, and takeover by a standby."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import text
from sqlalchemy.engine import Engine

from mailer.db import make_engine
from mailer.scheduling.lock import AdvisoryLock, LeaseLock, scheduler_lock


def test_one_holder_at_a_time_and_the_standby_takes_over(engine: Engine, db_url: str) -> None:
    other_engine = make_engine(db_url)
    try:
        active = scheduler_lock(engine, ttl=30, holder="host-a:1")
        standby = scheduler_lock(other_engine, ttl=30, holder="host-b:2")
        expected = AdvisoryLock if engine.dialect.name == "postgresql" else LeaseLock
        assert isinstance(active, expected)
        assert active.acquire()
        assert not standby.acquire()
        assert active.renew()
        assert "host-a:1" in standby.current_holder()
        active.release()
        assert standby.acquire()
        assert not active.acquire()
        assert not active.renew()  # it gave the lock up: it must not run jobs
        standby.release()
        assert standby.current_holder() == ""
    finally:
        other_engine.dispose()


def test_an_abandoned_lease_expires_and_its_holder_learns_it_lost(engine: Engine) -> None:
    """A lease (SQLite's lock) whose holder stopped renewing frees after its ttl."""
    start = dt.datetime(2027, 3, 15, 12, tzinfo=dt.UTC)
    dead = LeaseLock(engine, holder="host-a:1", ttl=30)
    heir = LeaseLock(engine, holder="host-b:2", ttl=30)
    with time_machine.travel(start, tick=False):
        assert dead.acquire()
    with time_machine.travel(start + dt.timedelta(seconds=29), tick=False):
        assert not heir.acquire()
    with time_machine.travel(start + dt.timedelta(seconds=31), tick=False):
        assert heir.acquire()
        assert not dead.renew()
        assert heir.current_holder() == "host-b:2"


def test_postgres_frees_the_lock_when_the_holders_connection_dies(
    engine: Engine, db_url: str
) -> None:
    if engine.dialect.name != "postgresql":
        # SQLite has no server to notice a dead holder; the lease expiry above covers it.
        assert isinstance(scheduler_lock(engine), LeaseLock)
        return
    other_engine = make_engine(db_url)
    try:
        holder = AdvisoryLock(engine, holder="host-a:1")
        standby = AdvisoryLock(other_engine, holder="host-b:2")
        assert holder.acquire()
        assert holder._conn is not None
        pid = holder._conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with other_engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        # The server ends that backend asynchronously; its lock is free within moments.
        deadline = time.monotonic() + 5
        while not standby.acquire() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert standby._conn is not None, "the dead holder's lock was not freed within 5 s"
        assert not holder.renew()
        standby.release()
    finally:
        other_engine.dispose()


@pytest.fixture
def second_database(postgres_migrated: str) -> Iterator[str]:
    """Another deployment's database on the same PostgreSQL server, dropped afterwards."""
    name = f"mailer_other_{uuid.uuid4().hex[:8]}"
    admin = make_engine(postgres_migrated).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def test_another_databases_scheduler_is_not_ours(
    postgres_migrated: str, second_database: str, tmp_path: Path
) -> None:
    """Two deployments on one server: each names only its own database's scheduler."""
    from click.testing import CliRunner

    from mailer.cli import cli

    (tmp_path / "mailer.toml").write_text("")
    env = {
        "MAILER_DATABASE_URL": postgres_migrated,
        "MAILER_CONFIG": str(tmp_path / "mailer.toml"),
        "COLUMNS": "200",
    }
    engine = make_engine(postgres_migrated)
    other_engine = make_engine(second_database)
    theirs = scheduler_lock(other_engine, holder="other-deployment:1")
    try:
        assert theirs.acquire()
        ours = scheduler_lock(engine, holder="this-deployment:1")
        assert ours.current_holder() == ""
        result = CliRunner(env=env).invoke(cli, ["schedule", "list"])
        assert result.exit_code == 0, result.output
        assert "Active scheduler: none running" in result.output
        assert "other-deployment" not in result.output
        # The lock itself is per database: ours is free, and then it is named.
        assert ours.acquire()
        assert "this-deployment:1" in ours.current_holder()
        assert "this-deployment:1" not in theirs.current_holder()
        ours.release()
    finally:
        theirs.release()
        other_engine.dispose()
        engine.dispose()
