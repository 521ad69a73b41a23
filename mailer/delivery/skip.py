"""Skipping claimed rows that are not to be sent after all (their variant is empty).

One statement beside the outbox's own (mailer.delivery.outbox): the rows leave
``sending`` for ``skipped`` with the reason and the campaign's skipped count
grows by as many, so sent + failed + skipped + queued + sending = recipients
holds throughout.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from mailer.delivery.models import Campaign, Delivery, DeliveryStatus


def skip_claimed(
    session: Session, campaign_id: int, delivery_ids: Sequence[int], reason: str
) -> int:
    """Claimed rows that are not to be sent after all become ``skipped`` with the reason.

    (A reader whose topics leave the edition empty: see mailer.delivery.variants.)
    The counts still add up: the rows leave ``sending`` for ``skipped``.
    """
    result: CursorResult[tuple[()]] = session.execute(  # type: ignore[assignment]
        update(Delivery)
        .where(Delivery.id.in_(list(delivery_ids)), Delivery.status == DeliveryStatus.SENDING)
        .values(status=DeliveryStatus.SKIPPED, last_error=reason[:2000])
        .execution_options(synchronize_session=False)
    )
    count = int(result.rowcount or 0)
    if count:
        session.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id)
            .values(skipped_count=Campaign.skipped_count + count)
        )
    return count
