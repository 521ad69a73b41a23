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
from mailer.scheduling import adapters
from mailer.scheduling.announcements import run_announcement
from mailer.scheduling.digests import run_digest

log = logging.getLogger(__name__)

DIGEST = "mailer.scheduling.jobs:digest"
ANNOUNCEMENT = "mailer.scheduling.jobs:announcement"
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


def ingest() -> None:
    rt = current()
    reports = adapters.call_stage(adapters.INGEST, rt.factory, rt.settings)
    if reports is not None:
        log.info("ingest: %d sources", len(reports))


def bounces() -> None:
    rt = current()
    if not rt.settings.bounce_mailbox:
        return
    adapters.call_stage(adapters.PROCESS_MAILBOX, rt.factory, rt.settings)


def reconcile() -> None:
    rt = current()
    if rt.reconcile is not None:
        rt.reconcile()


def renew_lock() -> None:
    rt = current()
    if rt.renew_lock is not None:
        rt.renew_lock()
