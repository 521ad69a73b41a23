"""An ``OutboxStore`` kept in memory: the worker loop driven without any database.

It implements the protocol of mailer/delivery/store.py over plain dicts and
applies the same pure retry rule (``policy.decide``) as the SQL store, so a
test of the loop (pause, retry, recovery, blips) needs no database. Leases
are kept too: ``recover`` requeues rows of workers without a live lease.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import OperationalError

from mailer.compose.snapshot import Snapshot
from mailer.delivery.backends.base import SendResult
from mailer.delivery.models import CampaignStatus
from mailer.delivery.policy import Action, decide
from mailer.delivery.store import CampaignProgress, Claimed, Edition, Recorded, Recovered
from subscribers.models import MailingList


@dataclass
class Row:
    id: int
    email: str
    status: str = "queued"
    attempts: int = 0
    worker: str = ""
    message_id: str = ""
    recoveries: int = 0
    last_error: str = ""
    due_at: float = 0.0


class MemoryStore:
    def __init__(self, emails: Sequence[str], *, max_attempts: int = 5) -> None:
        self.now = 0.0  # a clock the test moves
        self.rows = {i: Row(i, e) for i, e in enumerate(emails, start=1)}
        self.status_ = CampaignStatus.SENDING.value
        self.reason = ""
        self.counts = {"sent": 0, "failed": 0, "skipped": 0}
        self.leases: dict[str, float] = {}
        self.max_attempts = max_attempts
        # method -> how many times its connection is "lost" ("claim-answer": after the
        # claim took its rows, as when a commit goes through but its reply is lost)
        self.blips: dict[str, int] = {}
        self._ids = itertools.count(1)

    def _weather(self, method: str) -> None:
        if self.blips.get(method):
            self.blips[method] -= 1
            raise OperationalError(method, {}, Exception("server closed the connection"))

    # leases
    def renew_lease(self, worker: str, ttl: dt.timedelta) -> None:
        self._weather("renew_lease")
        self.leases[worker] = self.now + ttl.total_seconds()

    def drop_lease(self, worker: str) -> None:
        self.leases.pop(worker, None)

    # campaigns
    def sending_campaigns(self, only: int | None = None) -> list[int]:
        return [1] if self.status_ == CampaignStatus.SENDING and only in (None, 1) else []

    def edition(self, campaign_id: int) -> Edition:
        ml = MailingList(id=7, slug="weekly", name="Weekly news", from_name="", from_email="")
        ml.reply_to = ""
        html = "<html><body><p>Hello {{name}}</p><a href='{{unsubscribe_url}}'>x</a></body></html>"
        text = "Hello {{name}}\nUnsubscribe: {{unsubscribe_url}}\n"
        return Edition(campaign_id, Snapshot("Weekly", "", html, text), ml)

    def status(self, campaign_id: int) -> str:
        return self.status_

    def progress(self, campaign_id: int) -> CampaignProgress:
        by = {s: sum(r.status == s for r in self.rows.values()) for s in ("queued", "sending")}
        due = sum(r.status == "queued" and r.due_at <= self.now for r in self.rows.values())
        c = self.counts
        total = len(self.rows)
        return CampaignProgress(
            self.status_, self.reason, total, c["sent"], c["failed"], c["skipped"],
            by["queued"], by["sending"], due,
        )  # fmt: skip

    # the outbox
    def claim(
        self,
        campaign_id: int,
        limit: int,
        worker: str,
        list_id: int | None = None,
        *,
        fresh_only: bool = False,
    ) -> list[Claimed]:
        self._weather("claim")
        if self.status_ != CampaignStatus.SENDING:
            return []
        due = [
            r
            for r in self.rows.values()
            if r.status == "queued" and r.due_at <= self.now and not (fresh_only and r.recoveries)
        ]
        out = []
        for r in due[:limit]:
            r.status, r.worker, r.attempts = "sending", worker, r.attempts + 1
            r.message_id = r.message_id or f"<{r.id}.{next(self._ids)}@memory.example>"
            out.append(Claimed(r.id, r.id, r.email, "", r.attempts, r.message_id, r.recoveries))
        if not out and not any(r.status in ("queued", "sending") for r in self.rows.values()):
            self.status_ = CampaignStatus.SENT.value
        self._weather("claim-answer")  # committed, but the answer never arrives
        return out

    def record(
        self,
        campaign_id: int,
        results: Sequence[SendResult],
        message_ids: dict[int, str],
        attempts: dict[int, int],
        worker: str,
        pause: str | None = None,
    ) -> Recorded:
        self._weather("record")
        sent = failed = 0
        for r in results:
            row = self.rows[r.delivery_id]
            if row.status != "sending" or row.worker != worker:
                continue
            d = decide(r.outcome, attempts[r.delivery_id], self.max_attempts, r.detail)
            if d.action is Action.SENT:
                row.status, sent = "sent", sent + 1
            elif d.action is Action.RETRY:
                row.status, row.due_at = "queued", self.now + (d.delay or 0)
            else:
                row.status, failed = (
                    ("bounced" if d.action is Action.BOUNCE else "failed"),
                    failed + 1,
                )
            row.last_error = d.detail
        self.counts["sent"] += sent
        self.counts["failed"] += failed
        paused = pause is not None and self.status_ == CampaignStatus.SENDING
        if paused:
            self.status_, self.reason = CampaignStatus.PAUSED.value, pause or ""
        elif self.status_ == CampaignStatus.SENDING and not any(
            r.status in ("queued", "sending") for r in self.rows.values()
        ):
            self.status_ = CampaignStatus.SENT.value
        return Recorded(campaign_id, sent, failed, self.status_, paused)

    def release(
        self, campaign_id: int, delivery_ids: Sequence[int], reason: str, pause: str | None = None
    ) -> str:
        for i in delivery_ids:
            row = self.rows[i]
            if row.status == "sending":
                row.status, row.attempts, row.last_error = "queued", row.attempts - 1, reason
        if pause is not None and self.status_ == CampaignStatus.SENDING:
            self.status_, self.reason = CampaignStatus.PAUSED.value, pause
        return self.status_

    def recover(self, max_crashes: int) -> Recovered:
        live = {w for w, until in self.leases.items() if until > self.now}
        requeued = failed = 0
        for row in self.rows.values():
            if row.status == "sending" and row.worker not in live:
                row.recoveries += 1
                if row.recoveries >= max_crashes:
                    row.status, failed = "failed", failed + 1
                    self.counts["failed"] += 1
                else:
                    row.status, requeued = "queued", requeued + 1
        return Recovered(requeued, 0, failed)

    def release_own(self, worker: str, keep: Iterable[int]) -> int:
        kept = set(keep)
        n = 0
        for row in self.rows.values():
            if row.status == "sending" and row.worker == worker and row.id not in kept:
                row.status, row.attempts, n = "queued", row.attempts - 1, n + 1
        return n

    def in_flight_elsewhere(self, campaign_ids: Sequence[int], worker: str) -> int:
        return sum(r.status == "sending" and r.worker != worker for r in self.rows.values())
