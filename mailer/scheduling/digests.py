"""When each list's digest is due, and what the scheduler does when it is.

The digest time is wall-clock time where the list's readers live ("Monday
07:00 in America/Chicago"), so the trigger carries the list's ``ZoneInfo``
and daylight-saving changes move the UTC instant, not the local hour.

Being late is normal (a restart, a deploy): a digest up to
``digest_grace_hours`` late is sent; a later one is not, because a Monday
digest arriving on Wednesday does more harm than good. That week is then
recorded as a ``skipped`` campaign with the reason, which also stops any
later run (another scheduler, a restart) from sending it after all.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.db import audit, session_scope, utcnow
from mailer.delivery import campaigns
from mailer.delivery.models import Campaign, CampaignKind, CampaignStatus
from subscribers import lists
from subscribers.models import MailingList

log = logging.getLogger(__name__)

ACTOR = "scheduler"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ScheduleError(ValueError):
    """A list's digest schedule cannot be understood; the message names the list and field."""


def digest_clock(mailing_list: MailingList) -> tuple[int, int, ZoneInfo]:
    """(hour, minute, zone) of the list's digest, validated by the lists' own rules."""
    try:
        hour_s, minute_s = lists.check_time(mailing_list.digest_time).split(":")
    except lists.ListError as exc:
        raise ScheduleError(f"list {mailing_list.slug!r}: digest_time {exc}") from None
    if not 0 <= mailing_list.digest_weekday <= 6:
        raise ScheduleError(
            f"list {mailing_list.slug!r}: digest_weekday {mailing_list.digest_weekday} "
            "must be 0 (Monday) to 6 (Sunday)"
        )
    try:
        zone = lists.list_zone(mailing_list)
    except lists.ListError as exc:  # its message names the list
        raise ScheduleError(str(exc)) from None
    return int(hour_s), int(minute_s), zone


def digest_trigger(mailing_list: MailingList, settings: Settings) -> BaseTrigger:
    """The APScheduler trigger of a list's weekly digest, in the list's zone."""
    hour, minute, zone = digest_clock(mailing_list)
    if settings.scheduler_digest_every_seconds > 0:
        return IntervalTrigger(seconds=settings.scheduler_digest_every_seconds, timezone=zone)
    return CronTrigger(
        day_of_week=WEEKDAYS[mailing_list.digest_weekday],
        hour=hour,
        minute=minute,
        second=0,
        timezone=zone,
    )


def describe(mailing_list: MailingList) -> str:
    """'Mondays 07:00 America/Chicago', for job names and messages."""
    day = dt.date(2024, 1, 1 + mailing_list.digest_weekday).strftime("%A")
    return f"{day}s {mailing_list.digest_time} {mailing_list.timezone}"


def last_due(mailing_list: MailingList, now: dt.datetime) -> dt.datetime:
    """The most recent scheduled digest instant at or before ``now`` (aware UTC)."""
    hour, minute, zone = digest_clock(mailing_list)
    local = now.astimezone(zone)
    day = local.date() - dt.timedelta(days=(local.weekday() - mailing_list.digest_weekday) % 7)
    due = dt.datetime.combine(day, dt.time(hour, minute), zone)
    if due > now:
        due = dt.datetime.combine(day - dt.timedelta(days=7), dt.time(hour, minute), zone)
    return due.astimezone(dt.UTC)


def next_due(mailing_list: MailingList, now: dt.datetime) -> dt.datetime:
    """The first scheduled digest instant after ``now`` (aware UTC), on the local wall clock."""
    hour, minute, zone = digest_clock(mailing_list)
    last = last_due(mailing_list, now).astimezone(zone)
    return dt.datetime.combine(
        last.date() + dt.timedelta(days=7), dt.time(hour, minute), zone
    ).astimezone(dt.UTC)


@dataclass(frozen=True)
class DigestRun:
    list_slug: str
    edition_key: str
    #: started, exists, resumed-start, empty, blocked, skipped, not-due, disabled, missing
    action: str
    campaign_id: int | None = None
    reason: str = ""


def run_digest(
    factory: sessionmaker[Session],
    settings: Settings,
    list_id: int,
    now: dt.datetime | None = None,
) -> DigestRun:
    """Make this week's edition of one list (once) and start sending it.

    Safe to call any number of times from any number of processes: the
    edition key is unique, an existing edition is only started if it is
    still a draft (a crash between create and start), never recreated.
    """
    now = now or utcnow()
    with session_scope(factory) as session:
        ml = session.get(MailingList, list_id)
        if ml is None:
            return DigestRun(f"#{list_id}", "", "missing", reason="list was deleted")
        if not ml.digest_enabled:
            return DigestRun(ml.slug, "", "disabled", reason="digest is turned off for this list")
        interval = settings.scheduler_digest_every_seconds > 0
        due = now if interval else last_due(ml, now)
        on = due.astimezone(lists.list_zone(ml)).date()
        key = campaigns.edition_key(ml, on)
        existing = session.scalar(select(Campaign).where(Campaign.edition_key == key))
        if existing is not None:
            return _continue(session, ml, existing)
        late = now - due
        grace = dt.timedelta(hours=settings.digest_grace_hours)
        if late > grace:
            since = lists.schedule_since(ml)
            if due < since:
                # The job of an old schedule fired before reconcile moved it, or the list
                # is newer than that time: it was never due, so nothing was missed.
                return DigestRun(ml.slug, key, "not-due", reason=_not_due(ml, due, since))
            return _skip(session, ml, key, on, due, late, grace)
        outcome = campaigns.create_digest(session, ml, on, settings)
        if outcome.campaign is None:
            audit(session, ACTOR, "digest.empty", f"list:{ml.slug}", note=outcome.reason, key=key)
            return DigestRun(ml.slug, key, "empty", reason=outcome.reason)
        if outcome.blocked:
            # `digest check` found errors: recorded and mailed to the admins; a person
            # sends it (`mailer digest send`, after a fix or with --force).
            campaign = outcome.campaign
            return DigestRun(ml.slug, key, "blocked", campaign.id, campaign.status_reason)
        if not outcome.created:
            return _continue(session, ml, outcome.campaign)
        recipients = campaigns.start(session, outcome.campaign, ACTOR)
        log.info("digest %s started for %d recipients", key, recipients)
        return DigestRun(ml.slug, key, "started", outcome.campaign.id, f"{recipients} recipients")


def _not_due(ml: MailingList, due: dt.datetime, since: dt.datetime) -> str:
    zone = lists.list_zone(ml)
    what = "was created" if ml.digest_schedule_changed_at is None else "changed its schedule"
    return (
        f"the list {what} at {since.astimezone(zone):%a %Y-%m-%d %H:%M %Z}, after the digest "
        f"time {due.astimezone(zone):%a %Y-%m-%d %H:%M %Z}; the next digest is {describe(ml)}"
    )


def _continue(session: Session, ml: MailingList, campaign: Campaign) -> DigestRun:
    if campaign.status == CampaignStatus.DRAFT:
        # Created but never started (a crash or SIGKILL in between): finish the job.
        campaigns.start(session, campaign, ACTOR)
        return DigestRun(ml.slug, campaign.edition_key, "resumed-start", campaign.id)
    return DigestRun(
        ml.slug,
        campaign.edition_key,
        "exists",
        campaign.id,
        f"edition exists (campaign {campaign.id}, {campaign.status})",
    )


def _skip(
    session: Session,
    ml: MailingList,
    key: str,
    on: dt.date,
    due: dt.datetime,
    late: dt.timedelta,
    grace: dt.timedelta,
) -> DigestRun:
    local_due = due.astimezone(lists.list_zone(ml))
    hours = late.total_seconds() / 3600
    reason = (
        f"not sent: the scheduler was not running at {local_due:%a %Y-%m-%d %H:%M %Z}; "
        f"{hours:.1f} h late is beyond the {grace.total_seconds() / 3600:g} h grace "
        "(digest_grace_hours); the next edition goes out at the next digest time."
    )
    campaign = Campaign(
        kind=CampaignKind.DIGEST,
        list_id=ml.id,
        edition_key=key,
        edition_date=on,
        subject="",
        status=CampaignStatus.SKIPPED,
        status_reason=reason,
        scheduled_at=due,
        finished_at=utcnow(),
    )
    made = campaigns.insert_once(session, campaign)
    if made is not campaign:
        return _continue(session, ml, made)
    audit(session, ACTOR, "digest.skipped", f"list:{ml.slug}", note=reason, key=key)
    log.warning("digest %s skipped: %s", key, reason)
    return DigestRun(ml.slug, key, "skipped", campaign.id, reason)


def catch_up(
    factory: sessionmaker[Session], settings: Settings, now: dt.datetime | None = None
) -> list[DigestRun]:
    """On start: deal with each list's most recent digest time that passed while we were down.

    Within the grace it is sent now; beyond it the week is recorded as
    skipped. Lists created or rescheduled after that time, and weeks that
    already have an edition, are left alone.
    """
    if settings.scheduler_digest_every_seconds > 0:
        return []
    now = now or utcnow()
    due_lists: list[int] = []
    with session_scope(factory) as session:
        for ml in session.scalars(select(MailingList).where(MailingList.digest_enabled.is_(True))):
            try:
                due = last_due(ml, now)
            except ScheduleError as exc:
                log.error("%s", exc)
                continue
            if due < lists.schedule_since(ml):
                continue
            on = due.astimezone(lists.list_zone(ml)).date()
            key = campaigns.edition_key(ml, on)
            if session.scalar(select(Campaign.id).where(Campaign.edition_key == key)) is None:
                due_lists.append(ml.id)
    return [run_digest(factory, settings, list_id, now) for list_id in due_lists]
