"""The send loop: claim a batch, build its messages, hand them to the backend, record.

Each batch is two short transactions around the backend call: claim (rows
become ``sending``) and record (rows become ``sent``/``failed``/requeued).
The campaign's status is read before every batch, so pause, resume and
cancel take effect within one batch, from any process.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, defer, sessionmaker

from mailer.compose.snapshot import Snapshot
from mailer.config import Settings
from mailer.db import audit, session_scope
from mailer.delivery import lease, memory, outbox
from mailer.delivery.backends import Backend, BackendError, backend_from_url
from mailer.delivery.backends.base import Outcome, OutgoingMessage, SendResult
from mailer.delivery.message import MessageBuilder, Recipient
from mailer.delivery.models import Campaign, CampaignStatus
from mailer.delivery.ratelimit import RateLimiter
from subscribers.models import MailingList

log = logging.getLogger(__name__)


def worker_name() -> str:
    """``host:pid:thread``: the lease rule (mailer.delivery.lease) reads the host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


@dataclass
class WorkerStats:
    sent: int = 0
    failed: int = 0
    batches: int = 0
    campaigns: set[int] = field(default_factory=set)


ProgressFn = Callable[[int, int, int], None]  # campaign id, sent in batch, failed in batch


@dataclass(frozen=True, slots=True)
class Recorded:
    """What recording a batch found: its counts and the campaign's status after it."""

    campaign_id: int
    sent: int
    failed: int
    status: str
    paused: bool = False


#: Load a campaign without its snapshot (tens of KB, compressed in PostgreSQL) when
#: only its state and counts are needed, as on every batch.
LIGHT = (defer(Campaign.html), defer(Campaign.text), defer(Campaign.meta))

#: Transient backend failures in a row (reconnect and retry) before the campaign pauses.
BACKEND_RETRIES = 3

#: Seconds between looks for newly started campaigns while busy (pause and cancel are
#: read before every batch regardless).
CAMPAIGNS_EVERY = 2.0


class Worker:
    """Drains sending campaigns; one per process or thread, each with its own backend."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        settings: Settings,
        backend: Backend | None = None,
        *,
        name: str | None = None,
        progress: ProgressFn | None = None,
        stop: threading.Event | None = None,
        lease_ttl: dt.timedelta = lease.DEFAULT_TTL,
    ) -> None:
        self.session_factory = session_factory
        self.settings = settings
        self.backend = backend or backend_from_url(settings.backend, settings)
        self.name = name or worker_name()
        self.progress = progress
        self.stop = stop or threading.Event()
        self.lease_ttl = lease_ttl
        self.limiter = RateLimiter(session_factory, settings)
        memory.keep_freed_memory()
        self.stats = WorkerStats()
        self._builders: dict[int, MessageBuilder] = {}
        self._consecutive_failures: dict[int, int] = {}
        self._backend_errors = 0
        self._opened = False
        # PostgreSQL: a batch's results are written by a second thread (its own
        # connection) while this one claims and builds the next batch; SQLite has one
        # writer at a time, so it records in line.
        self._bind = session_factory.kw.get("bind")
        self._overlap = getattr(getattr(self._bind, "dialect", None), "name", "") == "postgresql"
        self._recorder: ThreadPoolExecutor | None = None
        self._pending: Future[Recorded] | None = None

    # -- the loop -----------------------------------------------------------------

    def run(
        self, *, once: bool = False, campaign_id: int | None = None, idle: float = 2.0
    ) -> WorkerStats:
        """Send until nothing is due (``once``) or until stopped.

        The worker holds a lease while it runs (see mailer.delivery.lease) and
        requeues the rows of dead workers when it starts and once per lease
        time after that.
        """
        with (
            lease.Heartbeat(self.session_factory, self.name, self.lease_ttl),
            ThreadPoolExecutor(1, thread_name_prefix="mailer-record") as recorder,
        ):
            self._recorder = recorder if self._overlap else None
            next_recovery = 0.0
            campaigns_checked = -CAMPAIGNS_EVERY
            sending: list[int] = []
            try:
                while not self.stop.is_set():
                    round_started = time.monotonic()
                    if time.monotonic() >= next_recovery:
                        self.recover()
                        next_recovery = time.monotonic() + self.lease_ttl.total_seconds()
                    worked = False
                    if time.monotonic() >= campaigns_checked + CAMPAIGNS_EVERY:
                        sending = self._sending_campaigns(campaign_id)
                        campaigns_checked = time.monotonic()
                    for cid in sending:
                        if self.stop.is_set():
                            break
                        worked |= self.run_batch(cid)
                    if not worked:
                        if once and campaigns_checked >= round_started:
                            break
                        campaigns_checked = -CAMPAIGNS_EVERY  # look again for new campaigns
                        if not once:
                            self.stop.wait(idle)
            finally:
                try:
                    self._settle()  # the last batch's results are written before we return
                finally:
                    self._recorder = None
                    if self._opened:
                        self.backend.close()
                        self._opened = False
        return self.stats

    def recover(self) -> int:
        with session_scope(self.session_factory) as session:
            requeued = outbox.recover_orphans(session)
        if requeued:
            log.warning("requeued %d deliveries left sending by a stopped worker", requeued)
        return requeued

    def _sending_campaigns(self, only: int | None) -> list[int]:
        with session_scope(self.session_factory) as session:
            query = select(Campaign.id).where(Campaign.status == CampaignStatus.SENDING)
            if only is not None:
                query = query.where(Campaign.id == only)
            return list(session.scalars(query.order_by(Campaign.id)))

    def run_batch(self, campaign_id: int) -> bool:
        """One batch of one campaign; False when nothing of it was due."""
        limit = min(self.settings.batch_size, max(1, self.backend.max_batch))
        if self.limiter.enabled:
            limit = self.limiter.acquire(limit, self.stop)
            if limit == 0:
                return not self.stop.is_set()  # throttled: still work to do, come back
        with session_scope(self.session_factory) as session:
            # The campaign's state is checked by the claim itself: nothing is claimed
            # unless it is sending (so a pause or cancel takes effect before this batch).
            builder = self._builders.get(campaign_id)
            claimed = outbox.claim(
                session,
                campaign_id,
                limit,
                self.name,
                list_id=builder.list_id if builder else None,
                while_sending=True,
            )
            if not claimed:
                campaign = session.get(Campaign, campaign_id, options=LIGHT)
                if campaign is not None:
                    outbox.finish_if_done(session, campaign)  # re-reads the state, locked
            elif campaign_id not in self._builders:
                campaign = session.get(Campaign, campaign_id)
                assert campaign is not None
                self._builder(session, campaign)
        if len(claimed) < limit and self.limiter.enabled:
            self.limiter.release(limit - len(claimed))
        if not claimed:
            return False
        builder = self._builders[campaign_id]
        messages: list[OutgoingMessage] = []
        unbuildable: list[SendResult] = []
        for c in claimed:
            try:
                messages.append(
                    builder.build(Recipient(c.delivery_id, c.subscriber_id, c.email, c.name))
                )
            except ValueError as exc:  # e.g. a header injection attempt in a stored name
                unbuildable.append(
                    SendResult(c.delivery_id, Outcome.PERMANENT, f"not built: {exc}")
                )
        # The previous batch's results are committed before this one is handed over, so
        # after a crash at most one sent batch is of unknown fate (and sent again).
        if self._settle() is not None and not self._still_sending(campaign_id, claimed):
            return True
        try:
            if not self._opened:
                self.backend.open()
                self._opened = True
            results = self.backend.send(messages) if messages else []
        except BackendError as exc:
            self._backend_failed(
                campaign_id, [m.delivery_id for m in messages], str(exc), exc.transient
            )
            if unbuildable:
                self._record(campaign_id, claimed, messages, unbuildable)
            return True
        self._backend_errors = 0
        self._record(campaign_id, claimed, messages, list(results) + unbuildable)
        return True

    # -- helpers --------------------------------------------------------------------

    def _builder(self, session: Session, campaign: Campaign) -> MessageBuilder:
        builder = self._builders.get(campaign.id)
        if builder is None:
            mailing_list = session.get(MailingList, campaign.list_id)
            assert mailing_list is not None
            snapshot = Snapshot(campaign.subject, campaign.preheader, campaign.html, campaign.text)
            builder = MessageBuilder(
                snapshot,
                mailing_list,
                self.settings,
                campaign_id=campaign.id,
                structured=bool(getattr(self.backend, "structured", False)),
            )
            self._builders[campaign.id] = builder
        return builder

    def _record(
        self,
        campaign_id: int,
        claimed: list[outbox.Claimed],
        messages: list[OutgoingMessage],
        results: list[SendResult],
    ) -> None:
        by_id = {r.delivery_id: r for r in results}
        # A backend that forgot a message must not lose it: treat it as transient.
        for c in claimed:
            if c.delivery_id not in by_id:
                results.append(
                    SendResult(c.delivery_id, Outcome.TRANSIENT, "no result from backend")
                )
        attempts = {c.delivery_id: c.attempts for c in claimed}
        message_ids = {m.delivery_id: m.message_id for m in messages}
        streak = self._consecutive_failures.get(campaign_id, 0)
        last_error = ""
        for r in results:
            if r.outcome is Outcome.SENT:
                streak = 0
            else:
                streak += 1
                last_error = r.detail
        self._consecutive_failures[campaign_id] = streak
        max_failures = self.settings.max_consecutive_failures

        def write() -> Recorded:
            with session_scope(self.session_factory) as session:
                # The counters' UPDATE returns the campaign's status and holds its row
                # lock, so the pause and finish checks need no campaign load of their own.
                sent, failed, status = outbox.record_batch(
                    session,
                    campaign_id,
                    results,
                    message_ids,
                    attempts,
                    self.settings.max_attempts,
                    worker=self.name,
                )
                paused = streak >= max_failures and status == CampaignStatus.SENDING
                if paused:
                    campaign = session.get(Campaign, campaign_id, options=LIGHT)
                    assert campaign is not None
                    campaign.status = status = CampaignStatus.PAUSED
                    campaign.status_reason = f"{streak} failures in a row; last: {last_error}"
                    audit(
                        session,
                        self.name,
                        "campaign.pause",
                        f"campaign:{campaign_id}",
                        note=campaign.status_reason,
                    )
                    log.error("campaign %s paused: %s", campaign_id, campaign.status_reason)
                outbox.finish_locked(session, campaign_id, status)
            return Recorded(campaign_id, sent, failed, status, paused)

        self._settle()  # one batch in flight at a time, recorded in order
        if self._recorder is not None:
            self._pending = self._recorder.submit(write)
        else:
            self._recorded(write())

    def _still_sending(self, campaign_id: int, claimed: list[outbox.Claimed]) -> bool:
        """The campaign's state read again once the previous batch is recorded.

        That batch's recording ran while this one was claimed, and may have paused
        the campaign (its failures), as may an operator meanwhile: then this batch
        goes back to the queue untouched (or is skipped, if cancelled), as if the
        pause had come before its claim.
        """
        current = select(Campaign.status).where(Campaign.id == campaign_id)
        # One read, no transaction around it: a round trip rather than three.
        assert self._bind is not None  # only called when overlapping (PostgreSQL)
        with self._bind.connect() as conn:
            status = conn.execution_options(isolation_level="AUTOCOMMIT").scalar(current)
        if status == CampaignStatus.SENDING:
            return True
        with session_scope(self.session_factory) as session:
            outbox.release(session, [c.delivery_id for c in claimed], f"campaign {status}")
            if status == CampaignStatus.CANCELLED:
                outbox.skip_remaining(session, campaign_id, "campaign cancelled")
        return False

    def _settle(self) -> Recorded | None:
        """Wait for the batch being recorded, if any; its errors are raised here."""
        pending, self._pending = self._pending, None
        if pending is None:
            return None
        return self._recorded(pending.result())

    def _recorded(self, done: Recorded) -> Recorded:
        if done.paused:
            self._consecutive_failures[done.campaign_id] = 0
        self.stats.sent += done.sent
        self.stats.failed += done.failed
        self.stats.batches += 1
        self.stats.campaigns.add(done.campaign_id)
        if self.progress:
            self.progress(done.campaign_id, done.sent, done.failed)
        return done

    def _backend_failed(
        self, campaign_id: int, delivery_ids: list[int], reason: str, transient: bool = False
    ) -> None:
        """The transport as a whole failed: nobody in the batch was sent.

        The batch goes back to the queue untouched. A transient failure (the
        backend says a reconnect may help) is retried after a short backoff,
        up to ``BACKEND_RETRIES`` times in a row; anything else, or one time
        too many, pauses the campaign with the reason.
        """
        self._settle()
        self._backend_errors += 1
        retry = transient and self._backend_errors <= BACKEND_RETRIES
        with session_scope(self.session_factory) as session:
            outbox.release(session, delivery_ids, reason)
            campaign = session.get(Campaign, campaign_id, options=LIGHT)
            if not retry and campaign is not None and campaign.status == CampaignStatus.SENDING:
                campaign.status = CampaignStatus.PAUSED
                campaign.status_reason = f"backend failed: {reason}"
                audit(session, self.name, "campaign.pause", f"campaign:{campaign_id}", note=reason)
        if self._opened:
            try:
                self.backend.close()
            except Exception:  # closing a broken transport may fail too; it is reopened anyway
                log.debug("closing the backend failed", exc_info=True)
            finally:
                self._opened = False
        if retry:
            delay = min(2.0 ** (self._backend_errors - 1), 30.0)
            log.warning("backend failed (%s); retrying in %.0fs", reason, delay)
            self.stop.wait(delay)
        else:
            self._backend_errors = 0
            log.error("campaign %s paused: %s", campaign_id, reason)


def drain(session_factory: sessionmaker[Session], settings: Settings, **kwargs) -> WorkerStats:
    """Send everything that is due now and return (``mailer worker --once``)."""
    started = time.monotonic()
    stats = Worker(session_factory, settings, **kwargs).run(once=True)
    log.info(
        "drained %d sent, %d failed in %.1fs", stats.sent, stats.failed, time.monotonic() - started
    )
    return stats
