"""Small builders shared by tests: lists, subscribers, campaigns with a known snapshot."""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from mailer.compose.snapshot import PLACEHOLDERS
from mailer.config import Settings
from mailer.content.edition import EditionContent
from mailer.content.selection import select_edition_content
from mailer.delivery.campaigns import edition_history
from mailer.delivery.models import Campaign, CampaignKind, CampaignStatus
from subscribers.models import MailingList, Subscriber, Subscription, SubscriptionStatus

P = PLACEHOLDERS


def make_list(session: Session, slug: str = "weekly", **kw: object) -> MailingList:
    ml = MailingList(slug=slug, name=kw.pop("name", "ODEI Weekly"), **kw)  # type: ignore[arg-type]
    session.add(ml)
    session.flush()
    return ml


def make_subscribers(
    session: Session,
    mailing_list: MailingList,
    count: int,
    status: str = SubscriptionStatus.CONFIRMED,
    prefix: str = "reader",
) -> list[Subscriber]:
    people = []
    for i in range(count):
        s = Subscriber(email=f"{prefix}{i}@example.org", name=f"Reader {i}")
        session.add(s)
        people.append(s)
    session.flush()
    for s in people:
        session.add(Subscription(subscriber_id=s.id, list_id=mailing_list.id, status=status))
    session.flush()
    return people


def make_campaign(
    session: Session, mailing_list: MailingList, key: str = "weekly:2027-W10"
) -> Campaign:
    c = Campaign(
        kind=CampaignKind.DIGEST,
        list_id=mailing_list.id,
        edition_key=key,
        edition_date=dt.date(2027, 3, 8),
        subject="ODEI Weekly — March 8, 2027",
        html=(
            f'<html><body><p>Hi {P["name"]}</p><a href="{P["unsubscribe_url"]}">u</a></body></html>'
        ),
        text=f"Hi {P['name']}\n{P['unsubscribe_url']}\n",
        status=CampaignStatus.DRAFT,
    )
    session.add(c)
    session.flush()
    return c


def started_campaign(session: Session, count: int) -> int:
    """A list of ``count`` confirmed readers and a started campaign to them; its id."""
    from mailer.delivery import campaigns

    ml = make_list(session)
    make_subscribers(session, ml, count)
    c = make_campaign(session, ml)
    campaigns.start(session, c)
    session.commit()
    return c.id


def edition_content(
    session: Session, mailing_list: MailingList, on: dt.date, settings: Settings
) -> EditionContent:
    """The edition of ``on`` as delivery chooses it: with what it knows of the list's campaigns."""
    history = edition_history(session, mailing_list.id, on)
    return select_edition_content(session, mailing_list, on, settings, history)


_TERMINATE = text(
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def cut_connections(engine: Engine, seconds: float, pause: float) -> int:
    """Cut every other connection to this PostgreSQL database, again every ``pause``
    seconds for ``seconds`` (new connections too): a database restart, as a client sees
    it. Returns how many connections were cut."""
    cut = 0
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            cut += int(conn.scalar(_TERMINATE) or 0)
            time.sleep(pause)
    return cut
