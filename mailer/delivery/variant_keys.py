"""Which variant each reader of a campaign gets: the keys, read before every batch.

A digest reader's key is their topic set and the announcements of the edition
they already got on their own ("3,5;got=12", ``subscribers.topics.variant_key``);
an announcement campaign's reader is "" (for them) or ``NOT_FOR_THEM``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer.delivery.models import Campaign, Delivery, DeliveryStatus
from subscribers.topics import reader_topics, variant_key

#: The key of a reader an announcement campaign is not (or no longer) for.
NOT_FOR_THEM = "-"
INSTANT_PREFIX = "instant:"


def instant_key(announcement_id: int, list_id: int) -> str:
    """The edition key of an announcement's campaign to a list's instant readers."""
    return f"{INSTANT_PREFIX}{announcement_id}:list-{list_id}"


def is_instant(campaign: Campaign) -> bool:
    return campaign.edition_key.startswith(INSTANT_PREFIX)


def received(
    session: Session,
    list_id: int,
    announcement_ids: Iterable[int],
    subscriber_ids: Sequence[int] | None = None,
) -> dict[int, frozenset[int]]:
    """Which of these announcements each reader got (or is getting) on their own, from
    the instant campaigns to the list: a queued or sent delivery counts."""
    keys = [instant_key(a, list_id) for a in announcement_ids]
    if not keys:
        return {}
    query = (
        select(Delivery.subscriber_id, Campaign.announcement_id)
        .join(Campaign, Campaign.id == Delivery.campaign_id)
        .where(
            Campaign.edition_key.in_(keys),
            Delivery.status.in_(
                [DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.SENT]
            ),
        )
    )
    if subscriber_ids is not None:
        query = query.where(Delivery.subscriber_id.in_(list(subscriber_ids)))
    found: dict[int, set[int]] = {}
    for sid, aid in session.execute(query):
        if sid is not None and aid is not None:
            found.setdefault(sid, set()).add(aid)
    return {sid: frozenset(a) for sid, a in found.items()}


def digest_keys(
    session: Session, list_id: int, announcement_ids: Iterable[int], subscriber_ids: Sequence[int]
) -> dict[int, str]:
    """The current variant key of each of these readers of a digest ("" for everything)."""
    ann = list(announcement_ids)
    chosen = reader_topics(session, list_id, subscriber_ids)
    got = received(session, list_id, ann, subscriber_ids)
    return {sid: variant_key(chosen.get(sid, ()), got.get(sid, ())) for sid in subscriber_ids}


def keys_in_use(session: Session, list_id: int, announcement_ids: Iterable[int]) -> set[str]:
    """Every distinct variant key among the list's readers; "" (everything) always."""
    ann = list(announcement_ids)
    chosen = reader_topics(session, list_id, None)
    got = received(session, list_id, ann)
    return {""} | {
        variant_key(chosen.get(sid, ()), got.get(sid, ())) for sid in set(chosen) | set(got)
    }
