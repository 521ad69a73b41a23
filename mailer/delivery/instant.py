"""Instant readers: each announcement on its own as it is approved, once.

A reader who chose "each announcement as it is approved" on a list gets every
approved digest announcement to that list as a standalone message, as soon as
the scheduler sees it (within a minute), and their digest leaves the
announcements out (``mailer.compose.variants``). One campaign per
announcement and list, keyed ``instant:<announcement id>:list-<list id>``
(unique: made once, whatever runs it), sent only to the list's instant
readers whose topics the announcement carries (or who chose none).

Only announcements no digest has carried yet are sent this way, so a
reader who switches to instant does not receive past announcements again.
Before every batch the worker asks again who is still an instant reader of
those topics (``instant_keys``): a reader who switched back to the digest
is skipped from the next batch, like every consent change.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from mailer.config import Settings
from mailer.content.models import Announcement
from mailer.content.topic_tags import tags_of
from mailer.db import audit
from mailer.delivery.models import Campaign, CampaignKind, CampaignStatus, Delivery
from mailer.delivery.variant_keys import NOT_FOR_THEM, instant_key, is_instant
from mailer.delivery.variant_models import CampaignVariant
from subscribers import lists
from subscribers.models import MailingList
from subscribers.topics import instant_readers, lists_with_instant_readers, reader_topics

log = logging.getLogger(__name__)


def _for(reader_topics: frozenset[int], carried: set[int]) -> bool:
    """The variant rule for one announcement: a reader of no topics gets it; a reader
    of topics gets it when it carries one of them."""
    return not reader_topics or bool(reader_topics & carried)


def instant_keys(
    session: Session, campaign: Campaign, subscriber_ids: Sequence[int]
) -> dict[int, str]:
    """ "" for readers the campaign is still for, ``NOT_FOR_THEM`` for the rest.

    An instant campaign is for the list's instant readers of the announcement's
    topics; a standalone announcement (sent at its time to the whole list) for
    every reader of its topics, whatever their mode.
    """
    carried = tags_of(session, "announcement", campaign.announcement_id or 0)
    if is_instant(campaign):
        readers = instant_readers(session, campaign.list_id)
        return {
            sid: "" if sid in readers and _for(readers[sid], carried) else NOT_FOR_THEM
            for sid in subscriber_ids
        }
    chosen = reader_topics(session, campaign.list_id, subscriber_ids)
    return {
        sid: "" if _for(chosen.get(sid, frozenset()), carried) else NOT_FOR_THEM
        for sid in subscriber_ids
    }


def routed(session: Session, campaign: Campaign) -> bool:
    """Is the campaign's audience asked again before each batch? An instant one, and a
    standalone announcement that carries topics."""
    if is_instant(campaign):
        return True
    if campaign.kind != CampaignKind.ANNOUNCEMENT or campaign.announcement_id is None:
        return False
    return bool(tags_of(session, "announcement", campaign.announcement_id))


def _start(session: Session, campaign: Campaign, announcement_id: int) -> int:
    """Enqueue the list's audience, keep only its instant readers of the topics."""
    from mailer.delivery import campaigns  # sending needs none of this: made here

    campaigns.start(session, campaign, "scheduler")
    readers = instant_readers(session, campaign.list_id)
    carried = tags_of(session, "announcement", announcement_id)
    keep = [sid for sid, topics in readers.items() if _for(topics, carried)]
    session.execute(
        delete(Delivery).where(
            Delivery.campaign_id == campaign.id, Delivery.subscriber_id.not_in(keep)
        )
    )
    campaign.total_count = (
        session.scalar(select(func.count()).where(Delivery.campaign_id == campaign.id)) or 0
    )
    # Marks the campaign as one whose readers are asked again before each batch.
    session.add(
        CampaignVariant(
            campaign_id=campaign.id, topics="", empty=False, subject=campaign.subject,
            preheader=campaign.preheader, html="", text="", content={},
        )
    )  # fmt: skip
    return campaign.total_count


def send_instant(session: Session, settings: Settings) -> list[str]:
    """Start one campaign per approved, not yet carried digest announcement and list with
    instant readers; returns what was started ("announcement 4 to odei-weekly: 3 readers")."""
    from mailer.content.selection import pending_announcements

    started: list[str] = []
    for list_id in lists_with_instant_readers(session):
        ml = session.get(MailingList, list_id)
        assert ml is not None
        for a in pending_announcements(session, list_id):
            key = instant_key(a.id, list_id)
            if session.scalar(select(Campaign.id).where(Campaign.edition_key == key)):
                continue
            campaign = _create(session, a, ml, key, settings)
            if campaign is None:
                continue
            count = _start(session, campaign, a.id)
            audit(session, "scheduler", "announcement.instant", f"announcement:{a.id}",
                  list=ml.slug, recipients=count)  # fmt: skip
            started.append(f"announcement {a.id} to {ml.slug}: {count} readers")
            log.info("instant announcement %s to %s: %d readers", a.id, ml.slug, count)
    return started


def _create(
    session: Session, a: Announcement, ml: MailingList, key: str, settings: Settings
) -> Campaign | None:
    from mailer.compose.render import render_announcement
    from mailer.content.edition import AnnouncementEntry
    from mailer.content.markup import render_markdown

    snapshot = render_announcement(
        AnnouncementEntry(a.id, a.title, render_markdown(a.body_md)), ml, settings
    )
    campaign = Campaign(
        kind=CampaignKind.ANNOUNCEMENT,
        list_id=ml.id,
        edition_key=key,
        edition_date=lists.list_today(ml, default=settings.default_timezone),
        announcement_id=a.id,
        subject=snapshot.subject,
        preheader=snapshot.preheader,
        html=snapshot.html,
        text=snapshot.text,
        status=CampaignStatus.DRAFT,
    )
    from mailer.delivery import campaigns

    # Another scheduler may have made it between our look and our insert: theirs stands.
    return campaign if campaigns.insert_once(session, campaign) is campaign else None
