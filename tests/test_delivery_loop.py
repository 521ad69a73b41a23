"""The worker loop through the ``OutboxStore`` protocol alone: no database at all.

``MemoryStore`` (tests/memory_store.py) keeps the outbox in dicts; the backend is
a double of our ``Backend`` protocol that answers by a script. So the loop's
own rules are checked in isolation: drain and finish, one Message-ID per
delivery, pause on permanent failures, ride out lost connections.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mailer.config import Settings
from mailer.delivery.backends.base import Outcome, OutgoingMessage, SendResult
from mailer.delivery.models import CampaignStatus
from mailer.delivery.worker import Worker
from tests.memory_store import MemoryStore

SETTINGS = Settings(
    secret_key="loop-test-key",
    base_url="https://news.example.org",
    backend="null:",
    batch_size=4,
    max_consecutive_failures=3,
)
EMAILS = [f"reader{i}@example.org" for i in range(10)]


class Answering:
    max_batch = 100

    def __init__(self, answer: Callable[[OutgoingMessage], SendResult] | None = None) -> None:
        self.answer = answer or (lambda m: SendResult(m.delivery_id, Outcome.SENT))
        self.seen: list[OutgoingMessage] = []

    def open(self) -> None:
        pass

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        self.seen += messages
        return [self.answer(m) for m in messages]

    def close(self) -> None:
        pass


def test_the_loop_drains_a_campaign_through_the_store_protocol() -> None:
    store, backend = MemoryStore(EMAILS), Answering()
    stats = Worker(store, SETTINGS, backend).run(once=True)
    assert (stats.sent, stats.failed, stats.batches) == (10, 0, 3)
    assert store.status_ == CampaignStatus.SENT
    assert sorted(m.recipient for m in backend.seen) == sorted(EMAILS)
    # Each message carries the Message-ID the store gave its row at the claim.
    assert {m.message_id for m in backend.seen} == {r.message_id for r in store.rows.values()}
    p = store.progress(1)
    assert (p.sent, p.done, p.total, p.queued, p.sending) == (10, 10, 10, 0, 0)


def test_permanent_failures_in_a_row_pause_through_the_store() -> None:
    store = MemoryStore(EMAILS)
    refuse = Answering(lambda m: SendResult(m.delivery_id, Outcome.PERMANENT, "554 5.7.1 no"))
    Worker(store, SETTINGS, refuse).run(once=True)
    assert store.status_ == CampaignStatus.PAUSED
    assert store.reason == "4 failures in a row; last: 554 5.7.1 no"
    p = store.progress(1)
    assert (p.failed, p.queued, p.sending) == (4, 6, 0)


def test_lost_database_connections_are_ridden_out() -> None:
    store, backend = MemoryStore(EMAILS), Answering()
    store.blips = {"claim": 2, "record": 2, "claim-answer": 1}
    stats = Worker(store, SETTINGS, backend).run(once=True)
    assert stats.sent == 10 and store.status_ == CampaignStatus.SENT
    # Nothing sent twice, and the batch whose claim answer was lost went back to the queue.
    assert sorted(m.recipient for m in backend.seen) == sorted(EMAILS)


def test_a_database_down_as_the_worker_starts_is_waited_for() -> None:
    """The first lease is taken through the same backoff as every later step."""
    store, backend = MemoryStore(EMAILS), Answering()
    store.blips = {"renew_lease": 2}
    stats = Worker(store, SETTINGS, backend).run(once=True)
    assert stats.sent == 10 and store.status_ == CampaignStatus.SENT
    assert store.blips["renew_lease"] == 0


def test_rows_of_a_worker_whose_lease_expired_are_resent_and_capped() -> None:
    store, backend = MemoryStore(EMAILS[:3]), Answering()
    for _ in range(SETTINGS.max_crashes):  # a worker takes reader0 and dies, three times
        store.claim(1, 1, "dead-worker:1:abc")
        store.recover(SETTINGS.max_crashes)
    Worker(store, SETTINGS, backend).run(once=True)
    assert store.rows[1].status == "failed"
    assert sorted(m.recipient for m in backend.seen) == EMAILS[1:3]
    assert store.status_ == CampaignStatus.SENT
