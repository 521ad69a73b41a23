"""`mailer schedule list`: what the scheduler will do next, in local time."""

from __future__ import annotations

import click
from rich.table import Table

from mailer.cli_support import console, needs_schema, session_factory, settings


@click.group("schedule")
def command() -> None:
    """Inspect the schedule that `mailer scheduler` runs."""


@command.command("list")
@needs_schema
def list_jobs() -> None:
    """Show every job with its next run time in local time.

    Digests are shown in their list's time zone, everything else in
    MAILER_DEFAULT_TIMEZONE. The times are computed from the database, so
    they are right even when no scheduler runs; the last column says what
    the running scheduler has stored, and who holds the scheduler lock.
    """
    from zoneinfo import ZoneInfo

    from mailer.scheduling.lock import scheduler_lock
    from mailer.scheduling.schedule import job_table

    s = settings()
    factory = session_factory(s)
    engine = factory.kw["bind"]
    rows = job_table(factory, engine, s)
    table = Table(title="Scheduled jobs")
    table.add_column("job")
    table.add_column("what")
    table.add_column("next run (local)")
    table.add_column("zone")
    table.add_column("scheduler has")
    for row in rows:
        zone = ZoneInfo(row.zone)
        nxt = (
            row.next_run.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z") if row.next_run else "—"
        )
        stored = (
            row.stored_next_run.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")
            if row.stored_next_run
            else "not yet stored"
        )
        table.add_row(row.id, row.name, nxt, row.zone, stored)
    console.print(table)
    worker = "in-process" if s.run_workers_in_scheduler else "left to `mailer worker` processes"
    holder = scheduler_lock(engine, ttl=s.scheduler_lock_seconds).current_holder()
    console.print(f"Delivery: {worker}. Active scheduler: {holder or 'none running'}.")
