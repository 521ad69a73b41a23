"""Where an announcement went: the campaigns that carried it out.

A digest-mode announcement is carried by the edition recorded in
``announcement_lists.campaign_id`` (one per target list); a standalone one by
its own campaign (``campaigns.announcement_id``). Once such a campaign has
started, the author's page says "sent in <edition> on <date>" instead of
"approved". Looked up for a page of announcements at once (two queries).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mailer.content.models import Announcement, announcement_lists
from mailer.delivery.models import Campaign, CampaignStatus

WENT_OUT = (CampaignStatus.SENDING, CampaignStatus.SENT)


def sends_for(session: Session, announcements: Sequence[Announcement]) -> dict[int, list[Campaign]]:
    """For each announcement id, the started campaigns that carried it, oldest first."""
    ids = [a.id for a in announcements]
    found: dict[int, list[Campaign]] = defaultdict(list)
    if not ids:
        return found
    in_digest = (
        select(announcement_lists.c.announcement_id, Campaign)
        .join(Campaign, Campaign.id == announcement_lists.c.campaign_id)
        .where(announcement_lists.c.announcement_id.in_(ids), Campaign.status.in_(WENT_OUT))
    )
    on_its_own = select(Campaign.announcement_id, Campaign).where(
        Campaign.announcement_id.in_(ids), Campaign.status.in_(WENT_OUT)
    )
    for query in (in_digest, on_its_own):
        for announcement_id, campaign in session.execute(
            query.options(selectinload(Campaign.mailing_list))
        ):
            if campaign not in found[announcement_id]:
                found[announcement_id].append(campaign)
    for campaigns in found.values():
        campaigns.sort(key=lambda c: (c.started_at is None, c.started_at, c.id))
    return found
