"""Standalone announcements: send each approved one at its time, once per target list.

Each target list gets its own campaign with the edition key
``announcement:<id>:list-<list id>`` (unique), so a second scheduler or a
restart finds the campaign instead of making another. The announcement is
marked ``sent`` once every target list's campaign has started.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailer.compose.render import render_announcement
from mailer.config import Settings
from mailer.content.edition import AnnouncementEntry
from mailer.content.markup import render_markdown
from mailer.content.models import Announcement, AnnouncementMode, AnnouncementStatus
from mailer.db import audit, session_scope, utcnow
from mailer.delivery import campaigns
from mailer.delivery.models import Campaign, CampaignKind, CampaignStatus
from subscribers import lists
from subscribers.models import MailingList

log = logging.getLogger(__name__)

ACTOR = "scheduler"


def announcement_key(announcement_id: int, mailing_list: MailingList) -> str:
    return f"announcement:{announcement_id}:list-{mailing_list.id}"


def pending_standalone(session: Session) -> list[Announcement]:
    """Approved standalone announcements with a time whose sends are not all made yet."""
    found = session.scalars(
        select(Announcement)
        .where(
            Announcement.mode == AnnouncementMode.STANDALONE,
            Announcement.status == AnnouncementStatus.APPROVED,
            Announcement.send_at.is_not(None),
        )
        .order_by(Announcement.send_at, Announcement.id)
    )
    pending = []
    for a in found:
        keys = {announcement_key(a.id, ml) for ml in a.lists}
        made = set(
            session.scalars(select(Campaign.edition_key).where(Campaign.edition_key.in_(keys)))
        )
        if not keys or keys - made:
            pending.append(a)
    return pending


@dataclass
class AnnouncementRun:
    announcement_id: int
    action: str  # sent, partial, skipped, not-due, not-approved, missing, no-lists
    campaigns: dict[str, str] = field(default_factory=dict)  # list slug -> what happened
    reason: str = ""


def run_announcement(
    factory: sessionmaker[Session],
    settings: Settings,
    announcement_id: int,
    now: dt.datetime | None = None,
) -> AnnouncementRun:
    """Create and start one campaign per target list (once), then mark it sent."""
    now = now or utcnow()
    grace = dt.timedelta(hours=settings.digest_grace_hours)
    with session_scope(factory) as session:
        a = session.get(Announcement, announcement_id)
        if a is None:
            return AnnouncementRun(announcement_id, "missing")
        if a.status != AnnouncementStatus.APPROVED or a.mode != AnnouncementMode.STANDALONE:
            return AnnouncementRun(announcement_id, "not-approved", reason=f"status {a.status}")
        if a.send_at is None or a.send_at > now:
            return AnnouncementRun(announcement_id, "not-due")
        if not a.lists:
            reason = "approved announcement has no target list; nothing sent"
            audit(session, ACTOR, "announcement.no_lists", f"announcement:{a.id}", note=reason)
            return AnnouncementRun(announcement_id, "no-lists", reason=reason)
        late = now - a.send_at
        run = AnnouncementRun(announcement_id, "sent")
        entry: AnnouncementEntry | None = None
        for ml in sorted(a.lists, key=lambda m: m.slug):
            key = announcement_key(a.id, ml)
            campaign = session.scalar(select(Campaign).where(Campaign.edition_key == key))
            if campaign is None and late > grace:
                run.campaigns[ml.slug] = _skip(session, a, ml, key, late, grace)
                continue
            if campaign is None:
                if entry is None:
                    entry = AnnouncementEntry(a.id, a.title, render_markdown(a.body_md))
                campaign = _create(session, a, ml, key, entry, settings, now)
            if campaign.status == CampaignStatus.DRAFT:
                recipients = campaigns.start(session, campaign, ACTOR)
                run.campaigns[ml.slug] = f"started ({recipients} recipients)"
            else:
                run.campaigns[ml.slug] = str(campaign.status)
        if all(v.startswith("skipped") for v in run.campaigns.values()):
            run.action = "skipped"
            return run
        a.status = AnnouncementStatus.SENT
        audit(session, ACTOR, "announcement.sent", f"announcement:{a.id}", **run.campaigns)
        if any(v.startswith("skipped") for v in run.campaigns.values()):
            run.action = "partial"
        return run


def _create(
    session: Session,
    a: Announcement,
    ml: MailingList,
    key: str,
    entry: AnnouncementEntry,
    settings: Settings,
    now: dt.datetime,
) -> Campaign:
    snapshot = render_announcement(entry, ml, settings)
    campaign = Campaign(
        kind=CampaignKind.ANNOUNCEMENT,
        list_id=ml.id,
        edition_key=key,
        edition_date=lists.list_today(ml, now, settings.default_timezone),
        announcement_id=a.id,
        subject=snapshot.subject,
        preheader=snapshot.preheader,
        html=snapshot.html,
        text=snapshot.text,
        status=CampaignStatus.DRAFT,
        scheduled_at=a.send_at,
    )
    # Another scheduler may have made it between our look and our insert: use theirs.
    return campaigns.insert_once(session, campaign)


def _skip(
    session: Session,
    a: Announcement,
    ml: MailingList,
    key: str,
    late: dt.timedelta,
    grace: dt.timedelta,
) -> str:
    reason = (
        f"not sent: {late.total_seconds() / 3600:.1f} h past its send time "
        f"({a.send_at:%Y-%m-%d %H:%M} UTC), beyond the "
        f"{grace.total_seconds() / 3600:g} h grace (digest_grace_hours)"
    )
    skipped = Campaign(
        kind=CampaignKind.ANNOUNCEMENT,
        list_id=ml.id,
        edition_key=key,
        announcement_id=a.id,
        subject=a.title[:300],
        status=CampaignStatus.SKIPPED,
        status_reason=reason,
        scheduled_at=a.send_at,
        finished_at=utcnow(),
    )
    if campaigns.insert_once(session, skipped) is not skipped:
        return "exists"
    audit(session, ACTOR, "announcement.skipped", f"announcement:{a.id}", note=reason, key=key)
    log.warning("announcement %s to %s skipped: %s", a.id, ml.slug, reason)
    return f"skipped: {reason}"
