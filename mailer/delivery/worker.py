"""The send loop: claim a batch, build its messages, hand them to the backend, record.

Each batch is two short transactions around the backend call: claim (rows
become ``sending``) and record (rows become ``sent``/``failed``/requeued).
The transport is kept busy: while one batch is being sent (by a sender
thread), the next is claimed and built; it is handed over as soon as the
first one's results are committed, so after a crash at most one sent batch
is of unknown fate. The campaign's status is read before every batch, so
pause, resume and cancel take effect within one batch, from any process.
Storage is seen only through ``OutboxStore`` (mailer.delivery.store), the
transport only through ``Backend``; the retry and pause rules are pure
functions (policy.py); a lost database connection is waited out (blips.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.delivery import batch, blips, lease
from mailer.delivery.backends import Backend, BackendError, backend_from_url
from mailer.delivery.backends.base import Outcome, OutgoingMessage, SendResult
from mailer.delivery.memory import keep_freed_memory
from mailer.delivery.message import MessageBuilder
from mailer.delivery.models import CampaignStatus
from mailer.delivery.outbox import Claimed
from mailer.delivery.policy import PauseWatch
from mailer.delivery.ratelimit import RateLimiter
from mailer.delivery.recovery import Recovered
from mailer.delivery.sqlstore import SqlOutboxStore
from mailer.delivery.store import OutboxStore, Recorded, VariantStore
from mailer.delivery.variants import VariantBuilder, route

__all__ = ["Recorded", "Worker", "WorkerStats", "drain", "sql_store"]

log = logging.getLogger(__name__)


@dataclass
class WorkerStats:
    sent: int = 0
    failed: int = 0
    batches: int = 0
    campaigns: set[int] = field(default_factory=set)


#: The longest the building thread holds the GIL while a sending thread waits for it
#: (Python's default is 5 ms; see _prompt_thread_switches).
SWITCH_INTERVAL = 0.0005
_switches_lock = threading.Lock()
_switches_users = 0
_switches_before = 0.0


@contextlib.contextmanager
def _prompt_thread_switches() -> Iterator[None]:
    """While a worker runs, a thread waiting for the GIL gets it within 0.5 ms.

    The sender thread spends its time waiting for SMTP replies, four per
    message; each time one arrives it needs the GIL back, and while this
    thread is building the next batch it had to wait out Python's 5 ms switch
    interval for it. A batch of digests takes this thread about a quarter of a
    second to build, during which the transport sent a third as many messages
    as it could. A shorter interval costs the building thread a few more
    switches; the transport, which is what the reader waits for, stays busy.
    Set once per process however many workers run in it (threads, tests).
    """
    global _switches_users, _switches_before
    with _switches_lock:
        if _switches_users == 0:
            _switches_before = sys.getswitchinterval()
            sys.setswitchinterval(min(_switches_before, SWITCH_INTERVAL))
        _switches_users += 1
    try:
        yield
    finally:
        with _switches_lock:
            _switches_users -= 1
            if _switches_users == 0:
                sys.setswitchinterval(_switches_before)


ProgressFn = Callable[[int, int, int], None]  # campaign id, sent in batch, failed in batch

#: What the sender thread hands back: the results (recorded by the caller), the batch
#: already recorded (PostgreSQL), or the transport's failure as a whole.
Sent = list[SendResult] | Recorded | BackendError


@dataclass
class _Flight:
    """The batch in the sender thread's hands."""

    campaign_id: int
    claimed: list[Claimed]
    messages: list[OutgoingMessage]
    unbuildable: list[SendResult]
    future: Future[Sent]

    @property
    def suspect(self) -> bool:
        """A resent row of a stopped worker, maybe the one that stopped it."""
        return any(c.recoveries for c in self.claimed)


#: Transient backend failures in a row (reconnect and retry) before the campaign pauses.
BACKEND_RETRIES = 3

#: Seconds between looks for newly started campaigns while busy (pause and cancel are
#: read before every batch regardless).
CAMPAIGNS_EVERY = 2.0

#: The first batch after a start or an idle spell holds at most this many rows, and each
#: next one RAMP times more, up to the batch size (see Worker.run_batch).
FIRST_BATCH = 50
RAMP = 4


def sql_store(session_factory: sessionmaker[Session], settings: Settings) -> SqlOutboxStore:
    return SqlOutboxStore(
        session_factory,
        max_attempts=settings.max_attempts,
        retry_base=settings.retry_base_seconds,
        msgid_domain=settings.message_id_domain,
    )


class Worker:
    """Drains sending campaigns; one per process or thread, each with its own backend."""

    def __init__(
        self,
        store: OutboxStore | sessionmaker[Session],
        settings: Settings,
        backend: Backend | None = None,
        *,
        name: str | None = None,
        progress: ProgressFn | None = None,
        stop: threading.Event | None = None,
        lease_ttl: dt.timedelta | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        if isinstance(store, sessionmaker):
            store = sql_store(store, settings)
        self.store: OutboxStore = store
        self.settings = settings
        self.backend = backend or backend_from_url(settings.backend, settings)
        self.name = name or lease.instance_id()
        self.progress = progress
        self.stop = stop or threading.Event()
        self.lease_ttl = lease_ttl or dt.timedelta(seconds=settings.lease_seconds)
        sql = store if isinstance(store, SqlOutboxStore) else None
        if limiter is None and sql is not None:
            limiter = RateLimiter(sql.session_factory, settings)
        self.limiter = limiter
        keep_freed_memory()
        self.stats = WorkerStats()
        self._builders: dict[int, MessageBuilder | VariantBuilder] = {}
        self._watches: dict[int, PauseWatch] = {}
        self._backend_errors = 0
        self._db_errors = 0
        self._opened = False
        # A batch is sent by a second thread while this one claims and builds the next.
        # PostgreSQL: that thread also writes the batch's results (on its own
        # connection); SQLite has one writer at a time, so this thread records them.
        self._overlap = sql is not None and sql.dialect == "postgresql"
        self._sender: ThreadPoolExecutor | None = None
        self._flight: _Flight | None = None
        self._pending_ids: set[int] = set()  # sent or being sent, not yet recorded
        self._next_recovery = 0.0
        self._campaigns_checked = -CAMPAIGNS_EVERY
        self._sending: list[int] = []
        self._ramp = FIRST_BATCH
        self._open_error: BackendError | None = None  # the sender thread's early connect

    # -- the loop -----------------------------------------------------------------

    def run(
        self, *, once: bool = False, campaign_id: int | None = None, idle: float = 2.0
    ) -> WorkerStats:
        """Send until nothing is due and no other worker holds a batch (``once``), or
        until stopped.

        The worker holds a lease while it runs (see mailer.delivery.lease) and
        recovers the rows of workers whose lease expired when it starts and
        once per lease time after that. A lost database connection is retried
        with backoff (mailer.delivery.blips); the loop carries on after it.
        """
        with (
            _prompt_thread_switches(),
            lease.Heartbeat(self.store, self.name, self.lease_ttl, self.stop),
            ThreadPoolExecutor(1, thread_name_prefix="mailer-send") as sender,
        ):
            self._sender = sender
            try:
                while not self.stop.is_set():
                    try:
                        if not self._round(once, campaign_id, idle):
                            break
                        self._db_errors = 0
                    except Exception as exc:
                        if not blips.is_blip(exc):
                            raise
                        self._weather(exc)
            finally:
                try:
                    self._settle()  # the last batch's results are written before we return
                finally:
                    self._sender = None
                    # In the sender thread, after an early connect it may still be making.
                    sender.submit(self._disconnect).result()
        return self.stats

    def _round(self, once: bool, campaign_id: int | None, idle: float) -> bool:
        """One pass over the sending campaigns; False when ``once`` is done."""
        round_started = time.monotonic()
        if time.monotonic() >= self._next_recovery:
            self.recover()
            self._next_recovery = time.monotonic() + self.lease_ttl.total_seconds()
        if time.monotonic() >= self._campaigns_checked + CAMPAIGNS_EVERY:
            self._sending = self.store.sending_campaigns(campaign_id)
            self._campaigns_checked = time.monotonic()
        worked = False
        for cid in self._sending:
            if self.stop.is_set():
                break
            worked |= self.run_batch(cid)
        if worked:
            return True
        self._ramp = FIRST_BATCH  # idle: the next send starts small again
        fresh = self._campaigns_checked >= round_started
        self._campaigns_checked = -CAMPAIGNS_EVERY  # look again for new campaigns
        if once and fresh:
            self._settle()
            if not self.store.in_flight_elsewhere(self._sending, self.name):
                return False
            # Another worker holds a batch: wait until it records it, or until its lease
            # expires and the batch comes back to the queue.
            wait = min(idle, self.lease_ttl.total_seconds() / 3)
            self._next_recovery = min(self._next_recovery, time.monotonic() + wait)
            self.stop.wait(wait)
        elif not once:
            self.stop.wait(idle)
        return True

    def recover(self) -> Recovered:
        recovered = self.store.recover(self.settings.max_crashes)
        if recovered:
            log.warning(
                "rows left sending by stopped workers: %d requeued, %d skipped (cancelled), "
                "%d failed (stopped a worker %d times)",
                recovered.requeued,
                recovered.skipped,
                recovered.failed,
                self.settings.max_crashes,
            )
        return recovered

    def _weather(self, exc: BaseException) -> None:
        """A lost database connection: wait, then put back what a lost claim took."""
        self._db_errors += 1
        delay = blips.wait_for(self._db_errors)
        log.warning("database unreachable (%s); retrying in %.1fs", blips.describe(exc), delay)
        self.stop.wait(delay)
        keep = set(self._pending_ids)
        blips.retrying(
            lambda: self.store.release_own(self.name, keep), self.stop, "releasing a lost claim"
        )
        self._campaigns_checked = -CAMPAIGNS_EVERY

    def run_batch(self, campaign_id: int) -> bool:
        """One batch of one campaign; False when nothing of it was due.

        The first batch after a start or an idle spell is small (``FIRST_BATCH``)
        and the next ones grow ``RAMP`` times up to the batch size: the
        transport starts after 50 messages are claimed and built rather than
        500, and meanwhile the next, larger batch is made. The transport also
        connects in its own thread while the first batch is built.
        """
        limit = min(self.settings.batch_size, max(1, self.backend.max_batch), self._ramp)
        if self.limiter is not None and self.limiter.enabled:
            limit = self.limiter.acquire(limit, self.stop)
            if limit == 0:
                return not self.stop.is_set()  # throttled: still work to do, come back
        if self._flight is not None and self._flight.suspect:
            # No claim while a suspect is out: should it stop this worker too, rows
            # claimed meanwhile would count that crash against themselves.
            self._settle()
        builder = self._builders.get(campaign_id)
        # Claimed while a batch is out: rows resent after a crash wait until nothing is,
        # for the same reason (they then go out alone, see _one_suspect_at_a_time).
        claimed = self.store.claim(
            campaign_id,
            limit,
            self.name,
            builder.list_id if builder else None,
            fresh_only=self._flight is not None,
        )
        if len(claimed) < limit and self.limiter is not None and self.limiter.enabled:
            self.limiter.release(limit - len(claimed))
        if not claimed:
            # Nothing due now. The batch in flight, once recorded, may finish the
            # campaign or give rows back to the queue: then look again.
            return self._settle()
        self._ramp = min(self._ramp * RAMP, self.settings.batch_size)  # bounded: a long run
        if not self._opened and self._flight is None and self._sender is not None:
            self._sender.submit(self._connect_early)
        claimed = self._one_suspect_at_a_time(campaign_id, claimed)
        if not claimed:
            return True
        builder = builder or self._builder(campaign_id)
        if isinstance(builder, VariantBuilder):
            claimed = self._route(campaign_id, builder, claimed)
            if not claimed:
                return True
        sending = self._flight.future if self._flight is not None else None
        messages, unbuildable = batch.build(builder, claimed, yield_to=sending)
        # The previous batch's results are committed before this one is handed over, so
        # after a crash at most one sent batch is of unknown fate (and sent again).
        if self._settle() and not self._still_sending(campaign_id, claimed):
            return True
        self._dispatch(campaign_id, claimed, messages, unbuildable)
        return True

    # -- helpers --------------------------------------------------------------------

    def _one_suspect_at_a_time(self, campaign_id: int, claimed: list[Claimed]) -> list[Claimed]:
        """Rows that were in flight when a worker stopped go out alone, one per batch.

        One of them may be what stopped it (a poison row): sent alone, it takes
        only itself towards the crash cap, not the rows that shared its batch.
        """
        suspect = next((c for c in claimed if c.recoveries), None)
        if suspect is None or len(claimed) == 1:
            return claimed
        others = [c.delivery_id for c in claimed if c is not suspect]
        status = self.store.release(campaign_id, others, "waiting while a resent row goes alone")
        if status != CampaignStatus.SENDING:  # paused or cancelled meanwhile: not even it
            self.store.release(campaign_id, [suspect.delivery_id], f"campaign {status}")
            return []
        return [suspect]

    def _builder(self, campaign_id: int) -> MessageBuilder | VariantBuilder:
        edition = self.store.edition(campaign_id)
        base = MessageBuilder(
            edition.snapshot,
            edition.mailing_list,
            self.settings,
            campaign_id=campaign_id,
            structured=bool(getattr(self.backend, "structured", False)),
        )
        builder = VariantBuilder(base, edition.mailing_list) if edition.variants else base
        self._builders[campaign_id] = builder
        return builder

    def _route(
        self, campaign_id: int, builder: VariantBuilder, claimed: list[Claimed]
    ) -> list[Claimed]:
        """Each reader's variant, read now (a change holds from the next batch)."""
        return route(cast(VariantStore, self.store), builder, campaign_id, claimed, self.settings)

    def _dispatch(
        self,
        campaign_id: int,
        claimed: list[Claimed],
        messages: list[OutgoingMessage],
        unbuildable: list[SendResult],
    ) -> None:
        """Hand a built batch to the sender thread (or send it here without one)."""
        self._pending_ids = {c.delivery_id for c in claimed}
        if self._sender is None:
            done: Future[Sent] = Future()
            done.set_result(self._transmit(campaign_id, claimed, messages, unbuildable))
        else:
            done = self._sender.submit(self._transmit, campaign_id, claimed, messages, unbuildable)
        self._flight = _Flight(campaign_id, claimed, messages, unbuildable, done)

    def _transmit(
        self,
        campaign_id: int,
        claimed: list[Claimed],
        messages: list[OutgoingMessage],
        unbuildable: list[SendResult],
    ) -> Sent:
        """The sender thread's job: the batch to the backend, and on PostgreSQL its
        results to the database (a connection of its own)."""
        try:
            if self._open_error is not None:
                failed, self._open_error = self._open_error, None
                raise failed
            self._connect()
            results = batch.send(self.backend, messages) if messages else []
        except BackendError as exc:
            return exc
        results += unbuildable
        if self._overlap:
            return self._writer(campaign_id, claimed, messages, results)()
        return results

    def _connect(self) -> None:
        """Open the transport unless it is open; only ever in the sender thread."""
        if not self._opened:
            self.backend.open()
            self._opened = True

    def _disconnect(self) -> None:
        if self._opened:
            self._opened = False
            self.backend.close()

    def _connect_early(self) -> None:
        """The sender thread's first job: connect while the first batch is built.

        A failure is kept for ``_transmit``, which reports it with that batch,
        as if it had happened there (one connection attempt either way). A
        failure kept from an earlier attempt whose batch never went out (it was
        released instead) is dropped: only this attempt's answer counts.
        """
        self._open_error = None
        try:
            self._connect()
        except BackendError as exc:
            self._open_error = exc

    def _writer(
        self,
        campaign_id: int,
        claimed: list[Claimed],
        messages: list[OutgoingMessage],
        results: list[SendResult],
    ) -> Callable[[], Recorded]:
        """The batch's recording, retried through a lost connection."""
        answered = {r.delivery_id for r in results}
        # A backend that forgot a message must not lose it: treat it as transient.
        results += [
            SendResult(c.delivery_id, Outcome.TRANSIENT, "no result from backend")
            for c in claimed
            if c.delivery_id not in answered
        ]
        attempts = {c.delivery_id: c.attempts for c in claimed}
        message_ids = {m.delivery_id: m.message_id for m in messages}
        watch = self._watches.setdefault(
            campaign_id, PauseWatch(self.settings.max_consecutive_failures)
        )
        pause = watch.feed((r.outcome, attempts.get(r.delivery_id, 1), r.detail) for r in results)

        def write() -> Recorded:
            return blips.retrying(
                lambda: self.store.record(
                    campaign_id, results, message_ids, attempts, self.name, pause
                ),
                self.stop,
                f"recording a batch of campaign {campaign_id}",
            )

        return write

    def _still_sending(self, campaign_id: int, claimed: list[Claimed]) -> bool:
        """The campaign's state read again once the previous batch is recorded.

        That batch's recording ran while this one was claimed, and may have paused
        the campaign (its failures), as may an operator meanwhile: then this batch
        goes back to the queue untouched (or is skipped, if cancelled), as if the
        pause had come before its claim.
        """
        status = self.store.status(campaign_id)
        if status == CampaignStatus.SENDING:
            return True
        self.store.release(campaign_id, [c.delivery_id for c in claimed], f"campaign {status}")
        return False

    def _settle(self) -> bool:
        """Wait for the batch in flight, if any, and see its results recorded; False
        when there was none. Its errors are raised here."""
        flight, self._flight = self._flight, None
        if flight is None:
            return False
        sent = flight.future.result()
        if isinstance(sent, BackendError):
            delivery_ids = [m.delivery_id for m in flight.messages]
            self._backend_failed(flight.campaign_id, delivery_ids, str(sent), sent.transient)
            if flight.unbuildable:
                self._recorded(
                    self._writer(
                        flight.campaign_id, flight.claimed, flight.messages, flight.unbuildable
                    )()
                )
            self._pending_ids = set()
            return True
        self._backend_errors = 0
        if not isinstance(sent, Recorded):
            sent = self._writer(flight.campaign_id, flight.claimed, flight.messages, sent)()
        self._recorded(sent)
        return True

    def _recorded(self, done: Recorded) -> Recorded:
        self._pending_ids = set()
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
        self._backend_errors += 1
        retry = transient and self._backend_errors <= BACKEND_RETRIES
        pause = None if retry else f"backend failed: {reason}"
        self.store.release(campaign_id, delivery_ids, reason, pause)
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
