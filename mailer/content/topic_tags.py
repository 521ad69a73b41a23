"""Which topics a piece of content carries: a source's, and each staff-written item's.

A news item or event carries its source's topics and its own; an
announcement its own. Topics belong to lists (``subscribers.topic_models``),
so an item tagged for one list's "Academic Pathway Programs" carries nothing
for another list: there it counts as untagged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from sqlalchemy import Column, ForeignKey, Table, delete, insert, select
from sqlalchemy.orm import Session

from mailer.content.edition import EditionContent
from mailer.content.models import Event, NewsItem
from mailer.db import Base
from subscribers.topic_models import Topic

source_topics = Table(
    "source_topics",
    Base.metadata,
    Column("source_id", ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True),
)

news_topics = Table(
    "news_topics",
    Base.metadata,
    Column("news_item_id", ForeignKey("news_items.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True),
)

event_topics = Table(
    "event_topics",
    Base.metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True),
)

announcement_topics = Table(
    "announcement_topics",
    Base.metadata,
    Column("announcement_id", ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True),
)

#: The tagging table of each kind of item, and the name of its item column.
TAG_TABLES: dict[str, tuple[Table, str]] = {
    "source": (source_topics, "source_id"),
    "news": (news_topics, "news_item_id"),
    "event": (event_topics, "event_id"),
    "announcement": (announcement_topics, "announcement_id"),
}


def _tags(
    session: Session, kind: str, ids: Sequence[int], topic_ids: set[int]
) -> dict[int, set[int]]:
    table, column = TAG_TABLES[kind]
    found: dict[int, set[int]] = {}
    if not ids or not topic_ids:
        return found
    rows = session.execute(
        select(table.c[column], table.c.topic_id).where(
            table.c[column].in_(list(ids)), table.c.topic_id.in_(sorted(topic_ids))
        )
    )
    for item_id, topic_id in rows:
        found.setdefault(item_id, set()).add(topic_id)
    return found


def _with_sources(
    session: Session,
    model: type[NewsItem] | type[Event],
    kind: str,
    ids: list[int],
    topics: set[int],
) -> dict[int, frozenset[int]]:
    """Each item's own topics united with its source's (of this list only)."""
    own = _tags(session, kind, ids, topics)
    source_of = dict(
        session.execute(select(model.id, model.source_id).where(model.id.in_(ids))).all()
    )
    by_source = _tags(session, "source", sorted(set(source_of.values())), topics)
    return {
        i: frozenset(own.get(i, set()) | by_source.get(source_of.get(i, -1), set())) for i in ids
    }


def tag_content(session: Session, content: EditionContent) -> EditionContent:
    """The edition with each news item, event and announcement carrying its topics.

    Only topics of the edition's list count; features and "coming up" carry
    none (they go to every reader).
    """
    topics = set(session.scalars(select(Topic.id).where(Topic.list_id == content.list_id)))
    if not topics:
        return content
    news = _with_sources(session, NewsItem, "news", [n.id for n in content.news], topics)
    events = _with_sources(session, Event, "event", [e.id for e in content.events], topics)
    own = _tags(session, "announcement", [a.id for a in content.announcements], topics)
    return dataclasses.replace(
        content,
        news=tuple(
            dataclasses.replace(n, topics=news.get(n.id, frozenset())) for n in content.news
        ),
        events=tuple(
            dataclasses.replace(e, topics=events.get(e.id, frozenset())) for e in content.events
        ),
        announcements=tuple(
            dataclasses.replace(a, topics=frozenset(own.get(a.id, set())))
            for a in content.announcements
        ),
    )


def set_tags(
    session: Session,
    kind: str,
    item_id: int,
    topic_ids: Sequence[int],
    *,
    within: Sequence[int] | None = None,
) -> None:
    """Replace the topics an item (or source) carries; with ``within`` (one list's topic
    ids), only those: its topics of other lists stay."""
    table, column = TAG_TABLES[kind]
    clear = delete(table).where(table.c[column] == item_id)
    if within is not None:
        clear = clear.where(table.c.topic_id.in_(list(within)))
    session.execute(clear)
    if topic_ids:
        session.execute(
            insert(table), [{column: item_id, "topic_id": t} for t in sorted(set(topic_ids))]
        )
    session.flush()


def tags_of(session: Session, kind: str, item_id: int) -> set[int]:
    table, column = TAG_TABLES[kind]
    return set(session.scalars(select(table.c.topic_id).where(table.c[column] == item_id)))
