"""The life of one ``mailer scheduler`` process: standby, active, clean stop.

1. Standby until the scheduler lock is ours (another process may be active).
2. Catch up on a digest time that passed while no scheduler ran (send within
   the grace, else record the week as skipped), reconcile the jobs with the
   database, start the in-process worker unless workers run elsewhere.
3. Run APScheduler's blocking loop until SIGTERM/SIGINT or until the lock is
   lost (then stop scheduling at once and go back to standby).
4. On SIGTERM: ``shutdown(wait=True)`` lets running jobs finish, the worker
   stops after its current batch (anything it had claimed stays resumable),
   the lock is released so a standby takes over immediately.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
)
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.base import STATE_STOPPED, BaseScheduler

from mailer.config import Settings
from mailer.db import make_engine, make_sessionmaker
from mailer.delivery import blips
from mailer.delivery.worker import Worker
from mailer.scheduling import jobs, schedule
from mailer.scheduling.digests import catch_up
from mailer.scheduling.lock import SchedulerLock, scheduler_lock

log = logging.getLogger(__name__)

EXIT_OK = 0
STANDBY_POLL_SECONDS = 1.0
#: Every outcome of a submitted run; each settles one submission.
SETTLES = EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED


@dataclass
class _State:
    stop: threading.Event = field(default_factory=threading.Event)
    worker_stop: threading.Event = field(default_factory=threading.Event)
    scheduler: BaseScheduler | None = None
    lock_lost: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    stopper: threading.Thread | None = None
    running: int = 0  # jobs submitted and not yet settled

    def on_job_event(self, event: JobEvent) -> None:
        """Count submitted runs up and settled ones down.

        A submitted run ends in exactly one of executed, error or *missed*
        (APScheduler decides a run is missed in the executor, after reporting
        it submitted); coalescing (``job_defaults``) makes it one run per
        submission. Leaving any outcome out would make SIGTERM wait for ever.
        """
        with self.lock:
            self.running += 1 if event.code == EVENT_JOB_SUBMITTED else -1

    def request_stop(self, *_: Any) -> None:
        """SIGTERM/SIGINT: finish running jobs, stop the worker after its batch.

        The scheduler is shut down from a helper thread, not inside the signal
        handler: the handler may interrupt APScheduler half-way through
        ``start()`` or a pass over its job stores, and ``shutdown(wait=True)``
        must be able to wait for the pool without re-entering it.
        """
        if self.stop.is_set():
            return
        log.info("stopping: letting running jobs and the current batch finish")
        self.stop.set()
        self.worker_stop.set()
        self.stopper = threading.Thread(target=self._stop_scheduler, name="scheduler-stop")
        self.stopper.start()

    def _stop_scheduler(self) -> None:
        while True:
            with self.lock:
                sched = self.scheduler
            if sched is None:  # standby, or the loop never started / already ended
                return
            if sched.state != STATE_STOPPED:
                # APScheduler 3's shutdown(wait=True) holds the job-store lock while it
                # waits for running jobs, so a job that calls into the scheduler (reconcile,
                # lock renewal) would deadlock it: pause, let running jobs finish, then shut
                # down with nothing left to wait for.
                with contextlib.suppress(SchedulerNotRunningError):
                    sched.pause()
                self._wait_idle()
                with contextlib.suppress(SchedulerNotRunningError):  # the loop beat us to it
                    sched.shutdown(wait=True)
                return
            time.sleep(0.05)  # between `scheduler = sched` and start(): wait for it to run

    def _wait_idle(self) -> None:
        said = False
        while True:
            with self.lock:
                running = self.running
            if running <= 0:
                return
            if not said:
                log.info("waiting for %d running job(s) to finish", running)
                said = True
            time.sleep(0.05)

    def join_stopper(self) -> None:
        if self.stopper is not None:
            self.stopper.join()


def run(
    settings: Settings,
    *,
    with_worker: bool | None = None,
    install_signals: bool = True,
    standby_poll: float | None = None,
) -> int:
    """Run the scheduler until stopped; returns the process exit status."""
    with_worker = settings.run_workers_in_scheduler if with_worker is None else with_worker
    engine = make_engine(settings.database_url)
    factory = make_sessionmaker(engine)
    lock = scheduler_lock(engine, ttl=settings.scheduler_lock_seconds)
    # A standby asks for the lock every second (one cheap query): after a clean stop
    # releases it, the standby takes over at once, not a third of the lease later.
    poll = standby_poll if standby_poll is not None else STANDBY_POLL_SECONDS
    state = _State()
    if install_signals:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, state.request_stop)
    blips_in_a_row = 0
    try:
        while not state.stop.is_set():
            try:
                if not _wait_for_lock(lock, state, poll):
                    break
                _run_active(engine, factory, settings, lock, state, with_worker)
                blips_in_a_row = 0
            except Exception as exc:
                # A database restart or failover is weather (mailer.delivery.blips): the
                # lock went with its connection; wait, then ask for it again.
                if not blips.is_blip(exc):
                    raise
                blips_in_a_row += 1
                delay = blips.wait_for(blips_in_a_row)
                log.warning(
                    "database unreachable (%s); back to standby, trying again in %.1fs",
                    blips.describe(exc),
                    delay,
                )
                lock.release()
                state.lock_lost = True
                state.stop.wait(delay)
            if state.lock_lost and not state.stop.is_set():
                log.error("lost the scheduler lock; back to standby")
                state.lock_lost = False
                state.worker_stop = threading.Event()
    finally:
        lock.release()
        jobs.install(None)
        engine.dispose()
    log.info("scheduler stopped")
    return EXIT_OK


def _wait_for_lock(lock: SchedulerLock, state: _State, poll: float) -> bool:
    announced = False
    while not state.stop.is_set():
        if lock.acquire():
            log.info("scheduler active (lock held by %s)", lock.holder)
            return True
        if not announced:
            holder = lock.current_holder() or "another process"
            log.info("standby: the scheduler lock is held by %s; waiting to take over", holder)
            announced = True
        state.stop.wait(poll)
    return False


def _run_active(engine, factory, settings, lock, state: _State, with_worker: bool) -> None:
    sched = schedule.build_scheduler(settings)

    def do_reconcile() -> None:
        if not state.stop.is_set():  # stopping: never call into a scheduler shutting down
            schedule.reconcile(sched, factory, settings)

    def do_renew() -> None:
        if state.stop.is_set():
            return
        if not lock.renew():
            state.lock_lost = True
            log.error("the scheduler lock was lost; stopping jobs now")
            sched.shutdown(wait=False)

    jobs.install(jobs.Runtime(factory, settings, reconcile=do_reconcile, renew_lock=do_renew))
    try:
        for run in catch_up(factory, settings):
            log.info(
                "catch-up %s %s: %s %s", run.list_slug, run.edition_key, run.action, run.reason
            )
    except Exception:  # the weekly jobs still run; a failed catch-up must not stop them
        log.exception("catch-up of missed digests failed; the regular schedule continues")
    worker_thread = None
    if with_worker:
        worker_thread = threading.Thread(
            target=_work,
            args=(factory, settings, state.worker_stop),
            name="mailer-worker",
            daemon=True,
        )
        worker_thread.start()
    # Reconcile runs first thing inside the loop (next_run_time=now), once the job
    # store is open, then every scheduler_reconcile_seconds.
    schedule.add_housekeeping(sched, settings)
    with state.lock:
        state.running = 0
    sched.add_listener(state.on_job_event, SETTLES | EVENT_JOB_SUBMITTED)
    with state.lock:
        state.scheduler = sched
    try:
        if not state.stop.is_set():
            sched.start()
    finally:
        with state.lock:
            state.scheduler = None
        state.join_stopper()  # running jobs have finished once this returns
        state.worker_stop.set()
        if worker_thread is not None:
            worker_thread.join(timeout=max(60.0, settings.smtp_timeout * 2))
            if worker_thread.is_alive():
                log.error("worker did not stop within its batch time; its rows stay resumable")


def _work(factory, settings: Settings, stop: threading.Event) -> None:
    try:
        Worker(factory, settings, stop=stop).run(idle=2.0)
    except Exception:
        log.exception("in-process worker stopped with an error; run `mailer worker` meanwhile")
