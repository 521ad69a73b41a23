"""What the engine does with failures: retry with backoff, give up, suppress, pause.

The backends here are test doubles of our own ``Backend`` protocol
(mailer/delivery/backends/base.py), scripted per delivery, so each rule is
checked without a network; the real transports are tested in their own files.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable, Sequence

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.db import AuditLog, utcnow
from mailer.delivery import campaigns, outbox
from mailer.delivery.backends.base import BackendError, Outcome, OutgoingMessage, SendResult
from mailer.delivery.models import Campaign, CampaignStatus, Delivery, DeliveryStatus
from mailer.delivery.worker import Worker
from subscribers.models import MailingList, Suppression
from tests.delivery_fixtures import statuses
from tests.helpers import make_campaign, started_campaign

Script = Callable[[OutgoingMessage, int], SendResult]


class ScriptedBackend:
    """Answers each message by a function of (message, how many times we saw its address)."""

    max_batch = 100

    def __init__(self, script: Script, fail_open: str = "", fail_send_on_call: int = 0) -> None:
        self.script = script
        self.fail_open = fail_open
        self.fail_send_on_call = fail_send_on_call
        self.calls = 0
        self.seen: dict[str, int] = {}
        self.accepted: list[str] = []

    def open(self) -> None:
        if self.fail_open:
            raise BackendError(self.fail_open)

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        self.calls += 1
        if self.calls == self.fail_send_on_call:
            raise BackendError("connection to smtp.example.org:587 refused")
        results = []
        for m in messages:
            self.seen[m.recipient] = self.seen.get(m.recipient, 0) + 1
            result = self.script(m, self.seen[m.recipient])
            if result.outcome is Outcome.SENT:
                self.accepted.append(m.recipient)
            results.append(result)
        return results

    def close(self) -> None:
        pass


def _campaign(factory: sessionmaker[Session], count: int) -> int:
    with factory() as session:
        return started_campaign(session, count)


def _make_due(factory: sessionmaker[Session]) -> None:
    """Jump past every backoff, as if the retry time had come."""
    with factory() as session:
        session.execute(
            update(Delivery)
            .where(Delivery.next_attempt_at.is_not(None))
            .values(next_attempt_at=utcnow() - dt.timedelta(seconds=1))
        )
        session.commit()


def test_backoff_is_exponential_with_jitter_and_honours_retry_after() -> None:
    for attempts in (1, 2, 3, 4):
        delays = [outbox.backoff_seconds(attempts, None) for _ in range(200)]
        assert min(delays) >= 30 and max(delays) <= 30 * 2**attempts
        assert len(set(delays)) > 150  # jitter: workers do not retry in lockstep
    means = [statistics.mean(outbox.backoff_seconds(a, None) for _ in range(400)) for a in (1, 4)]
    assert means[1] > 3 * means[0]
    assert all(outbox.backoff_seconds(1, 900) >= 900 for _ in range(50))
    assert outbox.backoff_seconds(30, None) <= 6 * 3600


def test_transient_failure_is_retried_after_retry_after_then_sent(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    cid = _campaign(session_factory, 6)

    def script(m: OutgoingMessage, seen: int) -> SendResult:
        if m.recipient == "reader2@example.org" and seen == 1:
            return SendResult(m.delivery_id, Outcome.TRANSIENT, "421 4.7.0 try again", None, 600)
        return SendResult(m.delivery_id, Outcome.SENT)

    backend = ScriptedBackend(script)
    before = utcnow()
    stats = Worker(session_factory, settings, backend).run(once=True)
    assert stats.sent == 5
    with session_factory() as session:
        row = session.scalar(select(Delivery).where(Delivery.email == "reader2@example.org"))
        assert row is not None and row.status == DeliveryStatus.QUEUED
        assert row.next_attempt_at is not None
        assert row.next_attempt_at >= before + dt.timedelta(seconds=600)
        assert row.last_error == "421 4.7.0 try again"
        camp = session.get(Campaign, cid)
        assert camp is not None and camp.status == CampaignStatus.SENDING  # not done yet
    # Not due yet: a worker leaves it alone.
    assert Worker(session_factory, settings, backend).run(once=True).sent == 0
    _make_due(session_factory)
    assert Worker(session_factory, settings, backend).run(once=True).sent == 1
    with session_factory() as session:
        row = session.scalar(select(Delivery).where(Delivery.email == "reader2@example.org"))
        assert row is not None and row.status == DeliveryStatus.SENT and row.attempts == 2
        camp = session.get(Campaign, cid)
        assert camp is not None and camp.status == CampaignStatus.SENT
    assert sorted(backend.accepted) == sorted(f"reader{i}@example.org" for i in range(6))


def test_transient_failures_give_up_after_max_attempts_with_the_reply_recorded(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    cid = _campaign(session_factory, 2)

    def script(m: OutgoingMessage, seen: int) -> SendResult:
        if m.recipient == "reader0@example.org":
            return SendResult(m.delivery_id, Outcome.TRANSIENT, "451 4.3.0 mailbox busy")
        return SendResult(m.delivery_id, Outcome.SENT)

    backend = ScriptedBackend(script)
    s = settings.replace(max_attempts=3)
    for _ in range(5):
        Worker(session_factory, s, backend).run(once=True)
        _make_due(session_factory)
    assert backend.seen["reader0@example.org"] == 3
    with session_factory() as session:
        row = session.scalar(select(Delivery).where(Delivery.email == "reader0@example.org"))
        assert row is not None and row.status == DeliveryStatus.FAILED
        assert row.last_error == "gave up after 3 attempts: 451 4.3.0 mailbox busy"
        camp = session.get(Campaign, cid)
        assert camp is not None
        assert (camp.status, camp.sent_count, camp.failed_count) == (CampaignStatus.SENT, 1, 1)


def test_permanent_failure_records_reply_and_hard_bounce_suppresses(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    _campaign(session_factory, 3)

    def script(m: OutgoingMessage, seen: int) -> SendResult:
        if m.recipient == "reader0@example.org":
            return SendResult(m.delivery_id, Outcome.HARD_BOUNCE, "550 5.1.1 user unknown")
        if m.recipient == "reader1@example.org":
            return SendResult(m.delivery_id, Outcome.PERMANENT, "554 5.7.1 policy rejection")
        return SendResult(m.delivery_id, Outcome.SENT)

    Worker(session_factory, settings, ScriptedBackend(script)).run(once=True)
    with session_factory() as session:
        rows = {d.email: d for d in session.scalars(select(Delivery))}
        assert rows["reader0@example.org"].status == DeliveryStatus.BOUNCED
        assert rows["reader0@example.org"].last_error == "550 5.1.1 user unknown"
        assert rows["reader1@example.org"].status == DeliveryStatus.FAILED
        assert rows["reader1@example.org"].last_error == "554 5.7.1 policy rejection"
        suppressed = set(session.scalars(select(Suppression.address)))
        # A policy block is the sender's problem: that reader is not suppressed.
        assert suppressed == {"reader0@example.org"}
        # The next campaign leaves the bounced address out.
        ml = session.scalar(select(MailingList))
        assert ml is not None
        nxt = make_campaign(session, ml, "weekly:2027-W11")
        assert outbox.enqueue(session, nxt) == 2


def test_too_many_failures_in_a_row_pause_the_campaign_with_the_reason(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    cid = _campaign(session_factory, 20)

    def script(m: OutgoingMessage, seen: int) -> SendResult:
        return SendResult(m.delivery_id, Outcome.PERMANENT, "550 5.7.26 unauthenticated sender")

    s = settings.replace(batch_size=3, max_consecutive_failures=5)
    Worker(session_factory, s, ScriptedBackend(script)).run(once=True)
    with session_factory() as session:
        camp = session.get(Campaign, cid)
        assert camp is not None and camp.status == CampaignStatus.PAUSED
        assert camp.status_reason == "6 failures in a row; last: 550 5.7.26 unauthenticated sender"
        assert statuses(session, cid) == {"failed": 6, "queued": 14}
        entry = session.scalar(select(AuditLog).where(AuditLog.action == "campaign.pause"))
        assert entry is not None and entry.target == f"campaign:{cid}"


@pytest.mark.parametrize("where", ["open", "send"])
def test_backend_error_pauses_before_anyone_is_marked_sent(
    session_factory: sessionmaker[Session], settings: Settings, where: str
) -> None:
    cid = _campaign(session_factory, 7)
    ok: Script = lambda m, seen: SendResult(m.delivery_id, Outcome.SENT)  # noqa: E731
    if where == "open":
        backend = ScriptedBackend(ok, fail_open="535 5.7.8 authentication failed")
    else:
        backend = ScriptedBackend(ok, fail_send_on_call=2)
    Worker(session_factory, settings.replace(batch_size=3), backend).run(once=True)
    with session_factory() as session:
        camp = session.get(Campaign, cid)
        assert camp is not None and camp.status == CampaignStatus.PAUSED
        expected = {"queued": 7} if where == "open" else {"sent": 3, "queued": 4}
        assert statuses(session, cid) == expected
        reason = "535 5.7.8 authentication failed" if where == "open" else "refused"
        assert reason in camp.status_reason
        # Released rows were not tried: their attempt does not count.
        queued = session.scalars(select(Delivery).where(Delivery.status == "queued")).all()
        assert all(d.attempts == 0 for d in queued)
        assert session.scalar(select(AuditLog).where(AuditLog.action == "campaign.pause"))
    # Fixed and resumed: the rest go out, nobody twice.
    with session_factory() as session:
        camp = session.get(Campaign, cid)
        assert camp is not None
        campaigns.resume(session, camp, actor="admin")
        session.commit()
    fixed = ScriptedBackend(ok)
    Worker(session_factory, settings, fixed).run(once=True)
    assert len(fixed.accepted) == 7 - (0 if where == "open" else 3)
    assert len(set(backend.accepted) | set(fixed.accepted)) == 7


class DroppingBackend(ScriptedBackend):
    """Loses the connection on the first ``drops`` sends (a transient BackendError)."""

    def __init__(self, drops: int) -> None:
        super().__init__(lambda m, seen: SendResult(m.delivery_id, Outcome.SENT))
        self.drops = drops
        self.opens = 0

    def open(self) -> None:
        self.opens += 1

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        if self.drops:
            self.drops -= 1
            raise BackendError("connection dropped by smtp.example.org", transient=True)
        return super().send(messages)


def test_a_dropped_connection_is_retried_before_anything_pauses(
    session_factory: sessionmaker[Session], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mailer.delivery import worker as worker_module

    cid = _campaign(session_factory, 4)
    waits: list[float] = []
    backend = DroppingBackend(drops=2)
    w = Worker(session_factory, settings, backend)
    monkeypatch.setattr(w.stop, "wait", lambda delay: waits.append(delay))
    w.run(once=True)
    assert sorted(backend.accepted) == [f"reader{i}@example.org" for i in range(4)]
    assert waits[:2] == [1.0, 2.0] and backend.opens == 3  # backoff, reconnect each time
    with session_factory() as session:
        camp = session.get(Campaign, cid)
        assert camp is not None and camp.status == CampaignStatus.SENT
    # One drop too many pauses, with the reason.
    cid2 = _campaign_again(session_factory)
    backend = DroppingBackend(drops=worker_module.BACKEND_RETRIES + 1)
    w = Worker(session_factory, settings, backend)
    monkeypatch.setattr(w.stop, "wait", lambda delay: waits.append(delay))
    w.run(once=True)
    with session_factory() as session:
        camp = session.get(Campaign, cid2)
        assert camp is not None and camp.status == CampaignStatus.PAUSED
        assert camp.status_reason == "backend failed: connection dropped by smtp.example.org"
        assert statuses(session, cid2) == {"queued": 4}


def _campaign_again(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        ml = session.scalar(select(MailingList))
        assert ml is not None
        c = make_campaign(session, ml, "weekly:2027-W12")
        campaigns.start(session, c)
        session.commit()
        return c.id


def test_a_message_that_cannot_be_built_fails_alone(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    cid = _campaign(session_factory, 3)
    with session_factory() as session:
        session.execute(
            update(Delivery)
            .where(Delivery.email == "reader1@example.org")
            .values(name="Reader\r\nBcc: everyone@example.org")
        )
        session.commit()
    backend = ScriptedBackend(lambda m, seen: SendResult(m.delivery_id, Outcome.SENT))
    Worker(session_factory, settings, backend).run(once=True)
    assert sorted(backend.accepted) == ["reader0@example.org", "reader2@example.org"]
    with session_factory() as session:
        row = session.scalar(select(Delivery).where(Delivery.email == "reader1@example.org"))
        assert row is not None and row.status == DeliveryStatus.FAILED
        assert row.last_error.startswith("not built: To contains a line break")
        camp = session.get(Campaign, cid)
        assert camp is not None and camp.status == CampaignStatus.SENT
        # Counted, not silent: the campaign's figures say one failed.
        assert (camp.sent_count, camp.failed_count) == (2, 1)
