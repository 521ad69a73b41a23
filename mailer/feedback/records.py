"""Reading the bounce and complaint records back: one query for the console and the CLI.

``mailer.feedback.apply`` writes a ``BounceRecord`` per event; admins look
at them per campaign (the deliveries of that campaign) or per address, and
read the raw report behind one. The filters live here so ``mailer bounces
list`` and ``/admin/bounces/`` cannot disagree about what "per campaign" means.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from mailer.delivery.models import Campaign, Delivery
from subscribers.addresses import email_key
from subscribers.models import BounceRecord, MailingList


def feedback_records(
    *,
    kind: str = "",
    campaign_id: int | None = None,
    address: str = "",
    verified: bool | None = None,
) -> Select[BounceRecord]:
    """Records matching every filter given; order and page it yourself.

    ``address`` with an ``@`` is one person (their key, so any spelling finds
    them); without one it is a piece of an address ("@gmail.", "priya").
    """
    query = select(BounceRecord)
    if kind:
        query = query.where(BounceRecord.kind == kind)
    if campaign_id is not None:
        query = query.where(
            BounceRecord.delivery_id.in_(
                select(Delivery.id).where(Delivery.campaign_id == campaign_id)
            )
        )
    text = address.strip()
    if "@" in text:
        query = query.where(BounceRecord.address == email_key(text))
    elif text:
        query = query.where(
            func.lower(BounceRecord.address).contains(text.lower(), autoescape=True)
        )
    if verified is not None:
        query = query.where(BounceRecord.verified.is_(verified))
    return query


def record_campaigns(session: Session, records: Iterable[BounceRecord]) -> dict[int, Campaign]:
    """The campaign each record answers (by its delivery), for its subject and its list's zone."""
    ids = {r.delivery_id for r in records if r.delivery_id is not None}
    if not ids:
        return {}
    rows = session.execute(
        select(Delivery.id, Campaign)
        .join(Campaign, Campaign.id == Delivery.campaign_id)
        .join(MailingList, MailingList.id == Campaign.list_id)
        .where(Delivery.id.in_(ids))
    )
    return {delivery_id: campaign for delivery_id, campaign in rows}
