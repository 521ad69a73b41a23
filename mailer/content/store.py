"""Storing what one good fetch of a source says, so the database mirrors the source.

Called only after a source was fetched and parsed in full: a failure before
this point changes nothing. Items are keyed by (source, guid as the feed
writes it), so re-ingesting updates instead of duplicating.

- News: new items are added and changed ones updated; items the feed dropped
  stay (a feed shows its latest N, not everything that is still true). An item
  without a usable date is dated when first seen, except on the source's
  first ingest, where it is the **baseline**: what the source already had,
  never this week's news.
- Events: a calendar says what is true now, so each good ingest reconciles the
  source's occurrences inside the window it was read over: occurrences it no
  longer yields (deleted, moved, excluded by a new EXDATE, cancelled, or the
  calendar emptied) are deleted. Sent editions keep them in their rendered
  snapshot; staff-entered events belong to another source and are never
  touched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mailer.content.feeds import FeedItem
from mailer.content.icalendar_events import CalendarEvent
from mailer.content.models import Event, NewsItem, Source


@dataclass
class StoreCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    baseline: int = 0
    notes: list[str] = field(default_factory=list)


def store_news(
    session: Session, source: Source, items: list[FeedItem], now: dt.datetime
) -> StoreCounts:
    counts = StoreCounts()
    first_ingest = source.last_ok_at is None
    existing = {
        n.guid: n for n in session.scalars(select(NewsItem).where(NewsItem.source_id == source.id))
    }
    seen: set[str] = set()
    for item in items:
        if item.guid in seen:
            continue
        seen.add(item.guid)
        row = existing.get(item.guid)
        values: dict[str, object] = {
            "title": item.title,
            "url": item.url,
            "summary_html": item.summary_html,
            "author": item.author,
            "image_url": item.image_url,
            "image_alt": item.image_alt,
        }
        if row is None:
            undated = item.published_at is None
            session.add(
                NewsItem(
                    source_id=source.id,
                    guid=item.guid,
                    # Undated: it counts from when we first saw it...
                    published_at=item.published_at or now,
                    updated_at=item.updated_at,
                    fetched_at=now,
                    # ...unless the source had it before we ever read it.
                    baseline=undated and first_ingest,
                    **values,
                )
            )
            counts.new += 1
            counts.baseline += undated and first_ingest
            continue
        if item.published_at:
            values["published_at"] = item.published_at
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        if changed:
            for key, value in changed.items():
                setattr(row, key, value)
            row.updated_at = item.updated_at or now
            counts.updated += 1
        else:
            counts.unchanged += 1
    if counts.baseline:
        counts.notes.append(
            f"{counts.baseline} undated item(s) taken as the source's baseline, not news"
        )
    return counts


def store_events(
    session: Session,
    source: Source,
    events: list[CalendarEvent],
    window: tuple[dt.datetime, dt.datetime],
    now: dt.datetime,
) -> StoreCounts:
    """Upsert the occurrences and delete the source's others inside ``window``."""
    counts = StoreCounts()
    existing = {
        e.guid: e for e in session.scalars(select(Event).where(Event.source_id == source.id))
    }
    kept: set[str] = set()
    for ev in events:
        if ev.guid in kept or ev.cancelled:
            continue  # a cancelled occurrence is one the calendar no longer yields
        kept.add(ev.guid)
        row = existing.get(ev.guid)
        values: dict[str, object] = {
            "title": ev.title,
            "starts_at": ev.starts_at,
            "ends_at": ev.ends_at,
            "all_day": ev.all_day,
            "timezone": ev.timezone,
            "location": ev.location,
            "url": ev.url,
            "description": ev.description,
        }
        if row is None:
            session.add(Event(source_id=source.id, guid=ev.guid, fetched_at=now, **values))
            counts.new += 1
            continue
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        if changed:
            for key, value in changed.items():
                setattr(row, key, value)
            counts.updated += 1
        else:
            counts.unchanged += 1
    start, end = window
    gone = [
        row.id
        for guid, row in existing.items()
        if guid not in kept and start <= _aware(row.starts_at) < end
    ]
    if gone:
        session.execute(delete(Event).where(Event.id.in_(gone)))
        counts.removed = len(gone)
    return counts


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
