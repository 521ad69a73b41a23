"""News and events typed in by staff, and hiding items from the digest.

Hand-made items belong to a pseudo-source named ``manual`` (one per kind), so
they share the tables, uniqueness rules and selection of ingested ones. Given a
``guid`` the add functions are idempotent: adding the same guid again updates
the item, which is what a script re-run or a double-clicked form needs.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer.content.all_day import stored_span
from mailer.content.links import web_link
from mailer.content.markup import render_markdown, sanitize_html, strip_tags
from mailer.content.models import Event, NewsItem, Source, SourceKind
from mailer.db import utcnow

MANUAL = "manual"


class ContentError(ValueError):
    """Bad input for a news item or event; the message names the field."""


def manual_source(session: Session, kind: str) -> Source:
    """Get or create the ``manual`` pseudo-source of ``kind`` ("news" or "events")."""
    kind = SourceKind(kind).value
    source = session.scalars(
        select(Source).where(Source.kind == kind, Source.name == MANUAL)
    ).first()
    if source is None:
        source = Source(kind=kind, name=MANUAL, url="", last_status="ok")
        session.add(source)
        session.flush()
    return source


def _aware(value: dt.datetime, field: str) -> dt.datetime:
    if value.tzinfo is None:
        raise ContentError(f"{field}: give a time zone (e.g. 2026-03-02T09:00-06:00)")
    return value.astimezone(dt.UTC)


def _check_url(url: str, field: str) -> str:
    """Staff get told (and nothing is stored) instead of losing a link they typed."""
    url = url.strip()
    if url and not web_link(url):
        raise ContentError(f"{field}: {url!r} must be a full http:// or https:// address")
    return url


def add_news(
    session: Session,
    *,
    title: str,
    url: str,
    summary_html: str = "",
    published_at: dt.datetime | None = None,
    guid: str | None = None,
    image_url: str = "",
    image_alt: str = "",
    summary_md: str | None = None,
) -> NewsItem:
    """Add (or, for a known guid, update) a hand-written news item."""
    title = strip_tags(title)
    if not title:
        raise ContentError("title: a news item needs a title")
    url = _check_url(url, "url")
    image_url = _check_url(image_url, "image_url")
    if image_url and not image_alt.strip():
        raise ContentError("image_alt: describe the image for people who cannot see it")
    summary = render_markdown(summary_md) if summary_md is not None else sanitize_html(summary_html)
    source = manual_source(session, SourceKind.NEWS)
    guid = guid or url or f"manual:{uuid.uuid4()}"
    item = session.scalars(
        select(NewsItem).where(NewsItem.source_id == source.id, NewsItem.guid == guid)
    ).first()
    now = utcnow()
    if item is None:
        item = NewsItem(source_id=source.id, guid=guid, fetched_at=now)
        item.published_at = _aware(published_at, "published_at") if published_at else now
        session.add(item)
    else:
        item.updated_at = now
        if published_at:
            item.published_at = _aware(published_at, "published_at")
    item.title = title[:500]
    item.url = url
    item.summary_html = summary
    if summary_md is not None:
        item.summary_md = summary_md  # kept, so an edit starts from what was typed
    item.image_url = image_url
    item.image_alt = image_alt.strip()
    session.flush()
    return item


def add_event(
    session: Session,
    *,
    title: str,
    starts_at: dt.datetime | dt.date,
    ends_at: dt.datetime | dt.date | None = None,
    all_day: bool = False,
    location: str = "",
    url: str = "",
    description: str = "",
    timezone: str = "",
    guid: str | None = None,
) -> Event:
    """Add (or, for a known guid, update) a hand-entered event.

    Timed events need aware datetimes. For all-day events ``ends_at``, if
    given, is the last day (inclusive, as people type it); it is stored by the
    one all-day rule (:mod:`mailer.content.all_day`: the end exclusive).
    """
    title = strip_tags(title)
    if not title:
        raise ContentError("title: an event needs a title")
    if all_day or (isinstance(starts_at, dt.date) and not isinstance(starts_at, dt.datetime)):
        all_day = True
        first = _day(starts_at)
        last = _day(ends_at) if ends_at else None
        if last is not None and last < first:
            raise ContentError("ends_at: the event ends before it starts")
        start, end = stored_span(first, last)
    else:
        assert isinstance(starts_at, dt.datetime)
        start = _aware(starts_at, "starts_at")
        if ends_at is not None and not isinstance(ends_at, dt.datetime):
            raise ContentError("ends_at: give a time, like starts_at")
        end = _aware(ends_at, "ends_at") if ends_at else None
        if not timezone and starts_at.tzinfo is not None:
            timezone = getattr(starts_at.tzinfo, "key", "") or ""
    if end is not None and end < start:
        raise ContentError("ends_at: the event ends before it starts")
    source = manual_source(session, SourceKind.EVENTS)
    guid = guid or f"manual:{uuid.uuid4()}"
    event = session.scalars(
        select(Event).where(Event.source_id == source.id, Event.guid == guid)
    ).first()
    if event is None:
        event = Event(source_id=source.id, guid=guid, fetched_at=utcnow())
        session.add(event)
    event.title = title[:500]
    event.starts_at = start
    event.ends_at = end
    event.all_day = all_day
    event.location = location.strip()[:500]
    event.url = _check_url(url, "url")
    event.description = strip_tags(description)
    event.timezone = timezone[:64]
    session.flush()
    return event


def _day(value: dt.datetime | dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def set_hidden(session: Session, kind: str, item_id: int, hidden: bool = True) -> NewsItem | Event:
    """Hide an item from (or return it to) the digest; hidden items survive re-ingest."""
    item: NewsItem | Event | None
    if SourceKind(kind) == SourceKind.NEWS:
        item = session.get(NewsItem, item_id)
    else:
        item = session.get(Event, item_id)
    if item is None:
        raise ContentError(f"no {kind} item with id {item_id}")
    item.hidden = hidden
    session.flush()
    return item
