"""Topics and readers' choices: the one home of their rules.

- Admins define a list's topics (``create_topic``, ``update_topic``,
  ``delete_topic``); a topic's slug follows the list slug rule.
- A reader's choice per list is a set of topics (empty: everything) and a
  mode (weekly digest, the default, or each announcement as it is approved).
  ``set_choices`` is the only way to change them: every change is an audit
  entry (``reader.topics``, ``reader.mode``) with the source (form,
  preferences, admin, api, import) and time, like every consent change, and
  the latest is kept on ``ReaderChoice``.
- ``topic_key`` is the one spelling of a topic set ("3,5"; "" for all) that
  campaigns' variants and the send engine use; ``reader_topics`` reads the
  current keys of a batch of readers, so a change made in the middle of a
  send holds from its next batch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from mailer.db import audit, utcnow
from subscribers.lists import ListError, check_slug
from subscribers.models import MailingList, Subscription, SubscriptionStatus
from subscribers.topic_models import DeliveryMode, ReaderChoice, Topic, subscription_topics

__all__ = [
    "GOT",
    "Choices",
    "DeliveryMode",
    "TopicError",
    "choices_of",
    "create_topic",
    "delete_topic",
    "exported_choices",
    "instant_readers",
    "list_topics",
    "lists_with_instant_readers",
    "parse_key",
    "reader_topics",
    "resolve_topics",
    "set_choices",
    "split_key",
    "topic_key",
    "update_topic",
    "variant_key",
]


class TopicError(ValueError):
    """A topic or a choice is not acceptable; the message says why."""


def topic_key(topic_ids: Iterable[int]) -> str:
    """The one spelling of a topic set: sorted ids joined by commas; "" is every topic."""
    return ",".join(str(i) for i in sorted(set(topic_ids)))


def parse_key(key: str) -> frozenset[int]:
    return frozenset(int(part) for part in key.split(",") if part.strip())


def list_topics(session: Session, list_id: int) -> list[Topic]:
    return list(
        session.scalars(
            select(Topic).where(Topic.list_id == list_id).order_by(Topic.position, Topic.id)
        )
    )


def _topic(session: Session, mailing_list: MailingList, slug: str) -> Topic:
    topic = session.scalar(
        select(Topic).where(Topic.list_id == mailing_list.id, Topic.slug == slug)
    )
    if topic is None:
        raise TopicError(f"list {mailing_list.slug!r} has no topic {slug!r}")
    return topic


def create_topic(
    session: Session,
    mailing_list: MailingList,
    slug: str,
    name: str,
    *,
    description: str = "",
    actor: str = "admin",
) -> Topic:
    try:
        check_slug(slug)
    except ListError as exc:
        raise TopicError(str(exc)) from exc
    name = " ".join(name.split())
    if not name:
        raise TopicError("a topic needs a name")
    exists = session.scalar(
        select(Topic.id).where(Topic.list_id == mailing_list.id, Topic.slug == slug)
    )
    if exists is not None:
        raise TopicError(f"list {mailing_list.slug!r} already has a topic {slug!r}")
    last = session.scalar(select(func.max(Topic.position)).where(Topic.list_id == mailing_list.id))
    topic = Topic(
        list_id=mailing_list.id,
        slug=slug,
        name=name,
        description=" ".join(description.split()),
        position=(last or 0) + 1,
    )
    session.add(topic)
    session.flush()
    audit(session, actor, "topic.create", f"topic:{topic.id}", list=mailing_list.slug, slug=slug)
    return topic


def update_topic(
    session: Session,
    mailing_list: MailingList,
    slug: str,
    *,
    name: str | None = None,
    description: str | None = None,
    actor: str = "admin",
) -> Topic:
    topic = _topic(session, mailing_list, slug)
    if name is not None:
        if not name.strip():
            raise TopicError("a topic needs a name")
        topic.name = " ".join(name.split())
    if description is not None:
        topic.description = " ".join(description.split())
    audit(session, actor, "topic.update", f"topic:{topic.id}", list=mailing_list.slug, slug=slug)
    session.flush()
    return topic


def delete_topic(
    session: Session, mailing_list: MailingList, slug: str, *, actor: str = "admin"
) -> None:
    """Remove a topic; readers who had only it get everything again (no topics left)."""
    topic = _topic(session, mailing_list, slug)
    session.execute(delete(subscription_topics).where(subscription_topics.c.topic_id == topic.id))
    audit(session, actor, "topic.delete", f"topic:{topic.id}", list=mailing_list.slug, slug=slug)
    session.delete(topic)
    session.flush()


def resolve_topics(session: Session, list_id: int, wanted: Iterable[str | int]) -> set[int]:
    """Topic ids of this list from slugs or ids (as forms and the CLI give them).

    An unknown one raises ``TopicError``: a reader never gets a topic of another list.
    """
    topics = list_topics(session, list_id)
    by_slug = {t.slug: t.id for t in topics}
    by_id = {str(t.id): t.id for t in topics}
    found: set[int] = set()
    for item in wanted:
        value = str(item).strip()
        if not value:
            continue
        if value in by_slug:
            found.add(by_slug[value])
        elif value in by_id:
            found.add(by_id[value])
        else:
            raise TopicError(f"no topic {value!r} on this list")
    return found


@dataclass(frozen=True)
class Choices:
    """A reader's choice on one list. ``topics`` empty: everything."""

    topics: frozenset[int] = frozenset()
    mode: str = DeliveryMode.DIGEST


def choices_of(session: Session, subscription_id: int) -> Choices:
    ids = session.scalars(
        select(subscription_topics.c.topic_id).where(
            subscription_topics.c.subscription_id == subscription_id
        )
    )
    choice = session.get(ReaderChoice, subscription_id)
    return Choices(frozenset(ids), choice.mode if choice else DeliveryMode.DIGEST)


def set_choices(
    session: Session,
    subscription: Subscription,
    *,
    topics: Iterable[int] | None = None,
    mode: str | None = None,
    source: str,
    actor: str = "subscriber",
) -> bool:
    """Change a reader's topics and/or mode on the subscription's list; True if anything changed.

    ``None`` leaves that part as it is. Topics must belong to the list. Each
    change is audited with its source; the send engine reads the choice
    again before every batch.
    """
    before = choices_of(session, subscription.id)
    changed = False
    if topics is not None:
        wanted = frozenset(topics)
        known = {t.id for t in list_topics(session, subscription.list_id)}
        if not wanted <= known:
            raise TopicError("a chosen topic does not belong to this list")
        if wanted != before.topics:
            session.execute(
                delete(subscription_topics).where(
                    subscription_topics.c.subscription_id == subscription.id
                )
            )
            if wanted:
                session.execute(
                    insert(subscription_topics),
                    [{"subscription_id": subscription.id, "topic_id": t} for t in sorted(wanted)],
                )
            audit(
                session,
                actor,
                "reader.topics",
                f"subscription:{subscription.id}",
                source,
                list_id=subscription.list_id,
                before=sorted(before.topics),
                after=sorted(wanted),
            )
            changed = True
    if mode is not None:
        if mode not in (DeliveryMode.DIGEST, DeliveryMode.INSTANT):
            raise TopicError(f"mode {mode!r} is not one of: digest, instant")
        if mode != before.mode:
            audit(
                session,
                actor,
                "reader.mode",
                f"subscription:{subscription.id}",
                source,
                list_id=subscription.list_id,
                before=str(before.mode),
                after=mode,
            )
            changed = True
    if changed:
        choice = session.get(ReaderChoice, subscription.id)
        if choice is None:
            choice = ReaderChoice(subscription_id=subscription.id, mode=DeliveryMode.DIGEST)
            session.add(choice)
        if mode is not None:
            choice.mode = mode
        choice.changed_at = utcnow()
        choice.source = source
    session.flush()
    return changed


#: Marks the announcements of an edition a reader already got on their own (instant):
#: their digest leaves those out. "3,5;got=12" is topics 3 and 5, without announcement 12.
GOT = ";got="


def variant_key(topic_ids: Iterable[int], got: Iterable[int] = ()) -> str:
    """The key of the digest variant a reader gets: their topics, and the announcements
    of the edition they already received one by one."""
    received = topic_key(got)
    return topic_key(topic_ids) + (GOT + received if received else "")


def split_key(key: str) -> tuple[frozenset[int], frozenset[int]]:
    """(topic ids, announcement ids already received) of a variant key."""
    topics, _, got = key.partition(GOT)
    return parse_key(topics), parse_key(got)


def _choices(
    session: Session, list_id: int, subscriber_ids: Sequence[int] | None
) -> dict[int, tuple[set[int], str]]:
    """subscriber id -> (topic ids, mode) of the readers who chose anything on the list."""
    confirmed = (
        Subscription.list_id == list_id,
        Subscription.status == SubscriptionStatus.CONFIRMED,
    )
    topics_q = (
        select(Subscription.subscriber_id, subscription_topics.c.topic_id)
        .join(subscription_topics, subscription_topics.c.subscription_id == Subscription.id)
        .where(*confirmed)
    )
    modes_q = (
        select(Subscription.subscriber_id, ReaderChoice.mode)
        .join(ReaderChoice, ReaderChoice.subscription_id == Subscription.id)
        .where(*confirmed, ReaderChoice.mode != DeliveryMode.DIGEST)
    )
    if subscriber_ids is not None:
        topics_q = topics_q.where(Subscription.subscriber_id.in_(list(subscriber_ids)))
        modes_q = modes_q.where(Subscription.subscriber_id.in_(list(subscriber_ids)))
    found: dict[int, tuple[set[int], str]] = {}
    for subscriber_id, topic_id in session.execute(topics_q):
        found.setdefault(subscriber_id, (set(), DeliveryMode.DIGEST))[0].add(topic_id)
    for subscriber_id, mode in session.execute(modes_q):
        found[subscriber_id] = (found.get(subscriber_id, (set(), ""))[0], mode)
    return found


def reader_topics(
    session: Session, list_id: int, subscriber_ids: Sequence[int] | None
) -> dict[int, frozenset[int]]:
    """The topics readers chose on the list (absent: none, everything); ``None``: all
    the list's confirmed readers who chose some."""
    return {
        sid: frozenset(t)
        for sid, (t, _m) in _choices(session, list_id, subscriber_ids).items()
        if t or subscriber_ids is not None
    }


def instant_readers(session: Session, list_id: int) -> dict[int, frozenset[int]]:
    """Confirmed readers of the list who chose "each announcement as it is approved",
    with their topics."""
    return {
        sid: frozenset(t)
        for sid, (t, mode) in _choices(session, list_id, None).items()
        if mode == DeliveryMode.INSTANT
    }


def lists_with_instant_readers(session: Session) -> list[int]:
    return sorted(
        set(
            session.scalars(
                select(Subscription.list_id)
                .join(ReaderChoice, ReaderChoice.subscription_id == Subscription.id)
                .where(
                    Subscription.status == SubscriptionStatus.CONFIRMED,
                    ReaderChoice.mode == DeliveryMode.INSTANT,
                )
            )
        )
    )


def exported_choices(
    session: Session, list_id: int, subscriber_ids: Sequence[int]
) -> dict[int, tuple[str, str, dt.datetime | None, str]]:
    """Per subscriber: (topic slugs joined by spaces, mode, when and how last changed),
    for the list's CSV export. Readers who never chose are absent (the defaults)."""
    slugs = {t.id: t.slug for t in list_topics(session, list_id)}
    rows = session.execute(
        select(Subscription.subscriber_id, Subscription.id).where(
            Subscription.list_id == list_id, Subscription.subscriber_id.in_(subscriber_ids)
        )
    ).all()
    by_sub = {sub_id: sid for sid, sub_id in rows}
    chosen: dict[int, list[str]] = {}
    for sub_id, topic_id in session.execute(
        select(subscription_topics.c.subscription_id, subscription_topics.c.topic_id).where(
            subscription_topics.c.subscription_id.in_(list(by_sub))
        )
    ):
        chosen.setdefault(by_sub[sub_id], []).append(slugs.get(topic_id, str(topic_id)))
    out: dict[int, tuple[str, str, dt.datetime | None, str]] = {}
    for choice in session.scalars(
        select(ReaderChoice).where(ReaderChoice.subscription_id.in_(list(by_sub)))
    ):
        sid = by_sub[choice.subscription_id]
        out[sid] = (
            " ".join(sorted(chosen.get(sid, []))),
            choice.mode,
            choice.changed_at,
            choice.source,
        )
    for sid, names in chosen.items():
        out.setdefault(sid, (" ".join(sorted(names)), DeliveryMode.DIGEST, None, ""))
    return out
