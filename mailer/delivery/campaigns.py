"""Campaigns: create an edition once, start it, and control it while it runs.

A digest's ``edition_key`` is the list and the ISO week of the edition date,
unique in the database: a second scheduler, a restart or a manual
``mailer digest send`` for the same week finds the existing campaign instead
of creating another, so nobody gets the same edition twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailer.compose.checks import Finding
from mailer.compose.gate import edition_findings
from mailer.compose.render import TemplateProblem, render_digest
from mailer.compose.snapshot import Snapshot
from mailer.config import Settings
from mailer.content.edition import EditionHistory
from mailer.content.selection import mark_announcements_included, select_edition_content
from mailer.db import audit, utcnow
from mailer.delivery import outbox
from mailer.delivery.models import Campaign, CampaignKind, CampaignStatus
from mailer.delivery.transactional import notify_admins
from subscribers.models import MailingList

log = logging.getLogger(__name__)


class CampaignStateError(ValueError):
    """The campaign is not in a state that allows this change; the message says which."""


def edition_key(mailing_list: MailingList, on: dt.date) -> str:
    """``list-<id>:<ISO year>-W<week>``: by id, because admins may rename a slug mid-week."""
    year, week, _ = on.isocalendar()
    return f"list-{mailing_list.id}:{year}-W{week:02d}"


def edition_history(session: Session, list_id: int, on: dt.date) -> EditionHistory:
    """What choosing the list's edition of ``on`` needs to know of its campaigns.

    The previous edition is the latest digest dated before ``on`` that was sent or
    is sending (a draft or cancelled one never reached readers); its news, from
    ``meta["items"]["news"]``, is not repeated.
    """
    previous = session.scalars(
        select(Campaign)
        .where(
            Campaign.kind == CampaignKind.DIGEST,
            Campaign.list_id == list_id,
            Campaign.status.in_([CampaignStatus.SENT, CampaignStatus.SENDING]),
            Campaign.edition_date < on,
        )
        .order_by(Campaign.edition_date.desc(), Campaign.id.desc())
        .limit(1)
    ).first()
    this_edition = frozenset(
        session.scalars(
            select(Campaign.id).where(Campaign.list_id == list_id, Campaign.edition_date == on)
        )
    )
    if previous is None:
        return EditionHistory(this_edition=this_edition)
    meta = previous.meta or {}
    items = meta.get("items", meta)
    news = items.get("news", []) if isinstance(items, dict) else []
    return EditionHistory(
        previous_made_at=previous.created_at,
        previous_news=frozenset(int(i) for i in news if str(i).isdigit()),
        this_edition=this_edition,
    )


def insert_once(session: Session, campaign: Campaign) -> Campaign:
    """Insert ``campaign``, or return the row another process made with its edition key.

    The unique edition key is what keeps two schedulers (or a scheduler and an admin)
    from making the same week's edition twice; the loser of that race must use the
    winner's row, never raise and never make a second one. The caller compares the
    result with what it passed to know which happened.
    """
    try:
        with session.begin_nested():
            session.add(campaign)
            session.flush()
    except IntegrityError:
        winner = session.scalars(
            select(Campaign).where(Campaign.edition_key == campaign.edition_key)
        ).one_or_none()
        if winner is None:  # not the key's race but a real fault (a missing column value)
            raise
        return winner
    return campaign


@dataclass(frozen=True)
class EditionOutcome:
    campaign: Campaign | None
    created: bool
    reason: str = ""

    @property
    def blocked(self) -> bool:
        return self.campaign is not None and self.campaign.status == CampaignStatus.BLOCKED


def create_digest(
    session: Session,
    mailing_list: MailingList,
    on: dt.date,
    settings: Settings,
    *,
    force: bool = False,
) -> EditionOutcome:
    """Make (once) the digest campaign of ``mailing_list`` for the week of ``on``.

    Renders and inlines the edition once, checks it (``mailer.compose.gate``)
    and stores the snapshot on the campaign. Returns the existing campaign
    when the week's edition exists. An edition with nothing in it is skipped
    (logged), unless ``force``. An edition the check finds errors in is
    stored as ``blocked`` with the reasons, and the admins are mailed, unless
    ``force``; asking again re-renders a blocked edition and checks it anew.
    """
    key = edition_key(mailing_list, on)
    existing = session.scalar(select(Campaign).where(Campaign.edition_key == key))
    if existing is not None and existing.status != CampaignStatus.BLOCKED:
        return EditionOutcome(existing, False, f"edition {key} exists (campaign {existing.id})")
    history = edition_history(session, mailing_list.id, on)
    content = select_edition_content(session, mailing_list, on, settings, history)
    if content.is_empty and not force and existing is None:
        log.info("skipping %s: nothing to send", key)
        return EditionOutcome(None, False, f"edition {key} has no content; skipped")
    snapshot: Snapshot | None = None
    try:
        snapshot = render_digest(content, mailing_list, settings)
    except TemplateProblem as exc:
        findings = [Finding("error", "template", str(exc))]
    else:
        findings = edition_findings(snapshot, mailing_list, settings)
    errors = [f for f in findings if f.level == "error"]
    # Forcing sends past check's errors, never an edition that could not be rendered.
    blocked = snapshot is None or (bool(errors) and not force)
    campaign = existing or Campaign(
        kind=CampaignKind.DIGEST, list_id=mailing_list.id, edition_key=key, edition_date=on
    )
    if snapshot is not None:
        campaign.subject = snapshot.subject
        campaign.preheader = snapshot.preheader
        campaign.html = snapshot.html
        campaign.text = snapshot.text
    campaign.status = CampaignStatus.BLOCKED if blocked else CampaignStatus.DRAFT
    campaign.status_reason = block_reason(errors) if blocked else ""
    items = snapshot.meta["items"] if snapshot is not None else {}
    kept = ("dropped_links", "content_images_without_alt", "more_events", "trimmed")
    campaign.meta = {
        "items": items,
        # What check reports about the content, for a check of the stored edition.
        **{k: snapshot.meta[k] for k in kept if snapshot is not None and k in snapshot.meta},
        "findings": [dataclasses.asdict(f) for f in findings],
        **({"forced": True} if errors and force else {}),
    }
    if existing is None:
        made = insert_once(session, campaign)
        if made is not campaign:
            return EditionOutcome(made, False, f"edition {key} was created concurrently")
    else:
        session.flush()
    if blocked:
        _report_blocked(session, settings, mailing_list, campaign, errors, mail=existing is None)
        return EditionOutcome(campaign, existing is None, campaign.status_reason)
    shown = set(items.get("announcements", [])) if isinstance(items, dict) else set()
    mark_announcements_included(
        session,
        dataclasses.replace(
            content, announcements=tuple(a for a in content.announcements if a.id in shown)
        ),
        campaign.id,
    )
    if existing is not None:
        audit(session, "system", "digest.unblocked", f"campaign:{campaign.id}", forced=force)
    if existing is None:
        return EditionOutcome(campaign, True)
    verdict = "sent despite its errors (--force)" if errors else "it passes now"
    return EditionOutcome(
        campaign, False, f"edition {key} was blocked; rendered and checked again: {verdict}"
    )


def block_reason(errors: list[Finding]) -> str:
    """One line per error, as the console, the CLI and the admins' mail show it."""
    return "blocked by digest check:\n" + "\n".join(f"- {f.rule}: {f.message}" for f in errors)


def _report_blocked(
    session: Session,
    settings: Settings,
    mailing_list: MailingList,
    campaign: Campaign,
    errors: list[Finding],
    *,
    mail: bool,
) -> None:
    """Audit a blocked edition and, the first time, tell the admins by mail."""
    audit(
        session,
        "system",
        "digest.blocked",
        f"campaign:{campaign.id}",
        key=campaign.edition_key,
        errors=[f"{f.rule}: {f.message}" for f in errors],
    )
    log.warning("digest %s blocked: %s", campaign.edition_key, campaign.status_reason)
    if not mail:
        return
    base = settings.base_url.rstrip("/")
    text = (
        f"The {mailing_list.name} digest of {campaign.edition_date} was not sent: "
        "`mailer digest check` found errors in it.\n\n"
        f"{campaign.status_reason}\n\n"
        f"Console: {base}/admin/campaigns/{campaign.id}\n\n"
        "Fix the cause (templates, settings, sources) and run\n"
        f"  mailer digest check --list {mailing_list.slug} --date {campaign.edition_date}\n"
        f"  mailer digest send --list {mailing_list.slug} --date {campaign.edition_date}\n"
        "which renders the edition again and sends it if it passes; `--force` sends it "
        "despite the errors.\n"
    )
    subject = f"Digest blocked: {mailing_list.name}, {campaign.edition_date}"
    notify_admins(session, settings, subject, text)


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
