"""Reconcile: a changed schedule, a new announcement or a disabled digest needs no restart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.content.models import Announcement
from mailer.scheduling.schedule import JOBSTORE_TABLE, build_scheduler, job_table, reconcile
from subscribers.models import MailingList
from tests.schedule_fixtures import digest_list


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.fixture
def scheduler(engine: Engine, settings: Settings) -> Iterator[BackgroundScheduler]:
    """The production scheduler configuration, started paused so nothing fires."""
    if inspect(engine).has_table(JOBSTORE_TABLE):  # PostgreSQL keeps it between tests
        with engine.begin() as conn:
            conn.execute(text(f"DELETE FROM {JOBSTORE_TABLE}"))
    sched = build_scheduler(settings, BackgroundScheduler)
    sched.start(paused=True)
    yield sched
    sched.shutdown(wait=False)


def test_job_defaults_give_a_real_grace_and_coalesce(scheduler: BackgroundScheduler) -> None:
    # APScheduler's own default grace is 1 s: a digest 2 s late would be dropped silently.
    assert scheduler._job_defaults["misfire_grace_time"] == 6 * 3600
    assert scheduler._job_defaults["coalesce"] is True
    assert scheduler._job_defaults["max_instances"] == 1


def test_reconcile_follows_the_database_without_restart(
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    scheduler: BackgroundScheduler,
    engine: Engine,
) -> None:
    ml = digest_list(session)
    session.commit()
    list_id = ml.id
    digest_id = f"digest:{list_id}"
    with time_machine.travel(utc(2027, 3, 10, 12), tick=False):
        first = reconcile(scheduler, session_factory, settings)
        assert sorted(first.added) == [digest_id, "ingest"]
        assert scheduler.get_job(digest_id).next_run_time == utc(2027, 3, 15, 12)  # 07:00 CDT
        again = reconcile(scheduler, session_factory, settings)
        assert (again.added, again.updated, again.removed) == ([], [], [])

    # The office moves the digest to Tuesdays 08:30; the next run follows, in CST now.
    ml.digest_weekday, ml.digest_time = 1, "08:30"
    session.commit()
    with time_machine.travel(utc(2027, 11, 3, 12), tick=False):
        changed = reconcile(scheduler, session_factory, settings)
        assert changed.updated == [digest_id]
        job = scheduler.get_job(digest_id)
        assert job.name == "digest weekly: Tuesdays 08:30 America/Chicago"
        assert job.next_run_time == utc(2027, 11, 9, 14, 30)

        # Staff's approved standalone announcement gets a job at its time.
        send_at = utc(2027, 11, 4, 15)
        a = Announcement(
            author_email="staff@example.org",
            title="Native American Heritage Month lecture moved to Eric P. Newman Center",
            body_md="The lecture is now at the **Eric P. Newman Education Center**.",
            mode="standalone",
            status="approved",
            send_at=send_at,
            lists=[session.get(MailingList, list_id)],
        )
        session.add(a)
        session.commit()
        announcement_job = f"announcement:{a.id}"
        added = reconcile(scheduler, session_factory, settings)
        assert added.added == [announcement_job]
        assert scheduler.get_job(announcement_job).next_run_time == send_at

        # `mailer schedule list` shows the same next runs as the scheduler stored.
        rows = {r.id: r for r in job_table(session_factory, engine, settings)}
        assert rows[digest_id].next_run == utc(2027, 11, 9, 14, 30)
        assert rows[digest_id].stored_next_run == utc(2027, 11, 9, 14, 30)
        assert rows[announcement_job].next_run == send_at

        ml.digest_enabled = False
        session.commit()
        removed = reconcile(scheduler, session_factory, settings)
        assert removed.removed == [digest_id]
        assert scheduler.get_job(digest_id) is None


def test_a_bad_schedule_drops_only_that_lists_job(
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    scheduler: BackgroundScheduler,
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = digest_list(session, slug="weekly")
    digest_list(session, slug="broken", timezone="Mars/Olympus_Mons")
    session.commit()
    good_id = good.id
    result = reconcile(scheduler, session_factory, settings)
    assert sorted(result.added) == [f"digest:{good_id}", "ingest"]
    assert "'broken': unknown time zone 'Mars/Olympus_Mons'" in caplog.text


def test_the_job_table_stays_outside_the_migrations(
    engine: Engine,
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    scheduler: BackgroundScheduler,
) -> None:
    """APScheduler's own table must not make autogenerate want to drop it."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from mailer.migrations import include_object
    from mailer.models import Base

    digest_list(session)
    session.commit()
    reconcile(scheduler, session_factory, settings)
    assert inspect(engine).has_table(JOBSTORE_TABLE)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include_object}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_schedule_list_shows_each_job_in_local_time(
    session: Session, cli_env: dict[str, str]
) -> None:
    from click.testing import CliRunner

    from mailer.cli import cli

    digest_list(session, slug="weekly")
    digest_list(
        session, slug="kolkata", timezone="Asia/Kolkata", digest_weekday=4, digest_time="18:30"
    )
    session.commit()
    session.close()
    with time_machine.travel(utc(2027, 3, 10, 12), tick=False):
        result = CliRunner(env={**cli_env, "COLUMNS": "200"}).invoke(cli, ["schedule", "list"])
    assert result.exit_code == 0, result.output
    assert "Mon 2027-03-15 07:00 CDT" in result.output
    assert "Fri 2027-03-12 18:30 IST" in result.output
    assert "ingest every source hourly" in result.output
    assert "Active scheduler: none running" in result.output


def test_schedule_list_shows_the_time_that_fires_at_a_dst_change(
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    scheduler: BackgroundScheduler,
    cli_env: dict[str, str],
) -> None:
    """02:30 does not exist in Chicago on 14 March 2027: APScheduler fires at 08:30 UTC,
    which is 03:30 CDT, and that is what the list must say (not "02:30 CST")."""
    from click.testing import CliRunner

    from mailer.cli import cli

    digest_list(session, slug="weekly", digest_weekday=6, digest_time="02:30")
    session.commit()
    session.close()
    with time_machine.travel(utc(2027, 3, 10, 12), tick=False):
        reconcile(scheduler, session_factory, settings)
        result = CliRunner(env={**cli_env, "COLUMNS": "200"}).invoke(cli, ["schedule", "list"])
    job = scheduler.get_job("digest:1")
    assert job is not None
    assert job.next_run_time.timestamp() == utc(2027, 3, 14, 8, 30).timestamp()
    assert result.exit_code == 0, result.output
    assert result.output.count("Sun 2027-03-14 03:30 CDT") == 2  # computed, and as stored
    assert "02:30 CST" not in result.output
