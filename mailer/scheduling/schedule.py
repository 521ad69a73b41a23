"""APScheduler wiring for ``mailer scheduler``: which jobs exist, and keeping them current.

The database is the schedule: every list's digest day, time and zone, every
approved standalone announcement's time, and every scheduled campaign's start
(``mailer campaigns schedule``). ``reconcile`` turns that into
APScheduler jobs (adding, rescheduling and removing them), once at start and
then every ``scheduler_reconcile_seconds``, so an admin's change takes effect
without a restart.

Job stores: ``default`` is APScheduler's ``SQLAlchemyJobStore`` in the mailer's
own database (table ``apscheduler_jobs``, outside Alembic's view) and holds
the jobs that follow the data; ``internal`` is in memory and holds the
scheduler's own housekeeping (reconcile, lock renewal). ``misfire_grace_time``
and ``coalesce`` are set in ``job_defaults`` because APScheduler 3 ignores
them as scheduler arguments, and its 1-second default would silently drop a
digest that is a little late.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.db import make_engine, session_scope, utcnow
from mailer.delivery.models import Campaign, CampaignStatus
from mailer.scheduling import jobs
from mailer.scheduling.announcements import pending_standalone
from mailer.scheduling.digests import ScheduleError, describe, digest_trigger
from subscribers.models import MailingList

log = logging.getLogger(__name__)

JOBSTORE_TABLE = "apscheduler_jobs"
#: Job id prefixes owned by reconcile: anything else in the store is left alone.
DATA_PREFIXES = ("digest:", "announcement:", "campaign:")


@dataclass(frozen=True)
class JobSpec:
    """One job the database asks for. ``name`` describes it fully, so a changed
    schedule shows up as a changed name and is rescheduled."""

    id: str
    func: str
    trigger: BaseTrigger
    args: tuple[Any, ...]
    name: str
    zone: str  # where people read its next run time


def desired_jobs(session: Session, settings: Settings, now: dt.datetime) -> list[JobSpec]:
    """Every job the current data calls for."""
    utc = "UTC"
    specs = [
        JobSpec(
            "ingest",
            jobs.INGEST,
            IntervalTrigger(hours=1),
            (),
            "ingest every source hourly",
            settings.default_timezone,
        ),
    ]
    if settings.bounce_mailbox:
        specs.append(
            JobSpec(
                "bounces",
                jobs.BOUNCES,
                IntervalTrigger(minutes=10),
                (),
                "read the bounce mailbox every 10 minutes",
                settings.default_timezone,
            )
        )
    for ml in session.scalars(
        select(MailingList).where(MailingList.digest_enabled.is_(True)).order_by(MailingList.slug)
    ):
        try:
            trigger = digest_trigger(ml, settings)
        except ScheduleError as exc:
            log.error("no digest job: %s", exc)
            continue
        every = settings.scheduler_digest_every_seconds
        when = f"every {every} s (test setting)" if every > 0 else describe(ml)
        specs.append(
            JobSpec(
                f"digest:{ml.id}",
                jobs.DIGEST,
                trigger,
                (ml.id,),
                f"digest {ml.slug}: {when}",
                ml.timezone,
            )
        )
    for a in pending_standalone(session):
        assert a.send_at is not None
        run_at = max(a.send_at, now)
        zone = a.lists[0].timezone if a.lists else settings.default_timezone
        specs.append(
            JobSpec(
                f"announcement:{a.id}",
                jobs.ANNOUNCEMENT,
                DateTrigger(run_date=run_at),
                (a.id,),
                f"announcement {a.id} {a.title[:60]!r} at {a.send_at:%Y-%m-%d %H:%M} {utc}",
                zone,
            )
        )
    for c in session.scalars(
        select(Campaign)
        .where(Campaign.status == CampaignStatus.SCHEDULED)
        .order_by(Campaign.scheduled_at, Campaign.id)
    ):
        assert c.scheduled_at is not None  # campaigns.schedule always sets it
        specs.append(
            JobSpec(
                f"campaign:{c.id}",
                jobs.CAMPAIGN,
                DateTrigger(run_date=max(c.scheduled_at, now)),
                (c.id,),
                f"start campaign {c.id} {c.subject[:60]!r} "
                f"at {c.scheduled_at:%Y-%m-%d %H:%M} {utc}",
                settings.default_timezone,
            )
        )
    return specs


@dataclass
class ReconcileResult:
    added: list[str]
    updated: list[str]
    removed: list[str]


def reconcile(
    scheduler: BaseScheduler,
    factory: sessionmaker[Session],
    settings: Settings,
    now: dt.datetime | None = None,
) -> ReconcileResult:
    """Make the scheduler's data jobs match the database."""
    now = now or utcnow()
    with session_scope(factory) as session:
        specs = desired_jobs(session, settings, now)
    existing = {j.id: j for j in scheduler.get_jobs(jobstore="default")}
    result = ReconcileResult([], [], [])
    for spec in specs:
        job = existing.pop(spec.id, None)
        if job is None:
            scheduler.add_job(
                spec.func,
                trigger=spec.trigger,
                args=spec.args,
                id=spec.id,
                name=spec.name,
                jobstore="default",
                replace_existing=True,
            )
            result.added.append(spec.id)
        elif job.name != spec.name or job.func_ref != spec.func:
            scheduler.modify_job(
                spec.id, jobstore="default", name=spec.name, func=spec.func, args=spec.args
            )
            scheduler.reschedule_job(spec.id, jobstore="default", trigger=spec.trigger)
            result.updated.append(spec.id)
    for job_id in existing:
        if job_id.startswith(DATA_PREFIXES) or job_id in {"ingest", "bounces"}:
            scheduler.remove_job(job_id, jobstore="default")
            result.removed.append(job_id)
    if result.added or result.updated or result.removed:
        log.info(
            "reconciled jobs: added %s, updated %s, removed %s",
            result.added,
            result.updated,
            result.removed,
        )
    return result


def build_scheduler(
    settings: Settings, scheduler_class: type[BaseScheduler] = BlockingScheduler
) -> BaseScheduler:
    """A blocking scheduler whose persistent jobs live in the mailer's database.

    The job store gets an engine of its own: APScheduler disposes it at
    shutdown, which must not touch the connections the jobs or the lock use.
    """
    grace = max(1, settings.digest_grace_hours) * 3600
    return scheduler_class(
        jobstores={
            "default": SQLAlchemyJobStore(
                engine=make_engine(settings.database_url), tablename=JOBSTORE_TABLE
            ),
            "internal": MemoryJobStore(),
        },
        executors={"default": ThreadPoolExecutor(4)},
        job_defaults={"coalesce": True, "misfire_grace_time": grace, "max_instances": 1},
        timezone=dt.UTC,
    )


def add_housekeeping(scheduler: BaseScheduler, settings: Settings) -> None:
    """Reconcile, lock renewal and report alerts: in memory, never persisted."""
    scheduler.add_job(
        "mailer.scheduling.jobs:reconcile",
        IntervalTrigger(seconds=max(1, settings.scheduler_reconcile_seconds)),
        id="reconcile",
        name="reconcile jobs with the database",
        jobstore="internal",
        misfire_grace_time=None,
        next_run_time=utcnow(),
    )
    # Feedback also arrives by provider webhooks: look at recent sends' rates hourly too.
    scheduler.add_job(
        "mailer.scheduling.jobs:report_alerts",
        IntervalTrigger(hours=1),
        id="report-alerts",
        name="mail the admins about sends over the complaint or bounce line",
        jobstore="internal",
        misfire_grace_time=None,
    )
    scheduler.add_job(
        "mailer.scheduling.jobs:renew_lock",
        IntervalTrigger(seconds=max(1.0, settings.scheduler_lock_seconds / 3)),
        id="renew-lock",
        name="renew the scheduler lock",
        jobstore="internal",
        misfire_grace_time=None,
    )


@dataclass(frozen=True)
class JobView:
    id: str
    name: str
    next_run: dt.datetime | None
    zone: str
    stored_next_run: dt.datetime | None


def job_table(
    factory: sessionmaker[Session],
    engine: Engine,
    settings: Settings,
    now: dt.datetime | None = None,
) -> list[JobView]:
    """Every job the database calls for, with its next run (for ``mailer schedule list``).

    The next run is computed from the data, so it is right even before a
    scheduler has run; what the running scheduler has stored is shown next
    to it.
    """
    now = now or utcnow()
    stored: dict[str, dt.datetime | None] = {}
    if inspect(engine).has_table(JOBSTORE_TABLE):
        store = SQLAlchemyJobStore(engine=engine, tablename=JOBSTORE_TABLE)
        try:
            for job in store.get_all_jobs():
                stored[job.id] = job.next_run_time
        except Exception as exc:  # unreadable job: show what we can
            log.warning("could not read stored jobs: %s", exc)
    with session_scope(factory) as session:
        specs = desired_jobs(session, settings, now)
    rows = []
    for spec in specs:
        zone = ZoneInfo(spec.zone)
        nxt = spec.trigger.get_next_fire_time(None, now.astimezone(zone))
        if isinstance(spec.trigger, IntervalTrigger) and stored.get(spec.id):
            nxt = stored[spec.id]  # an interval counts from when the scheduler added it
        rows.append(
            JobView(spec.id, spec.name, _instant(nxt), spec.zone, _instant(stored.get(spec.id)))
        )
    return sorted(rows, key=lambda r: (r.next_run is None, r.next_run or now, r.id))


def _instant(when: dt.datetime | None) -> dt.datetime | None:
    """The UTC instant APScheduler fires at.

    Its cron trigger returns wall-clock times carrying the list's zone, and at a
    daylight-saving change that wall time may not exist ("02:30" on the spring
    Sunday in Chicago); the job fires at the instant that time maps to (08:30 UTC,
    03:30 CDT). Turning it into UTC first makes every later display of it real.
    """
    return when.astimezone(dt.UTC) if when is not None else None
