"""Choosing an edition's content (first cut; the content issue makes it complete)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer.config import Settings
from mailer.content.edition import EditionContent, EventEntry, FeatureEntry, NewsEntry
from mailer.content.models import Event, NewsItem, Observance
from mailer.content.observances import active_on
from subscribers.models import MailingList


def select_edition_content(
    session: Session, mailing_list: MailingList, on: dt.date, settings: Settings
) -> EditionContent:
    zone = ZoneInfo(mailing_list.timezone)
    start = dt.datetime.combine(on, dt.time(), zone)
    features = []
    for occ in active_on(on):
        row = session.scalar(select(Observance).where(Observance.slug == occ.slug))
        features.append(
            FeatureEntry(
                slug=occ.slug,
                name=occ.name,
                title=(row.feature_title if row else "") or f"Commemorate {occ.name}",
                body_html=(f"<p>{row.feature_body_md}</p>" if row else ""),
                starts_on=occ.starts_on,
                ends_on=occ.ends_on,
            )
        )
    news = session.scalars(
        select(NewsItem)
        .where(
            NewsItem.hidden.is_(False),
            NewsItem.published_at >= start - dt.timedelta(days=7),
            NewsItem.published_at < start + dt.timedelta(days=1),
        )
        .order_by(NewsItem.published_at.desc())
        .limit(settings.news_limit)
    )
    events = session.scalars(
        select(Event)
        .where(
            Event.hidden.is_(False),
            Event.starts_at >= start,
            Event.starts_at < start + dt.timedelta(days=14),
        )
        .order_by(Event.starts_at)
    )
    return EditionContent(
        list_id=mailing_list.id,
        list_slug=mailing_list.slug,
        list_name=mailing_list.name,
        edition_date=on,
        timezone=mailing_list.timezone,
        features=tuple(features),
        news=tuple(NewsEntry(n.id, n.title, n.url, n.summary_html, n.published_at) for n in news),
        events=tuple(
            EventEntry(e.id, e.title, e.starts_at, e.ends_at, e.all_day, e.location, e.url)
            for e in events
        ),
    )


def mark_announcements_included(
    session: Session, content: EditionContent, campaign_id: int
) -> None:
    """Nothing to mark until announcements are selected."""
