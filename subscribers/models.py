"""The audience's tables: lists, people, their consent and the suppression list.

This package depends on ``mailer.db`` and nothing else from ``mailer``: the
audience is the one part of the product that must stay correct whatever the
content or transport, so it is kept small and self-contained.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from mailer.db import Base, utcnow
from subscribers.addresses import email_key


class SubscriberStatus(StrEnum):
    ACTIVE = "active"
    BLOCKLISTED = "blocklisted"


class SubscriptionStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"


class SubscriptionSource(StrEnum):
    FORM = "form"
    IMPORT = "import"
    ADMIN = "admin"
    API = "api"


class SuppressionReason(StrEnum):
    HARD_BOUNCE = "hard_bounce"
    SOFT_BOUNCE = "soft_bounce"
    COMPLAINT = "complaint"
    UNSUBSCRIBE_ALL = "unsubscribe_all"
    MANUAL = "manual"
    FORGOTTEN = "forgotten"


class MailingList(Base):
    __tablename__ = "mailing_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    double_opt_in: Mapped[bool] = mapped_column(Boolean, default=True)
    from_name: Mapped[str] = mapped_column(String(200), default="")
    from_email: Mapped[str] = mapped_column(String(320), default="")
    reply_to: Mapped[str] = mapped_column(String(320), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="America/Chicago")
    # 0 = Monday ... 6 = Sunday, as datetime.weekday(); time is "HH:MM" local to `timezone`.
    digest_weekday: Mapped[int] = mapped_column(Integer, default=0)
    digest_time: Mapped[str] = mapped_column(String(5), default="07:00")
    digest_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    archive: Mapped[bool] = mapped_column(Boolean, default=True)
    # The digest's title in its subject and heading; empty: the list's name.
    digest_title: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # Click tracking (off by default): links in this list's mail go through a signed
    # redirect that counts the click and names the reader (mailer.feedback.clicks).
    track_clicks: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # An open pixel (off by default, and docs/reports.md says why opens mislead).
    track_opens: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # When the digest day, time, zone or switch last changed (subscribers.lists.update):
    # a digest time before it was never due, so it is never recorded as missed.
    digest_schedule_changed_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    subscriptions: Mapped[list[Subscription]] = relationship(back_populates="mailing_list")

    def __repr__(self) -> str:
        return f"<MailingList {self.slug}>"


def _email_key_default(context: DefaultExecutionContext) -> str:
    """The key for Core inserts that give only ``email`` (bulk loads, benchmarks)."""
    return email_key(context.get_current_parameters()["email"])


class Subscriber(Base):
    __tablename__ = "subscribers"
    __table_args__ = (
        Index("ix_subscribers_email_key", "email_key", unique=True),
        # A join-date range read as the least and greatest id in it, from the index alone.
        Index("ix_subscribers_created_at", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # As the person typed it, normalised by subscribers.addresses.normalise_email (domain
    # lower-cased, IDNA-decoded): what we show and send to. Still unique (the key is
    # stricter), which indexes lookups of the exact address.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    # Who the person is: subscribers.addresses.email_key(email), the whole address
    # lower-cased. Unique: one person per address whatever its case. Every lookup uses it.
    email_key: Mapped[str] = mapped_column(String(320), default=_email_key_default)
    name: Mapped[str] = mapped_column(String(200), default="")
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default=SubscriberStatus.ACTIVE)
    # Indexed with the id for the console's "joined between" filter (subscribers.search).
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    subscriptions: Mapped[list[Subscription]] = relationship(back_populates="subscriber")

    @validates("email")
    def _keep_key(self, _field: str, value: str) -> str:
        self.email_key = email_key(value)
        return value

    def __repr__(self) -> str:
        return f"<Subscriber {self.email}>"


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "list_id", name="uq_subscription_subscriber_list"),
        # Enqueue selects confirmed subscriptions of one list: keep that an index scan.
        Index("ix_subscriptions_list_status", "list_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), index=True
    )
    list_id: Mapped[int] = mapped_column(ForeignKey("mailing_lists.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=SubscriptionStatus.PENDING)
    source: Mapped[str] = mapped_column(String(16), default=SubscriptionSource.ADMIN)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    unsubscribed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    confirmation_sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    consent_ip: Mapped[str] = mapped_column(String(64), default="")

    subscriber: Mapped[Subscriber] = relationship(back_populates="subscriptions")
    mailing_list: Mapped[MailingList] = relationship(back_populates="subscriptions")


class Suppression(Base):
    """An address we must never mail, whatever any list says.

    ``address`` is the address's key (``subscribers.addresses.email_key``), or
    ``sha256:<hex>`` of it for people who asked to be forgotten, so a later
    import cannot add them back.
    """

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class BounceRecord(Base):
    """Every bounce or complaint we received, kept to count soft bounces over time.

    ``address`` is the key (``email_key``) of the address. ``verified`` says the
    feedback was provably ours (VERP-signed, a Message-ID we sent to that
    address, or a signed provider webhook); an unverified record is kept for
    admins to see and changes nothing.
    """

    __tablename__ = "bounce_records"
    __table_args__ = (Index("ix_bounce_records_address_at", "address", "received_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(320))
    # hard, soft, policy, complaint, unsubscribe
    kind: Mapped[str] = mapped_column(String(16))
    status_code: Mapped[str] = mapped_column(String(16), default="")
    diagnostic: Mapped[str] = mapped_column(Text, default="")
    delivery_id: Mapped[int | None] = mapped_column(Integer, default=None)
    source: Mapped[str] = mapped_column(String(32), default="")
    verified: Mapped[bool] = mapped_column(Boolean, default=True)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The report as it came (the bounce message, or the provider's JSON for this
    # event), capped, so an admin can read what the classification was based on.
    raw: Mapped[str] = mapped_column(Text, default="", server_default="")
