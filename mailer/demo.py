"""Demo content taken from the office's home page (shared/seed/odei-homepage.txt).

Loading is idempotent: lists, subscribers, news and events are found by
their natural keys (slug, address, source + guid) and updated, never added
twice, so ``mailer demo`` can run any number of times.

The home page's news keep their own dates (early 2024, as their texts say):
re-dating them to "yesterday" made a December demo lead with "Happy Ramadan!".
So this week's digest shows what is current on the day the demo runs (the
observances the calendar computes for that week, and the demo's events, dated
in the coming two weeks), and the 2024 news wait in the archive.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer.config import Settings
from mailer.content.manual import add_event, add_news
from mailer.content.models import Observance
from mailer.content.observance_texts import BUILTIN_BY_SLUG
from mailer.content.seed import NEWS
from mailer.demo_topics import load_topics
from subscribers.addresses import email_key, normalise_email
from subscribers.models import MailingList, Subscriber, Subscription, SubscriptionStatus
from subscribers.service import add_subscriber, unsubscribe

DIGEST_SLUG = "odei-weekly"
ZONE = "America/Chicago"

LISTS = [
    (
        DIGEST_SLUG,
        "ODEI Weekly",
        "Infusing diversity, equity and inclusion throughout the Washington University School "
        "of Medicine community: news, heritage-month features and upcoming events, every Monday.",
    ),
    (
        "md-diversity-programs",
        "MD Diversity Programs",
        "Recruitment of a culturally diverse academic workforce; programs for high school "
        "students, current students, trainees, junior faculty and visiting medical students.",
    ),
    (
        "academic-pathway-programs",
        "Academic Pathway Programs",
        "Recruiting, retaining and developing underrepresented applicants in medicine (UiM) and "
        "the STEM workforce, from high school to doctoral students.",
    ),
    (
        "programming-professional-development",
        "Programming and Professional Development",
        "Education, programming and consultation on culture change, restorative justice, health "
        "equity, community building and self-compassion.",
    ),
]

# (guid, title, description, location, days ahead, hour, duration hours)
EVENTS = [
    (
        "history-wall-tour",
        "Guided tour: the Desegregation History Wall",
        "Walk the timeline documenting the medical campus history of segregation and "
        "desegregation with the Programming and Professional Development team.",
        "Farrell Learning and Teaching Center, lobby",
        2,
        12,
        1,
    ),
    (
        "summer-scholars-showcase",
        "Academic Pathway Programs: scholars research showcase",
        "Pathway program scholars present their research and get feedback from faculty mentors.",
        "Eric P. Newman Education Center",
        6,
        15,
        2,
    ),
    (
        "restorative-justice-workshop",
        "Workshop: restorative justice and community building",
        "A skill-building session on frameworks for culture change and restorative practice.",
        "Online (Zoom link sent on registration)",
        9,
        11,
        2,
    ),
    (
        "visiting-students-info-session",
        "MD Diversity Programs: visiting medical students information session",
        "Learn about visiting clerkships, mentoring and the application timeline.",
        "Becker Medical Library, room 601",
        12,
        17,
        1,
    ),
]

# (name, email, status on the weekly digest)
SUBSCRIBERS = [
    ("Amara Okafor", "amara.okafor@example.org", "confirmed"),
    ("José Hernández", "jose.hernandez@example.org", "confirmed"),
    ("Mei-Lin Chen", "meilin.chen@example.org", "confirmed"),
    ("Priya Raghavan", "priya.raghavan@example.org", "confirmed"),
    ("Fatima Al-Sayed", "fatima.alsayed@example.org", "confirmed"),
    ("Nguyễn Thị Lan", "lan.nguyen@example.org", "confirmed"),
    ("Kwame Mensah", "kwame.mensah@example.org", "confirmed"),
    ("Sofía Ramírez", "sofia.ramirez@correo-médico.example", "confirmed"),
    ("Hiroshi Tanaka", "hiroshi.tanaka@example.org", "confirmed"),
    ("Aiyana Whitehorse", "aiyana.whitehorse@example.org", "confirmed"),
    ("Rachel Goldberg", "rachel.goldberg@example.org", "confirmed"),
    ("Olumide Adeyemi", "olumide.adeyemi@example.org", "confirmed"),
    ("Mariam Haddad", "mariam.haddad@example.org", "confirmed"),
    ("Ji-woo Park", "jiwoo.park@example.org", "confirmed"),
    ("Lakshmi Iyer", "lakshmi.iyer@example.org", "confirmed"),
    ("Tomás Ó Briain", "tomas.obriain@example.org", "confirmed"),
    ("Zoë Müller", "zoe.mueller@example.org", "confirmed"),
    ("Malia Kealoha", "malia.kealoha@example.org", "confirmed"),
    ("Darnell Washington", "darnell.washington@example.org", "confirmed"),
    ("Ana Lucía Torres", "analucia.torres@example.org", "confirmed"),
    ("Yusuf Demir", "yusuf.demir@example.org", "confirmed"),
    ("Grace Oyelaran", "grace.oyelaran@example.org", "confirmed"),
    # Not yet confirmed, and one who left: neither gets the digest.
    ("Ahmed Karimi", "ahmed.karimi@example.org", "pending"),
    ("Isabel Cruz", "isabel.cruz@example.org", "pending"),
    ("Daniel Levi", "daniel.levi@example.org", "unsubscribed"),
]


@dataclass
class DemoSummary:
    lists: int
    subscribers: int
    confirmed: int
    news: int
    events: int


def _subscribe(session: Session, weekly: MailingList, name: str, email: str, status: str) -> bool:
    """Add one demo reader through the audience rules; True if confirmed on the digest."""
    address = normalise_email(email)
    existing = session.scalar(select(Subscriber).where(Subscriber.email_key == email_key(address)))
    if existing is not None:
        current = session.scalar(
            select(Subscription.status).where(
                Subscription.subscriber_id == existing.id, Subscription.list_id == weekly.id
            )
        )
        if current is not None:
            # Already loaded: never re-subscribe someone the demo (or a reader) unsubscribed.
            return current == SubscriptionStatus.CONFIRMED
    subscriber = add_subscriber(
        session,
        weekly,
        address,
        name=name,
        confirmed=status == SubscriptionStatus.CONFIRMED,
        actor="demo",
    )
    if status == SubscriptionStatus.UNSUBSCRIBED:
        unsubscribe(session, subscriber.id, weekly.id, via="demo")
    return status == SubscriptionStatus.CONFIRMED


def load_demo(session: Session, settings: Settings, now: dt.datetime | None = None) -> DemoSummary:
    """Create or refresh the demo lists, subscribers and content; safe to repeat."""
    now = now or dt.datetime.now(dt.UTC)
    zone = ZoneInfo(ZONE)
    lists: dict[str, MailingList] = {}
    for slug, name, description in LISTS:
        ml = session.scalar(select(MailingList).where(MailingList.slug == slug))
        if ml is None:
            ml = MailingList(
                slug=slug,
                name=name,
                description=description,
                timezone=ZONE,
                digest_weekday=0,
                digest_time="07:00",
                # The divisions' lists carry their announcements; only the weekly has a digest.
                digest_enabled=slug == DIGEST_SLUG,
                double_opt_in=True,
                public=True,
                archive=True,
            )
            session.add(ml)
            session.flush()
        lists[slug] = ml
    weekly = lists[DIGEST_SLUG]
    confirmed = sum(_subscribe(session, weekly, *row) for row in SUBSCRIBERS)

    feature = session.scalar(select(Observance).where(Observance.slug == "womens-history-month"))
    if feature is None:
        session.add(
            Observance(
                slug="womens-history-month",
                name="Women's History Month",
                feature_title="Commemorate Women's History Month",
                # The home page's text, as the built-in calendar has it, with the office's link.
                feature_body_md=BUILTIN_BY_SLUG["womens-history-month"].body_md,
                links=[
                    {
                        "label": "Read our office's full mission and vision",
                        "url": f"{settings.org_website}/about/",
                    }
                ],
            )
        )

    for guid, title, summary, published in NEWS:
        add_news(
            session,
            guid=guid,
            title=title,
            url=f"{settings.org_website}/news/{guid}/",
            summary_html=f"<p>{summary}</p>",
            published_at=published,
        )
    today = now.astimezone(zone).date()
    for guid, title, description, location, days, hour, hours in EVENTS:
        starts = dt.datetime.combine(today + dt.timedelta(days=days), dt.time(hour), zone)
        add_event(
            session,
            guid=guid,
            title=title,
            description=description,
            location=location,
            url=f"{settings.org_website}/events/{guid}/",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=hours),
            timezone=ZONE,
        )
    session.flush()
    load_topics(session, weekly)
    return DemoSummary(len(lists), len(SUBSCRIBERS), confirmed, len(NEWS), len(EVENTS))
