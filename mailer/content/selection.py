"""Choosing what goes into one edition of one list.

:func:`select_edition_content` is a pure function of the database and
``(list, date)``: it never looks at the clock, so the preview on Friday and
the send on Monday of the same edition show the same thing (unless content
was added in between), and tests pin the date. The rules, in the list's time
zone:

- features: observances active on the edition date, and those that begin and
  end before the list's next edition (a single day between two Mondays), in
  the order :func:`mailer.content.observances.lead_order` gives; "coming up":
  those starting in the next 14 days that are not featured;
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
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from mailer.config import Settings
from mailer.content import observances
from mailer.content.edition import (
    AnnouncementEntry,
    EditionContent,
    EditionHistory,
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
from mailer.content.topic_tags import tag_content
from subscribers import lists
from subscribers.models import MailingList

log = logging.getLogger(__name__)

EVENT_DAYS = 14
FIRST_EDITION_NEWS_DAYS = 7
LATE_ARRIVAL_DAYS = 7


def next_edition_date(mailing_list: MailingList, on: dt.date) -> dt.date:
    """The date of the list's next weekly edition after ``on`` (on its digest weekday)."""
    weekday = mailing_list.digest_weekday
    if weekday is None or not 0 <= weekday <= 6:
        weekday = on.weekday()
    return on + dt.timedelta(days=(weekday - on.weekday()) % 7 or 7)


def _local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)


def _news(
    session: Session, history: EditionHistory, on: dt.date, tz: ZoneInfo, limit: int
) -> tuple[NewsEntry, ...]:
    until = _local_midnight(on + dt.timedelta(days=1), tz)
    first = history.previous_made_at is None
    if history.previous_made_at is None:
        since = _local_midnight(on - dt.timedelta(days=FIRST_EDITION_NEWS_DAYS), tz)
    else:
        # The edition's content was chosen when its campaign was created, so
        # anything published after that is new to its readers.
        since = history.previous_made_at
    carried = history.previous_news
    # Baseline items (undated on their source's first ingest) are never news; items
    # dated after the edition date wait for their date.
    conditions = [
        NewsItem.hidden.is_(False),
        NewsItem.baseline.is_(False),
        NewsItem.published_at < until,
    ]
    if first:
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
    entries = [event_entry(ev, tz) for ev in rows]
    entries.sort(key=lambda e: (e.starts_at, e.id))
    return tuple(entries)


def event_entry(event: Event, tz: ZoneInfo) -> EventEntry:
    """A stored event as compose shows it, in ``tz``.

    An all-day event is handed over as local midnight of its own date, so showing
    it in the list's zone gives the right day; the end stays exclusive. The digest,
    the per-event .ics and the list's calendar feed all read events through this.
    """
    if event.all_day:
        starts = dt.datetime.combine(event.starts_at.date(), dt.time(0), tzinfo=tz)
        ends = (
            dt.datetime.combine(event.ends_at.date(), dt.time(0), tzinfo=tz)
            if event.ends_at
            else None
        )
    else:
        starts = event.starts_at.astimezone(tz)
        ends = event.ends_at.astimezone(tz) if event.ends_at else None
    return EventEntry(
        id=event.id,
        title=event.title,
        starts_at=starts,
        ends_at=ends,
        all_day=event.all_day,
        location=event.location,
        url=event.url,
        description=event.description,
        guid=event.guid,
    )


def pending_announcements(
    session: Session, list_id: int, this_edition: frozenset[int] = frozenset()
) -> list[Announcement]:
    """Approved digest announcements for the list that no edition has carried yet.

    Those carried by ``this_edition`` (the campaigns of the edition being chosen)
    count too, so choosing the same edition again after its campaign exists gives
    the same answer.
    """
    unclaimed: ColumnElement[bool] = announcement_lists.c.campaign_id.is_(None)
    if this_edition:
        unclaimed = or_(unclaimed, announcement_lists.c.campaign_id.in_(sorted(this_edition)))
    return list(
        session.scalars(
            select(Announcement)
            .join(announcement_lists, announcement_lists.c.announcement_id == Announcement.id)
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
    session: Session,
    mailing_list: MailingList,
    on: dt.date,
    settings: Settings,
    history: EditionHistory,
) -> EditionContent:
    """Everything that goes into the edition of ``mailing_list`` dated ``on``.

    ``history`` is what delivery knows of the list's editions (the previous one,
    and this one if it was made already): content does not read campaigns.
    """
    tz = lists.list_zone(mailing_list, settings.default_timezone)
    defs = observances.definitions(session)
    featured, coming = observances.for_edition(on, next_edition_date(mailing_list, on), defs)
    content = EditionContent(
        list_id=mailing_list.id,
        list_slug=mailing_list.slug,
        list_name=mailing_list.name,
        edition_date=on,
        timezone=tz.key,
        features=tuple(observances.feature_for(o, defs) for o in featured),
        coming_up=tuple(observances.coming_up_entry(o) for o in coming),
        news=_news(session, history, on, tz, settings.news_limit),
        events=_events(session, on, tz),
        announcements=tuple(
            AnnouncementEntry(a.id, a.title, render_markdown(a.body_md))
            for a in pending_announcements(session, mailing_list.id, history.this_edition)
        ),
    )
    content = tag_content(session, content)
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


def upcoming_events(
    session: Session, mailing_list: MailingList, on: dt.date, settings: Settings
) -> tuple[EventEntry, ...]:
    """Every event an edition of ``on`` may show, soonest first (the list's events page).

    The digest shows the first ``events_limit`` of them and links here for the rest.
    """
    return _events(session, on, lists.list_zone(mailing_list, settings.default_timezone))
