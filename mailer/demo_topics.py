"""The demo's topics: the office's three divisions, on its weekly digest.

The office (shared/seed/odei-homepage.txt) has three divisions: MD Diversity
Programs, Academic Pathway Programs, and Programming and Professional
Development. The demo makes them the weekly list's topics, tags each demo
event with the division that runs it (the History Wall tour, an office-wide
event, with all three), and gives some demo readers one or two divisions, so
``make demo`` delivers differently filled digests from one rendering per
topic set. Loading is idempotent, and never overrides a choice a reader made
since (a reader who already has a recorded choice is left alone).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer.content.models import Event, Source
from mailer.content.topic_tags import set_tags
from subscribers.addresses import email_key
from subscribers.models import MailingList, Subscriber, Subscription
from subscribers.topic_models import ReaderChoice, Topic
from subscribers.topics import create_topic, list_topics, set_choices

DIVISIONS = [
    ("md", "MD Diversity Programs", "Recruitment and support of a diverse MD community."),
    ("pathways", "Academic Pathway Programs", "Pathways into medicine and STEM, high school on."),
    ("ppd", "Programming and Professional Development", "Culture change, equity, community."),
]

#: Demo event guid -> the divisions that run it.
EVENT_TOPICS = {
    "history-wall-tour": ("md", "pathways", "ppd"),
    "summer-scholars-showcase": ("pathways",),
    "restorative-justice-workshop": ("ppd",),
    "visiting-students-info-session": ("md",),
}

#: Demo readers who chose divisions; everyone else gets everything.
READER_TOPICS = {
    "amara.okafor@example.org": ("md",),
    "jose.hernandez@example.org": ("pathways",),
    "meilin.chen@example.org": ("ppd",),
    "priya.raghavan@example.org": ("md", "pathways"),
    "fatima.alsayed@example.org": ("pathways", "ppd"),
}


def load_topics(session: Session, weekly: MailingList) -> int:
    """Create the divisions as topics, tag the demo events, give readers their choices;
    returns how many readers have topics."""
    have = {t.slug: t for t in list_topics(session, weekly.id)}
    for slug, name, description in DIVISIONS:
        if slug not in have:
            have[slug] = create_topic(
                session, weekly, slug, name, description=description, actor="demo"
            )
    ids = {slug: t.id for slug, t in have.items()}
    within = [t.id for t in have.values()]
    manual = select(Source.id).where(Source.name == "manual")
    for guid, slugs in EVENT_TOPICS.items():
        event_id = session.scalar(
            select(Event.id).where(Event.guid == guid, Event.source_id.in_(manual))
        )
        if event_id is not None:
            set_tags(session, "event", event_id, [ids[s] for s in slugs], within=within)
    chosen = 0
    for address, slugs in READER_TOPICS.items():
        sub = session.scalar(
            select(Subscription)
            .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
            .where(Subscriber.email_key == email_key(address), Subscription.list_id == weekly.id)
        )
        if sub is None:
            continue
        chosen += 1
        if session.get(ReaderChoice, sub.id) is None:
            set_choices(session, sub, topics=[ids[s] for s in slugs], source="demo", actor="demo")
    return chosen


def topic_names(session: Session, list_id: int) -> list[str]:
    return list(
        session.scalars(select(Topic.name).where(Topic.list_id == list_id).order_by(Topic.position))
    )
