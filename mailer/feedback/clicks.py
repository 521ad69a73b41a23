"""Clicks on tracked links (and opens, where a list asks): the tables and the one rule for
what counts as a person.

A tracked link (``mailer.compose.tracking``) goes to ``/l/<link token>/<reader part>``
on the web app, which calls ``record_click`` here. What is *not* a person's click:
- a HEAD request (link checkers, previews): the caller never records it;
- a known scanner's user agent (Microsoft Safe Links, Proofpoint, Mimecast, bots);
- any request within ``SCANNER_WINDOW`` of the delivery: security gateways fetch
  every link the moment the message lands, before any reader could have read it.
Those still get their redirect; they are just not counted.

Privacy: a click names its delivery (and so its reader) only while the list tracks
clicks; forgetting a reader deletes their clicks (an eraser registered below).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from sqlalchemy import ForeignKey, Index, Integer, String, delete
from sqlalchemy.orm import Mapped, Session, mapped_column

from mailer.db import Base, utcnow
from mailer.delivery.models import Campaign, Delivery
from subscribers.erasure import register_eraser
from subscribers.models import MailingList

#: Gateways open links this soon after the message arrives; nobody reads that fast.
SCANNER_WINDOW = dt.timedelta(seconds=5)

#: User agents of link scanners and bots (substrings, case-insensitive).
SCANNER_AGENTS = re.compile(
    r"bot\b|crawler|spider|preview|scanner|safelinks|safe links|proofpoint|mimecast|"
    r"barracuda|urldefense|python-requests|curl/|wget/|go-http-client|headlesschrome|"
    r"microsoft office|ms-office|outlook-ios-linkpreview|skypeuripreview|slackbot|"
    r"facebookexternalhit|google-safety|googleimageproxy|yahoo! slurp",
    re.IGNORECASE,
)


class Click(Base):
    """One counted click: a campaign, the link's target and (when tracked) the delivery."""

    __tablename__ = "clicks"
    __table_args__ = (Index("ix_clicks_campaign_url", "campaign_id", "url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    # NULL when the list did not track clicks at the time (an anonymous count).
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("deliveries.id", ondelete="SET NULL"), default=None, index=True
    )
    subscriber_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscribers.id", ondelete="SET NULL"), default=None, index=True
    )
    clicked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Open(Base):
    """One load of a message's open pixel (only for lists that track opens)."""

    __tablename__ = "opens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("deliveries.id", ondelete="SET NULL"), default=None, index=True
    )
    subscriber_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscribers.id", ondelete="SET NULL"), default=None, index=True
    )
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


def is_scanner(user_agent: str) -> bool:
    return not user_agent.strip() or bool(SCANNER_AGENTS.search(user_agent))


def record_click(
    session: Session,
    campaign_id: int,
    url: str,
    delivery_id: int | None,
    user_agent: str,
    *,
    now: dt.datetime | None = None,
) -> bool:
    """Record one person's click; False (nothing recorded) for scanners and strangers.

    ``delivery_id`` comes from a signed reader part; it must be a delivery of the
    campaign (a test copy's or a preview's links redirect but count nothing). The
    caller commits.
    """
    at = now or utcnow()
    if is_scanner(user_agent):
        return False
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        return False
    delivery = session.get(Delivery, delivery_id) if delivery_id is not None else None
    if delivery is None or delivery.campaign_id != campaign_id:
        return False  # a test copy or preview (delivery 0), or another campaign's reader
    sent_at = delivery.sent_at if delivery is not None else None
    if sent_at is not None and at - sent_at < SCANNER_WINDOW:
        return False
    mailing_list = session.get(MailingList, campaign.list_id)
    tracked = mailing_list is not None and mailing_list.track_clicks
    named = delivery if tracked and delivery is not None else None
    session.add(
        Click(
            campaign_id=campaign_id,
            url=url[:2000],
            delivery_id=named.id if named is not None else None,
            subscriber_id=named.subscriber_id if named is not None else None,
            clicked_at=at,
        )
    )
    return True


def record_open(
    session: Session, campaign_id: int, delivery_id: int, *, now: dt.datetime | None = None
) -> bool:
    """Record one pixel load of a delivery of the campaign, while its list tracks opens.

    No scanner rule: Apple's and Google's image proxies load the pixel as any reader
    would, which is why opens are reported as an upper bound and off by default.
    """
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.campaign_id != campaign_id:
        return False
    campaign = session.get(Campaign, campaign_id)
    mailing_list = session.get(MailingList, campaign.list_id) if campaign is not None else None
    if mailing_list is None or not mailing_list.track_opens:
        return False
    session.add(
        Open(
            campaign_id=campaign_id,
            delivery_id=delivery.id,
            subscriber_id=delivery.subscriber_id,
            opened_at=now or utcnow(),
        )
    )
    return True


@register_eraser
def forget_clicks(session: Session, subscriber_ids: Sequence[int], placeholder: str) -> None:
    """A forgotten reader's clicks and opens go: behaviour, not a count we must keep."""
    if subscriber_ids:
        for table in (Click, Open):
            session.execute(
                delete(table)
                .where(table.subscriber_id.in_(list(subscriber_ids)))
                .execution_options(synchronize_session=False)
            )
