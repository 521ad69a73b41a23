"""Topics on the staff desk: which topics an announcement carries (the form's box),
and which variant of a digest the preview shows.

Every list with topics shows its own group; ticked ids are stored with
``mailer.content.topic_tags.set_tags`` (an id of no list is ignored).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer.compose.snapshot import Snapshot
from mailer.content.topic_tags import set_tags, tags_of
from mailer.delivery.preview import Edition
from subscribers.models import MailingList
from subscribers.topic_models import Topic
from subscribers.topic_prefs import TopicOption


def topic_groups(
    session: Session, announcement_id: int | None, ticked: Iterable[int] | None = None
) -> list[tuple[MailingList, list[TopicOption]]]:
    """(list, its topics ticked where the announcement carries them) per list with topics."""
    chosen = (
        set(ticked)
        if ticked is not None
        else (tags_of(session, "announcement", announcement_id) if announcement_id else set())
    )
    groups: dict[int, tuple[MailingList, list[TopicOption]]] = {}
    rows = session.execute(
        select(Topic, MailingList)
        .join(MailingList, MailingList.id == Topic.list_id)
        .order_by(MailingList.name, Topic.position, Topic.id)
    ).all()
    for topic, ml in rows:
        groups.setdefault(ml.id, (ml, []))[1].append(
            TopicOption(topic.id, topic.name, topic.description, topic.id in chosen)
        )
    return list(groups.values())


def save_announcement_topics(session: Session, announcement_id: int, ticked: set[int]) -> None:
    known = set(session.scalars(select(Topic.id)))
    set_tags(session, "announcement", announcement_id, sorted(ticked & known))


NOTHING_FOR_THEM = (
    "<!doctype html><html lang=en><title>Nothing this week</title>"
    "<p>Nothing in this edition for these readers' topics: they are not sent it "
    "(their deliveries are skipped).</p></html>"
)


def picked_variant(edition: Edition, key: str) -> Snapshot | None:
    """The edition (``key`` "") or one of its variants; None for an empty variant."""
    if not key:
        return edition.snapshot
    for variant in edition.variants:
        if variant.key == key:
            return variant.snapshot
    return edition.snapshot
