"""The transport starts sending as soon as it can, and is answered promptly while it sends.

A whole ``mailer worker --once`` of 10,000 short announcements over four
connections reached 0.80-0.86 of a bare smtplib loop: the SMTP server, the
bottleneck, sat idle while the worker built its first 500 messages before
connecting, and whenever the building thread held the GIL while a sending
thread's reply had arrived. These tests pin the three remedies: a small
first batch that grows, the connection made while the first batch is built,
and building that lets a waiting sender thread run after every message.
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future

import pytest

from mailer.config import Settings
from mailer.delivery import batch
from mailer.delivery.backends.base import BackendError, Outcome, OutgoingMessage, SendResult
from mailer.delivery.message import Recipient
from mailer.delivery.models import CampaignStatus
from mailer.delivery.store import Claimed
from mailer.delivery.worker import FIRST_BATCH, RAMP, Worker
from tests.memory_store import MemoryStore

SETTINGS = Settings(
    secret_key="start-test-key",
    base_url="https://news.example.org",
    backend="null:",
    batch_size=500,
)


def emails(count: int) -> list[str]:
    return [f"reader{i}@example.org" for i in range(count)]


class Sizes:
    """A backend that accepts everything and notes each batch's size."""

    max_batch = 1000

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.opens = 0

    def open(self) -> None:
        self.opens += 1

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        self.sizes.append(len(messages))
        return [SendResult(m.delivery_id, Outcome.SENT) for m in messages]

    def close(self) -> None:
        pass


def test_the_first_batch_is_small_and_the_next_ones_grow_to_the_batch_size() -> None:
    store = MemoryStore(emails(1_400))
    backend = Sizes()
    stats = Worker(store, SETTINGS, backend).run(once=True)
    assert (FIRST_BATCH, RAMP) == (50, 4)
    assert backend.sizes == [50, 200, 500, 500, 150]
    assert stats.sent == 1_400 and store.status_ == CampaignStatus.SENT


def test_a_small_batch_size_is_kept_from_the_first_batch() -> None:
    store = MemoryStore(emails(10))
    backend = Sizes()
    Worker(store, SETTINGS.replace(batch_size=4), backend).run(once=True)
    assert backend.sizes == [4, 4, 2]


def test_after_an_idle_spell_the_next_send_starts_small_again() -> None:
    """Rows due later (retries, a campaign started later) begin with a small batch too."""
    store = MemoryStore(emails(400))
    for row in list(store.rows.values())[100:]:
        row.due_at = 100.0  # due once the test moves the store's clock
    backend = Sizes()
    worker = Worker(store, SETTINGS, backend)
    runner = threading.Thread(target=worker.run, kwargs={"idle": 0.01}, daemon=True)
    runner.start()
    try:
        deadline = time.monotonic() + 10
        while sum(backend.sizes) < 100 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)  # a few idle rounds
        store.now = 200.0
        while sum(backend.sizes) < 400 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        worker.stop.set()
        runner.join(timeout=10)
    assert backend.sizes == [50, 50, 50, 200, 50]


class Connecting(Sizes):
    """A backend whose connecting takes a while, and notes when it began."""

    def __init__(self, fail: bool = False) -> None:
        super().__init__()
        self.connecting = threading.Event()
        self.fail = fail

    def open(self) -> None:
        super().open()
        self.connecting.set()
        time.sleep(0.05)
        if self.fail:
            raise BackendError("connection refused by smtp.example.org", transient=False)


def test_the_transport_connects_while_the_first_batch_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend = Connecting()
    seen_connecting: list[bool] = []
    build = batch.build

    def watched_build(*args: object, **kwargs: bool) -> object:
        # Built after the claim; the sender thread has meanwhile begun to connect.
        seen_connecting.append(backend.connecting.wait(timeout=5))
        return build(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(batch, "build", watched_build)
    Worker(MemoryStore(emails(10)), SETTINGS, backend).run(once=True)
    assert seen_connecting[0] is True
    assert backend.opens == 1 and backend.sizes == [10]


def test_a_worker_with_nothing_to_send_never_connects() -> None:
    store = MemoryStore(emails(3))
    store.status_ = CampaignStatus.PAUSED.value
    backend = Connecting()
    Worker(store, SETTINGS, backend).run(once=True)
    assert backend.opens == 0


def test_a_failed_early_connect_is_reported_with_the_batch_once() -> None:
    """One connection attempt, as before: the batch goes back and the campaign pauses."""
    store = MemoryStore(emails(5))
    backend = Connecting(fail=True)
    Worker(store, SETTINGS, backend).run(once=True)
    assert backend.opens == 1 and backend.sizes == []
    assert store.status_ == CampaignStatus.PAUSED
    assert store.reason == "backend failed: connection refused by smtp.example.org"
    assert {r.status for r in store.rows.values()} == {"queued"}


class Spinning:
    """A builder whose every message holds the GIL for about 2 ms of pure Python."""

    def build(self, recipient: Recipient, message_id: str = "") -> OutgoingMessage:
        until = time.perf_counter() + 0.002
        while time.perf_counter() < until:
            pass
        return OutgoingMessage(recipient.delivery_id, "bounces@example.org", recipient.email, b"")


@pytest.fixture
def long_switch_interval() -> Iterator[None]:
    """A 50 ms switch interval makes a held GIL plain to see."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.05)
    yield
    sys.setswitchinterval(before)


def _wait_for_the_gil(polite: bool) -> float:
    """How long a thread waking from short sleeps waited, as a median, while a batch was
    built; ``polite``: built while a batch is being sent."""
    claimed = [Claimed(i, i, f"reader{i}@example.org", "", 1) for i in range(1, 41)]
    waits: list[float] = []
    started = threading.Event()
    done = threading.Event()

    def sender() -> None:
        started.set()
        while not done.is_set():
            before = time.perf_counter()
            time.sleep(0.0005)  # as a reply arrives: then it needs the GIL back
            waits.append(time.perf_counter() - before - 0.0005)

    thread = threading.Thread(target=sender)
    thread.start()
    started.wait()
    sending: Future[None] = Future()
    yield_to = sending if polite else None
    messages, _ = batch.build(Spinning(), claimed, yield_to=yield_to)  # type: ignore[arg-type]
    done.set()
    thread.join()
    assert len(messages) == 40
    return statistics.median(waits)


@pytest.mark.usefixtures("long_switch_interval")
def test_building_while_a_batch_is_sent_lets_a_waiting_sender_thread_run_after_each_message() -> (
    None
):
    rude = _wait_for_the_gil(polite=False)
    polite = _wait_for_the_gil(polite=True)
    assert rude > 0.02  # the GIL held for much of the 50 ms switch interval
    assert polite < 0.005  # about one message's 2 ms, with room for a busy machine


@pytest.mark.usefixtures("long_switch_interval")
def test_once_the_batch_is_sent_the_rest_is_built_without_pauses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pauses: list[float] = []
    monkeypatch.setattr(batch.time, "sleep", pauses.append)
    claimed = [Claimed(i, i, f"reader{i}@example.org", "", 1) for i in range(1, 6)]
    sent: Future[None] = Future()
    batch.build(Spinning(), claimed, yield_to=sent)  # type: ignore[arg-type]
    assert pauses == [0] * 5
    sent.set_result(None)
    batch.build(Spinning(), claimed, yield_to=sent)  # type: ignore[arg-type]
    assert pauses == [0] * 5


def test_the_worker_builds_politely_only_while_a_batch_is_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    manners: list[bool] = []
    build = batch.build

    def noted(
        builder: object, claimed: Sequence[Claimed], *, yield_to: Future[None] | None = None
    ) -> tuple[list[OutgoingMessage], list[SendResult]]:
        manners.append(yield_to is not None)
        return build(builder, claimed, yield_to=yield_to)  # type: ignore[arg-type]

    monkeypatch.setattr(batch, "build", noted)
    Worker(MemoryStore(emails(10)), SETTINGS.replace(batch_size=4), Sizes()).run(once=True)
    assert manners == [False, True, True]


def test_an_early_connect_failure_is_forgotten_once_a_later_attempt_connects() -> None:
    """A kept failure whose batch never went out must not fail a later, connected batch."""
    backend = Connecting(fail=True)
    worker = Worker(MemoryStore(emails(3)), SETTINGS, backend)
    worker._connect_early()
    assert worker._open_error is not None
    backend.fail = False
    worker._connect_early()
    assert worker._open_error is None and worker._opened
