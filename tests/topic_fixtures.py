"""A list with the office's three divisions as topics, tagged content and readers.

Shared by the topic tests: one edition whose items each carry known topics,
so a test can say exactly which titles each reader's message must hold.
"""

from __future__ import annotations

import datetime as dt
import email
from dataclasses import dataclass
from email import policy
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer.content import manual
from mailer.content.models import (
    Announcement,
    AnnouncementMode,
    AnnouncementStatus,
    NewsItem,
    Source,
    SourceKind,
)
from mailer.content.topic_tags import set_tags
from subscribers.models import MailingList, Subscriber, Subscription
from subscribers.topics import create_topic, set_choices
from tests.helpers import make_list

CHICAGO = ZoneInfo("America/Chicago")
#: A Monday in 2027 whose edition has a feature (every reader gets something).
EDITION = dt.date(2027, 3, 8)

DIVISIONS = {
    "md": "MD Diversity Programs",
    "pathways": "Academic Pathway Programs",
    "ppd": "Programming and Professional Development",
}

#: Item title -> topics (slugs) it carries.
NEWS = {
    "White Coat mentoring circle opens": {"md"},
    "Summer pathway scholars announced": {"pathways"},
    "Grand rounds on equity in medicine": {"md", "ppd"},
    "Pipeline feed: high school science camp": set(),  # tagged by its source: pathways
}
EVENTS = {
    "Leadership workshop for residents": {"ppd"},
    "Pathways open house": {"pathways"},
}
ANNOUNCEMENTS = {"Call for MD mentors": {"md"}}
SOURCE_TOPICS = {"Pipeline feed: high school science camp": {"pathways"}}


@dataclass
class Setup:
    mailing_list: MailingList
    topics: dict[str, int]
    readers: dict[str, set[str]]  # address -> topics chosen


def expected_titles(chosen: set[str]) -> set[str]:
    """The titles a reader of ``chosen`` topics must get (all of them for none)."""
    everything = {**NEWS, **EVENTS, **ANNOUNCEMENTS}
    carried = {title: tags | SOURCE_TOPICS.get(title, set()) for title, tags in everything.items()}
    if not chosen:
        return set(everything)
    return {title for title, tags in carried.items() if tags & chosen}


def all_titles() -> set[str]:
    return set(NEWS) | set(EVENTS) | set(ANNOUNCEMENTS)


def build(session: Session, readers: dict[str, set[str]], slug: str = "weekly") -> Setup:
    ml = make_list(session, slug, timezone="America/Chicago")
    topics = {key: create_topic(session, ml, key, name).id for key, name in DIVISIONS.items()}
    feed = Source(kind=SourceKind.NEWS, name="Pipeline feed", url="https://example.org/feed")
    session.add(feed)
    session.flush()
    set_tags(session, "source", feed.id, [topics["pathways"]])
    published = dt.datetime(2027, 3, 5, 9, 0, tzinfo=CHICAGO)
    for i, (title, tags) in enumerate(NEWS.items()):
        if title in SOURCE_TOPICS:
            item = NewsItem(
                source_id=feed.id,
                guid=f"pipeline-{i}",
                title=title,
                url=f"https://example.org/news/{i}",
                published_at=published,
            )
            session.add(item)
            session.flush()
        else:
            item = manual.add_news(
                session, title=title, url=f"https://example.org/news/{i}", published_at=published
            )
        set_tags(session, "news", item.id, [topics[t] for t in tags])
    for i, (title, tags) in enumerate(EVENTS.items()):
        start = dt.datetime(2027, 3, 10 + i, 12, 0, tzinfo=CHICAGO)
        event = manual.add_event(
            session,
            title=title,
            starts_at=start,
            ends_at=start + dt.timedelta(hours=1),
            location="Farrell Learning and Teaching Center",
            url=f"https://example.org/events/{i}",
        )
        set_tags(session, "event", event.id, [topics[t] for t in tags])
    for title, tags in ANNOUNCEMENTS.items():
        note = Announcement(
            author_email="staff@example.org",
            title=title,
            body_md="Sign up to mentor a first-year student.",
            mode=AnnouncementMode.DIGEST,
            status=AnnouncementStatus.APPROVED,
            reviewed_at=dt.datetime(2027, 3, 1, tzinfo=dt.UTC),
        )
        note.lists.append(ml)
        session.add(note)
        session.flush()
        set_tags(session, "announcement", note.id, [topics[t] for t in tags])
    for address, chosen in readers.items():
        person = Subscriber(email=address, name=address.split("@")[0].title())
        session.add(person)
        session.flush()
        sub = Subscription(subscriber_id=person.id, list_id=ml.id, status="confirmed")
        session.add(sub)
        session.flush()
        if chosen:
            set_choices(session, sub, topics=[topics[t] for t in chosen], source="admin")
    session.flush()
    return Setup(ml, topics, readers)


def subscription(session: Session, address: str, list_id: int) -> Subscription:
    sub = session.scalar(
        select(Subscription)
        .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
        .where(Subscriber.email == address, Subscription.list_id == list_id)
    )
    assert sub is not None
    return sub


def message_texts(raw: bytes) -> tuple[str, str, str]:
    """Subject, text part and HTML part of a received message."""
    msg = email.message_from_bytes(raw, policy=policy.default)
    text_part = msg.get_body(preferencelist=("plain",))
    html_part = msg.get_body(preferencelist=("html",))
    assert text_part is not None and html_part is not None
    return str(msg["Subject"]), text_part.get_content(), html_part.get_content()


def titles_in(body: str) -> set[str]:
    return {t for t in all_titles() if t in body}
