"""Recovery: what becomes of rows left ``sending`` by a worker that is gone.

The rule (mailer.delivery.lease): a worker is dead only when its lease has
expired. Its rows' fate is unknown, so they are resent on a campaign that can
still send (nobody is skipped; a duplicate is bounded by the batch in flight),
settled as skipped on a cancelled one (the counts add up), and failed once
they have been found this way ``max_crashes`` times (no poison loop).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from mailer.db import utcnow
from mailer.delivery import lease
from mailer.delivery.models import Campaign, CampaignStatus, Delivery, DeliveryStatus


@dataclass(frozen=True, slots=True)
class Recovered:
    """What one recovery pass did with rows left ``sending`` by dead workers."""

    requeued: int = 0
    skipped: int = 0  # their campaign was cancelled meanwhile
    failed: int = 0  # the poison cap: they had crashed their worker too often

    def __bool__(self) -> bool:
        return bool(self.requeued or self.skipped or self.failed)


#: Campaigns whose ``sending`` rows recovery looks at: those that can still send, and
#: cancelled ones (a dead worker's rows there are settled as skipped). The claim index
#: finds the rows by campaign without scanning the send log of every past campaign.
_RECOVERABLE = (CampaignStatus.SENDING, CampaignStatus.PAUSED, CampaignStatus.CANCELLED)


def recover_orphans(
    session: Session,
    now: dt.datetime | None = None,
    max_crashes: int = 3,
    campaign_id: int | None = None,
) -> Recovered:
    """Settle the rows left ``sending`` by workers whose lease expired (mailer.delivery.lease).

    Their fate is unknown, so on a campaign that can still send they go back to
    the queue and are sent again: nobody is skipped, and a duplicate is bounded
    by the batch that was in flight. A row found this way for the
    ``max_crashes``-th time is failed instead (it keeps killing its worker:
    Mailman's "bad" queue), so nothing is recovered for ever. On a cancelled
    campaign they are skipped, so the campaign's counts add up. ``campaign_id``
    narrows the pass to one campaign.
    """
    now = now or utcnow()
    campaigns = select(Campaign.id).where(Campaign.status.in_(list(_RECOVERABLE)))
    if campaign_id is not None:
        campaigns = campaigns.where(Campaign.id == campaign_id)
    orphans = session.execute(
        select(Delivery.id, Delivery.campaign_id, Delivery.recoveries, Campaign.status)
        .join(Campaign, Campaign.id == Delivery.campaign_id)
        .where(
            Delivery.campaign_id.in_(campaigns),
            Delivery.status == DeliveryStatus.SENDING,
            Delivery.worker.not_in(lease.live_holders(now)),
        )
    ).all()
    if not orphans:
        return Recovered()
    skip = [(i, c) for i, c, _, status in orphans if status == CampaignStatus.CANCELLED]
    poison = [
        (i, c)
        for i, c, n, status in orphans
        if status != CampaignStatus.CANCELLED and n + 1 >= max_crashes
    ]
    settled = {i for i, _ in skip} | {i for i, _ in poison}
    requeue = [i for i, *_ in orphans if i not in settled]
    skipped = _settle(
        session, now, skip, DeliveryStatus.SKIPPED, "campaign cancelled; its worker had stopped"
    )
    failed = _settle(
        session,
        now,
        poison,
        DeliveryStatus.FAILED,
        f"its sending stopped the worker {max_crashes} times; not retried again",
    )
    requeued = _changed(
        session,
        update(Delivery)
        .where(*_still_orphan(requeue, now))
        .values(
            status=DeliveryStatus.QUEUED,
            recoveries=Delivery.recoveries + 1,
            last_error="requeued after its worker stopped",
        ),
    )
    return Recovered(requeued, skipped, failed)


def _still_orphan(ids: Iterable[int], now: dt.datetime) -> tuple[Any, ...]:
    """Guarded again in the UPDATE: a concurrent recovery may have requeued a row and a
    live worker claimed it since our look (PostgreSQL re-checks these on the new row)."""
    return (
        Delivery.id.in_(list(ids)),
        Delivery.status == DeliveryStatus.SENDING,
        Delivery.worker.not_in(lease.live_holders(now)),
    )


def _changed(session: Session, stmt: Any) -> int:
    result: CursorResult[tuple[()]] = session.execute(  # type: ignore[assignment]
        stmt.execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def _settle(
    session: Session, now: dt.datetime, rows: list[tuple[int, int]], status: str, reason: str
) -> int:
    """Give orphaned rows a final status, counted on their campaigns; returns how many."""
    if not rows:
        return 0
    done = session.execute(
        update(Delivery)
        .where(*_still_orphan((i for i, _ in rows), now))
        .values(status=status, recoveries=Delivery.recoveries + 1, last_error=reason)
        .returning(Delivery.campaign_id)
        .execution_options(synchronize_session=False)
    ).scalars()
    column = "skipped_count" if status == DeliveryStatus.SKIPPED else "failed_count"
    per_campaign = Counter(done)
    for campaign_id, n in sorted(per_campaign.items()):
        session.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id)
            .values({column: getattr(Campaign, column) + n})
        )
    return sum(per_campaign.values())


def release_own(session: Session, worker: str, keep: Iterable[int] = ()) -> int:
    """After a lost database connection: put back this worker's ``sending`` rows that
    it no longer holds in memory (a claim whose answer was lost), except ``keep``.
    """
    stmt = update(Delivery).where(
        Delivery.campaign_id.in_(select(Campaign.id).where(Campaign.status.in_(_RECOVERABLE))),
        Delivery.status == DeliveryStatus.SENDING,
        Delivery.worker == worker,
    )
    kept = list(keep)
    if kept:
        stmt = stmt.where(Delivery.id.not_in(kept))
    return _changed(
        session,
        stmt.values(
            status=DeliveryStatus.QUEUED,
            attempts=Delivery.attempts - 1,
            last_error="requeued after a lost database connection",
        ),
    )


def in_flight_elsewhere(session: Session, campaign_ids: Sequence[int], worker: str) -> int:
    """Rows of these campaigns that other workers (live or not yet known dead) are sending."""
    if not campaign_ids:
        return 0
    return (
        session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(
                Delivery.campaign_id.in_(list(campaign_ids)),
                Delivery.status == DeliveryStatus.SENDING,
                Delivery.worker != worker,
            )
        )
        or 0
    )
