"""Bounces that are ours, as they arrive in the bounce mailbox, and the deliveries they answer.

A real bounce to one of our messages reaches the VERP envelope sender
(``bounces+<delivery>.<sig>@<bounce domain>``) and the receiving MTA records
it in ``Delivered-To``; the tests sign real MTA output the same way. The
delivery log (``sent_to``) holds what the send engine would: a subscriber,
a sent delivery and its Message-ID.
"""

from __future__ import annotations

import itertools

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer.delivery.models import Campaign, Delivery
from mailer.delivery.verp import verp_address
from subscribers.models import MailingList
from subscribers.service import add_subscriber

SECRET = "test-secret-key-not-for-production"
BOUNCE_DOMAIN = "bounces.example.org"
_EDITIONS = itertools.count(1)


def delivered_to(raw: bytes, delivery_id: int, *, secret: str = SECRET) -> bytes:
    """The message as the bounce mailbox gets it when it came back to our VERP address."""
    verp = verp_address(secret, delivery_id, BOUNCE_DOMAIN)
    return f"Delivered-To: {verp}\n".encode() + raw.lstrip()


def sent_to(session: Session, *people: tuple[str, str]) -> dict[str, Delivery]:
    """A list, a campaign and one sent delivery per (address, Message-ID), committed."""
    mailing_list = session.scalar(select(MailingList).where(MailingList.slug == "bounce-test"))
    if mailing_list is None:
        mailing_list = MailingList(slug="bounce-test", name="ODEI Weekly")
        session.add(mailing_list)
        session.flush()
    campaign = Campaign(
        kind="digest", list_id=mailing_list.id, edition_key=f"bounce-test:{next(_EDITIONS)}"
    )
    session.add(campaign)
    session.flush()
    out = {}
    for address, message_id in people:
        person = add_subscriber(session, mailing_list, address, confirmed=True)
        delivery = Delivery(
            campaign_id=campaign.id,
            subscriber_id=person.id,
            email=person.email,
            status="sent",
            message_id=message_id,
        )
        session.add(delivery)
        session.flush()
        out[address] = delivery
    session.commit()
    return out
