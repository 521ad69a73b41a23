"""Campaigns: create an edition once, start it, and control it while it runs.

A digest's ``edition_key`` is the list and the ISO week of the edition date,
unique in the database: a second scheduler, a restart or a manual
``mailer digest send`` for the same week finds the existing campaign instead
of creating another, so nobody gets the same edition twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailer.compose.render import render_digest
from mailer.config import Settings
from mailer.content.selection import mark_announcements_included, select_edition_content
from mailer.db import audit, utcnow
from mailer.delivery import outbox
from mailer.delivery.models import Campaign, CampaignKind, CampaignStatus
from subscribers.models import MailingList

log = logging.getLogger(__name__)


class CampaignStateError(ValueError):
    """The campaign is not in a state that allows this change; the message says which."""


def edition_key(mailing_list: MailingList, on: dt.date) -> str:
    year, week, _ = on.isocalendar()
    return f"{mailing_list.slug}:{year}-W{week:02d}"


def list_today(mailing_list: MailingList, now: dt.datetime | None = None) -> dt.date:
    """Today's date where the list's readers live (the edition date by default)."""
    return (now or utcnow()).astimezone(ZoneInfo(mailing_list.timezone)).date()


@dataclass(frozen=True)
class EditionOutcome:
    campaign: Campaign | None
    created: bool
    reason: str = ""


def create_digest(
    session: Session,
    mailing_list: MailingList,
    on: dt.date,
    settings: Settings,
    *,
    force: bool = False,
) -> EditionOutcome:
    """Make (once) the digest campaign of ``mailing_list`` for the week of ``on``.

    Renders and inlines the edition once and stores the snapshot on the
    campaign. Returns the existing campaign when the week's edition exists.
    An edition with nothing in it is skipped (logged), unless ``force``.
    """
    key = edition_key(mailing_list, on)
    existing = session.scalar(select(Campaign).where(Campaign.edition_key == key))
    if existing is not None:
        return EditionOutcome(existing, False, f"edition {key} exists (campaign {existing.id})")
    content = select_edition_content(session, mailing_list, on, settings)
    if content.is_empty and not force:
        log.info("skipping %s: nothing to send", key)
        return EditionOutcome(None, False, f"edition {key} has no content; skipped")
    snapshot = render_digest(content, mailing_list, settings)
    campaign = Campaign(
        kind=CampaignKind.DIGEST,
        list_id=mailing_list.id,
        edition_key=key,
        edition_date=on,
        subject=snapshot.subject,
        preheader=snapshot.preheader,
        html=snapshot.html,
        text=snapshot.text,
        status=CampaignStatus.DRAFT,
        meta={"items": content.item_ids()},
    )
    try:
        with session.begin_nested():
            session.add(campaign)
            session.flush()
    except IntegrityError:
        # Another process created this edition between our check and insert.
        existing = session.scalar(select(Campaign).where(Campaign.edition_key == key))
        return EditionOutcome(existing, False, f"edition {key} was created concurrently")
    mark_announcements_included(session, content, campaign.id)
    return EditionOutcome(campaign, True)


def schedule(session: Session, campaign: Campaign, at: dt.datetime, actor: str = "system") -> None:
    """Set a draft (or re-time a scheduled) campaign to start at ``at``.

    ``start_due`` starts it once ``at`` has passed; until then it can be
    re-timed or cancelled, and nobody is enqueued.
    """
    if at.tzinfo is None:
        raise ValueError(f"scheduled time {at!r} has no time zone; give an aware datetime")
    if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
        raise CampaignStateError(
            f"campaign {campaign.id} is {campaign.status}; only a draft or scheduled one "
            "can be scheduled"
        )
    campaign.status = CampaignStatus.SCHEDULED
    campaign.scheduled_at = at.astimezone(dt.UTC)
    audit(
        session,
        actor,
        "campaign.schedule",
        f"campaign:{campaign.id}",
        at=campaign.scheduled_at.isoformat(),
    )


def start_due(
    session: Session, now: dt.datetime | None = None, actor: str = "scheduler"
) -> list[int]:
    """Start every scheduled campaign whose time has come; returns their ids.

    Safe to run from two schedulers at once: rows are locked (skipping ones
    another process holds) and ``start`` checks the status again.
    """
    now = now or utcnow()
    query = (
        select(Campaign)
        .where(Campaign.status == CampaignStatus.SCHEDULED, Campaign.scheduled_at <= now)
        .order_by(Campaign.scheduled_at, Campaign.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    started = []
    for campaign in session.scalars(query).all():
        start(session, campaign, actor=actor)
        started.append(campaign.id)
    return started


def start(session: Session, campaign: Campaign, actor: str = "system") -> int:
    """Move a draft or scheduled campaign to sending and snapshot its audience.

    The audience is enqueued here in one statement; anyone who subscribes
    after this moment waits for the next campaign.
    """
    if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
        raise CampaignStateError(f"campaign {campaign.id} is {campaign.status}; cannot start it")
    added = outbox.enqueue(session, campaign)
    previous = campaign.status
    campaign.status = CampaignStatus.SENDING
    campaign.status_reason = ""
    campaign.started_at = utcnow()
    audit(
        session,
        actor,
        "campaign.start",
        f"campaign:{campaign.id}",
        recipients=added,
        previous=str(previous),
    )
    return added


def pause(session: Session, campaign: Campaign, reason: str, actor: str = "system") -> None:
    """Stop sending after the batches in flight; the queue stays as it is."""
    if campaign.status != CampaignStatus.SENDING:
        raise CampaignStateError(
            f"campaign {campaign.id} is {campaign.status}; only a sending one can be paused"
        )
    campaign.status = CampaignStatus.PAUSED
    campaign.status_reason = reason
    audit(session, actor, "campaign.pause", f"campaign:{campaign.id}", note=reason)


def resume(session: Session, campaign: Campaign, actor: str = "system") -> None:
    """Continue a paused campaign where it stopped (after fixing what paused it)."""
    if campaign.status != CampaignStatus.PAUSED:
        raise CampaignStateError(
            f"campaign {campaign.id} is {campaign.status}; only a paused one can be resumed"
        )
    reason = campaign.status_reason
    campaign.status = CampaignStatus.SENDING
    campaign.status_reason = ""
    audit(session, actor, "campaign.resume", f"campaign:{campaign.id}", paused_for=reason)


def cancel(session: Session, campaign: Campaign, actor: str = "system", reason: str = "") -> int:
    """Stop for good: every delivery still queued becomes ``skipped``; returns how many.

    Messages already handed to a live worker's backend finish and are recorded.
    Rows a dead worker left ``sending`` are skipped as soon as its lease has
    expired (here, if it already has; otherwise by the next worker's recovery),
    so the campaign's counts add up.
    """
    if campaign.status in (CampaignStatus.SENT, CampaignStatus.CANCELLED):
        raise CampaignStateError(f"campaign {campaign.id} is {campaign.status}; nothing to cancel")
    campaign.status = CampaignStatus.CANCELLED
    campaign.status_reason = reason or f"cancelled by {actor}"
    campaign.finished_at = utcnow()
    skipped = outbox.skip_remaining(session, campaign.id, f"campaign cancelled: {reason}".strip())
    session.flush()
    outbox.recover_orphans(session, campaign_id=campaign.id)
    audit(
        session,
        actor,
        "campaign.cancel",
        f"campaign:{campaign.id}",
        note=reason,
        skipped=skipped,
    )
    return skipped


def apply_action(
    session: Session, campaign: Campaign, action: str, *, actor: str, reason: str = ""
) -> int:
    """Pause, resume or cancel: the one entry the CLI, the web console and the API share.

    Returns how many queued deliveries a cancel skipped (0 for the others).
    """
    if action == "pause":
        pause(session, campaign, reason or f"paused by {actor}", actor=actor)
        return 0
    if action == "resume":
        resume(session, campaign, actor=actor)
        return 0
    if action == "cancel":
        return cancel(session, campaign, actor=actor, reason=reason)
    raise CampaignStateError(f"unknown action {action!r} (known: pause, resume, cancel)")
