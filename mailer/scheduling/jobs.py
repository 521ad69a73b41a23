"""The functions APScheduler runs, referenced by name so its job store can keep them.

``SQLAlchemyJobStore`` stores each job as a text reference plus plain
arguments (a list or announcement id), never a live object. What a job
needs at run time (the session factory, settings, the scheduler itself) is
installed once per process with :func:`install` by ``mailer scheduler``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.content.ingest import ingest_all
from mailer.db import session_scope
from mailer.delivery import campaigns
from mailer.delivery.instant import send_instant
from mailer.feedback.mailboxes import MailboxError
from mailer.feedback.process import process_location
from mailer.reports.alerts import alert_admins
from mailer.scheduling.announcements import run_announcement
from mailer.scheduling.digests import run_digest

log = logging.getLogger(__name__)

DIGEST = "mailer.scheduling.jobs:digest"
ANNOUNCEMENT = "mailer.scheduling.jobs:announcement"
CAMPAIGN = "mailer.scheduling.jobs:campaign"
INGEST = "mailer.scheduling.jobs:ingest"
BOUNCES = "mailer.scheduling.jobs:bounces"


@dataclass
class Runtime:
    factory: sessionmaker[Session]
    settings: Settings
    reconcile: Callable[[], Any] | None = None
    renew_lock: Callable[[], Any] | None = None


_runtime: Runtime | None = None


def install(runtime: Runtime | None) -> None:
    global _runtime
    _runtime = runtime


def current() -> Runtime:
    if _runtime is None:
        raise RuntimeError(
            "scheduler jobs run only inside `mailer scheduler` (no runtime installed)"
        )
    return _runtime


def digest(list_id: int) -> None:
    rt = current()
    result = run_digest(rt.factory, rt.settings, list_id)
    log.info(
        "digest job for list %s: %s %s %s",
        list_id,
        result.action,
        result.edition_key,
        result.reason,
    )


def announcement(announcement_id: int) -> None:
    rt = current()
    result = run_announcement(rt.factory, rt.settings, announcement_id)
    log.info(
        "announcement job %s: %s %s %s",
        announcement_id,
        result.action,
        result.campaigns,
        result.reason,
    )


def campaign(campaign_id: int) -> None:
    """A campaign someone scheduled (`mailer campaigns schedule`) has come due: start it.

    Starts every due scheduled campaign, not only this one, so one that
    came due while no scheduler ran is started by the first job that fires.
    """
    rt = current()
    with session_scope(rt.factory) as session:
        started = campaigns.start_due(session)
    log.info("campaign job %s: started %s", campaign_id, started or "nothing (not due or done)")


def ingest() -> None:
    """Fetch every source; a failing source is a warning, never the end of the run."""
    rt = current()
    reports = ingest_all(rt.factory, rt.settings)
    failing = [r for r in reports if r.status == "failing"]
    for report in reports:
        if report.status == "failing":
            log.warning("ingest: %s", report.line())
        else:
            log.info("ingest: %s", report.line())
    log.info("ingest: %d sources, %d failing", len(reports), len(failing))


def bounces() -> None:
    """Read the configured bounce mailbox, exactly as ``mailer bounces process`` does."""
    rt = current()
    location = rt.settings.bounce_mailbox
    if not location:
        return
    try:
        report = process_location(location, rt.factory, rt.settings)
    except MailboxError as exc:
        log.error("bounces: cannot read MAILER_BOUNCE_MAILBOX: %s", exc)
        return
    log.info("bounces: %s", report.line())
    with session_scope(rt.factory) as session:
        alert_admins(session, rt.settings)


def report_alerts() -> None:
    """Mail the admins about recent sends over the complaint or hard-bounce line, once each."""
    rt = current()
    with session_scope(rt.factory) as session:
        alert_admins(session, rt.settings)


def reconcile() -> None:
    rt = current()
    if rt.reconcile is not None:
        rt.reconcile()
    instant_announcements()


def instant_announcements() -> None:
    """Approved announcements to the readers who want each one as it is approved."""
    rt = current()
    with session_scope(rt.factory) as session:
        for line in send_instant(session, rt.settings):
            log.info("instant: %s", line)


def renew_lock() -> None:
    rt = current()
    if rt.renew_lock is not None:
        rt.renew_lock()
