"""Choosing what goes into one edition of one list.

:func:`select_edition_content` is a pure function of the database and
``(list, date)``: it never looks at the clock, so the preview on Friday and
the send on Monday of the same edition show the same thing (unless content
was added in between), and tests pin the date. The rules, in the list's time
zone:

- features: observances active on the edition date; "coming up": those
  starting in the next 14 days;
- news: published since the previous edition of this list was made (the
  latest digest campaign with an earlier edition date that was sent or is
  sending), minus items that edition carried; the 7 days before the date for
  a first edition (items fetched since then but dated up to 7 days earlier
  count too: feeds are polled, not pushed); only up to the end of the edition
  date; newest first, at
  most ``settings.news_limit``;
- events: starting on the edition date or in the 13 days after it, in start
  order;
- announcements: approved, "in the next digest", targeted at this list and
  not yet carried by an edition of it.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session, aliased

from mailer.config import Settings
from mailer.content import observances
from mailer.content.edition import (
    AnnouncementEntry,
    EditionContent,
    EventEntry,
    NewsEntry,
)
from mailer.content.markup import render_markdown
from mailer.content.models import (
    Announcement,
    AnnouncementMode,
    AnnouncementStatus,
    Event,
    NewsItem,
    Source,
    announcement_lists,
)
from mailer.delivery.models import Campaign, CampaignKind, CampaignStatus
from subscribers.models import MailingList

log = logging.getLogger(__name__)

COMING_UP_DAYS = 14
EVENT_DAYS = 14
FIRST_EDITION_NEWS_DAYS = 7
LATE_ARRIVAL_DAYS = 7


def list_timezone(mailing_list: MailingList, settings: Settings) -> ZoneInfo:
    try:
        return ZoneInfo(mailing_list.timezone or settings.default_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning(
            "list %s has unknown time zone %r; using %s",
            mailing_list.slug,
            mailing_list.timezone,
            settings.default_timezone,
        )
        return ZoneInfo(settings.default_timezone)


def _local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)


def previous_edition(session: Session, list_id: int, on: dt.date) -> Campaign | None:
    """The latest digest of the list, dated before ``on``, that was sent or is sending."""
    return session.scalars(
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


def _carried_news(campaign: Campaign) -> set[int]:
    """News ids an edition carried: ``meta["items"]["news"]`` (or ``meta["news"]``)."""
    meta = campaign.meta or {}
    items = meta.get("items", meta)
    news = items.get("news", []) if isinstance(items, dict) else []
    return {int(i) for i in news if str(i).isdigit()}


def _news(
    session: Session, list_id: int, on: dt.date, tz: ZoneInfo, limit: int
) -> tuple[NewsEntry, ...]:
    until = _local_midnight(on + dt.timedelta(days=1), tz)
    prev = previous_edition(session, list_id, on)
    if prev is None:
        since = _local_midnight(on - dt.timedelta(days=FIRST_EDITION_NEWS_DAYS), tz)
        carried: set[int] = set()
    else:
        # The edition's content was chosen when its campaign was created, so
        # anything published after that is new to its readers.
        since = prev.created_at
        carried = _carried_news(prev)
    # Baseline items (undated on their source's first ingest) are never news; items
    # dated after the edition date wait for their date.
    conditions = [
        NewsItem.hidden.is_(False),
        NewsItem.baseline.is_(False),
        NewsItem.published_at < until,
    ]
    if prev is None:
        conditions.append(NewsItem.published_at >= since)
    else:
        conditions.append(
            or_(
                NewsItem.published_at >= since,
                # Fetched after the last edition but dated a little before it (feeds
                # are polled, not pushed): still news to the readers.
                and_(
                    NewsItem.fetched_at >= since,
                    NewsItem.published_at >= since - dt.timedelta(days=LATE_ARRIVAL_DAYS),
                ),
            )
        )
    if carried:
        conditions.append(NewsItem.id.not_in(carried))
    rows = session.execute(
        select(NewsItem, Source.name)
        .join(Source, Source.id == NewsItem.source_id)
        .where(*conditions)
        .order_by(NewsItem.published_at.desc(), NewsItem.id.desc())
        .limit(max(limit, 0))
    ).all()
    entries = (
        NewsEntry(
            id=item.id,
            title=item.title,
            url=item.url,
            summary_html=item.summary_html,
            published_at=item.published_at,
            source_name="" if source_name == "manual" else source_name,
            image_url=item.image_url,
            image_alt=item.image_alt,
        )
        for item, source_name in rows
    )
    # An untitled item never leads the edition: titled ones first, each group newest first.
    return tuple(sorted(entries, key=lambda entry: not entry.titled))


def _events(session: Session, on: dt.date, tz: ZoneInfo) -> tuple[EventEntry, ...]:
    end_day = on + dt.timedelta(days=EVENT_DAYS)
    # All-day events are stored at 00:00 UTC of their date; timed ones at their instant.
    day_start = dt.datetime.combine(on, dt.time(0), tzinfo=dt.UTC)
    day_end = dt.datetime.combine(end_day, dt.time(0), tzinfo=dt.UTC)
    rows = session.scalars(
        select(Event)
        .where(
            Event.hidden.is_(False),
            or_(
                and_(
                    Event.all_day.is_(False),
                    Event.starts_at >= _local_midnight(on, tz),
                    Event.starts_at < _local_midnight(end_day, tz),
                ),
                and_(
                    Event.all_day.is_(True),
                    Event.starts_at >= day_start,
                    Event.starts_at < day_end,
                ),
            ),
        )
        .order_by(Event.starts_at, Event.id)
    ).all()
    entries = []
    for ev in rows:
        if ev.all_day:
            # Hand compose local midnight of the event's own date, so showing it in
            # the list's zone gives the right day; the end stays exclusive.
            starts = dt.datetime.combine(ev.starts_at.date(), dt.time(0), tzinfo=tz)
            ends = (
                dt.datetime.combine(ev.ends_at.date(), dt.time(0), tzinfo=tz)
                if ev.ends_at
                else None
            )
        else:
            starts = ev.starts_at.astimezone(tz)
            ends = ev.ends_at.astimezone(tz) if ev.ends_at else None
        entries.append(
            EventEntry(
                id=ev.id,
                title=ev.title,
                starts_at=starts,
                ends_at=ends,
                all_day=ev.all_day,
                location=ev.location,
                url=ev.url,
                description=ev.description,
            )
        )
    entries.sort(key=lambda e: (e.starts_at, e.id))
    return tuple(entries)


def pending_announcements(
    session: Session, list_id: int, on: dt.date | None = None
) -> list[Announcement]:
    """Approved digest announcements for the list that no edition has carried yet.

    With ``on``, those carried by this list's edition of that date count too, so
    choosing the same edition again after its campaign exists gives the same answer.
    """
    carried_by = aliased(Campaign)
    unclaimed: ColumnElement[bool] = announcement_lists.c.campaign_id.is_(None)
    if on is not None:
        unclaimed = or_(
            unclaimed,
            and_(carried_by.list_id == list_id, carried_by.edition_date == on),
        )
    return list(
        session.scalars(
            select(Announcement)
            .join(announcement_lists, announcement_lists.c.announcement_id == Announcement.id)
            .outerjoin(carried_by, carried_by.id == announcement_lists.c.campaign_id)
            .where(
                announcement_lists.c.list_id == list_id,
                unclaimed,
                Announcement.status == AnnouncementStatus.APPROVED,
                Announcement.mode == AnnouncementMode.DIGEST,
            )
            .order_by(Announcement.reviewed_at, Announcement.id)
        )
    )


def select_edition_content(
    session: Session, mailing_list: MailingList, on: dt.date, settings: Settings
) -> EditionContent:
    """Everything that goes into the edition of ``mailing_list`` dated ``on``."""
    tz = list_timezone(mailing_list, settings)
    defs = observances.definitions(session)
    active = observances.active_on(on, defs)
    active_slugs = {o.slug for o in active}
    coming = [
        o
        for o in observances.starting_between(
            on + dt.timedelta(days=1), on + dt.timedelta(days=COMING_UP_DAYS), defs
        )
        if o.slug not in active_slugs
    ]
    content = EditionContent(
        list_id=mailing_list.id,
        list_slug=mailing_list.slug,
        list_name=mailing_list.name,
        edition_date=on,
        timezone=tz.key,
        features=tuple(observances.feature_for(o, defs) for o in active),
        coming_up=tuple(observances.coming_up_entry(o) for o in coming),
        news=_news(session, mailing_list.id, on, tz, settings.news_limit),
        events=_events(session, on, tz),
        announcements=tuple(
            AnnouncementEntry(a.id, a.title, render_markdown(a.body_md))
            for a in pending_announcements(session, mailing_list.id, on)
        ),
    )
    if content.is_empty:
        log.info("edition of %s for %s has no content", mailing_list.slug, on.isoformat())
    return content


def should_send(content: EditionContent, *, force: bool = False) -> bool:
    """False (with a log line) for an edition with nothing in it, unless forced."""
    if content.is_empty and not force:
        log.info(
            "skipping the %s edition of %s: no features, news, events or announcements",
            content.edition_date.isoformat(),
            content.list_slug,
        )
        return False
    return True


def mark_announcements_included(
    session: Session, content: EditionContent, campaign_id: int
) -> None:
    """Record that this edition's campaign carries its announcements to its list.

    Only rows still unclaimed are updated, so two editions cannot both claim one.
    """
    ids = [a.id for a in content.announcements]
    if not ids:
        return
    session.execute(
        announcement_lists.update()
        .where(
            announcement_lists.c.list_id == content.list_id,
            announcement_lists.c.announcement_id.in_(ids),
            announcement_lists.c.campaign_id.is_(None),
        )
        .values(campaign_id=campaign_id)
    )
    session.flush()
