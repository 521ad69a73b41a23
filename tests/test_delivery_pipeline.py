"""The transport is kept busy: the next batch is claimed and built while one is sent.

A whole ``mailer worker --once`` fell to 0.6-0.76 of a bare smtplib loop
partly because the connection sat idle while the worker claimed and built
each batch. These tests pin the overlap, and the bound it must not loosen:
a batch is handed to the backend only once the previous batch's results are
recorded, so after a crash at most one sent batch is of unknown fate.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from mailer.config import Settings
from mailer.delivery.backends.base import Outcome, OutgoingMessage, SendResult
from mailer.delivery.models import CampaignStatus
from mailer.delivery.store import Claimed
from mailer.delivery.worker import Worker
from tests.memory_store import MemoryStore

SETTINGS = Settings(
    secret_key="pipeline-test-key",
    base_url="https://news.example.org",
    backend="null:",
    batch_size=4,
)
EMAILS = [f"reader{i}@example.org" for i in range(10)]


class Watched(MemoryStore):
    """Counts claims and recordings, and signals each claim."""

    def __init__(self, emails: Sequence[str]) -> None:
        super().__init__(emails)
        self.claims = 0
        self.recorded_batches = 0
        self.claimed_again = threading.Event()
        self.sending = threading.Event()  # set by the backend while it sends
        self.claimed_while_sending: list[Claimed] = []

    def claim(
        self,
        campaign_id: int,
        limit: int,
        worker: str,
        list_id: int | None = None,
        *,
        fresh_only: bool = False,
    ) -> list[Claimed]:
        # A batch is out from its claim until its results are recorded, whether or not
        # the sender thread has begun to send it: a crash meanwhile resends it.
        out_now = any(r.status == "sending" for r in self.rows.values())
        out = super().claim(campaign_id, limit, worker, list_id, fresh_only=fresh_only)
        if out_now:
            self.claimed_while_sending += out
        self.claims += 1
        if self.claims >= 2:
            self.claimed_again.set()
        return out

    def record(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        done = super().record(*args, **kwargs)
        self.recorded_batches += 1
        return done


class Slow:
    """A backend that, in its first batch, waits for the worker to claim the next one."""

    max_batch = 100

    def __init__(self, store: Watched) -> None:
        self.store = store
        self.overlapped: bool | None = None
        self.batches = 0
        self.recorded_before: list[int] = []

    def open(self) -> None:
        pass

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        self.recorded_before.append(self.store.recorded_batches)
        self.batches += 1
        self.store.sending.set()
        try:
            if self.batches == 1:
                self.overlapped = self.store.claimed_again.wait(timeout=5)
            else:
                self.store.claimed_again.wait(timeout=0.05)  # let a claim happen meanwhile
        finally:
            self.store.sending.clear()
        return [SendResult(m.delivery_id, Outcome.SENT) for m in messages]

    def close(self) -> None:
        pass


def test_the_next_batch_is_claimed_while_one_is_being_sent() -> None:
    store = Watched(EMAILS)
    backend = Slow(store)
    stats = Worker(store, SETTINGS, backend).run(once=True)
    assert backend.overlapped is True
    assert (stats.sent, stats.batches) == (10, 3)
    assert store.status_ == CampaignStatus.SENT


def test_a_batch_is_handed_over_only_once_the_previous_one_is_recorded() -> None:
    store = Watched(EMAILS)
    backend = Slow(store)
    Worker(store, SETTINGS, backend).run(once=True)
    # Batch n (from 0) is sent once all n batches before it are recorded: never two
    # sent batches of unknown fate at a time.
    assert backend.recorded_before == [0, 1, 2]
    assert store.recorded_batches == 3


def test_rows_resent_after_a_crash_are_not_claimed_while_a_batch_is_out() -> None:
    """Claimed while a batch is out, a resent row would be charged with a crash of
    that batch (the poison cap counts those): it waits, then goes out alone."""
    store = Watched(EMAILS)
    for i in (6, 7):
        store.rows[i].recoveries = 1
    backend = Slow(store)
    stats = Worker(store, SETTINGS, backend).run(once=True)
    assert stats.sent == 10
    assert store.status_ == CampaignStatus.SENT
    assert store.claimed_while_sending  # the overlap did happen
    assert [c.delivery_id for c in store.claimed_while_sending if c.recoveries] == []
