"""Campaigns and the per-recipient outbox.

``Delivery`` is both the queue and the send log: one row per campaign and
subscriber, unique together, so nobody can be enqueued twice and every
recipient's fate (sent, failed, bounced, skipped) is on record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from mailer.db import Base, utcnow
from subscribers.erasure import register_eraser
from subscribers.models import MailingList


class CampaignKind(StrEnum):
    DIGEST = "digest"
    ANNOUNCEMENT = "announcement"


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    SENT = "sent"
    CANCELLED = "cancelled"
    FAILED = "failed"
    SKIPPED = "skipped"
    # A digest `mailer digest check` found errors in: not sent, reasons in status_reason.
    BLOCKED = "blocked"


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BOUNCED = "bounced"
    SKIPPED = "skipped"


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    list_id: Mapped[int] = mapped_column(ForeignKey("mailing_lists.id", ondelete="RESTRICT"))
    # "list-<list id>:<ISO year>-W<week>" for digests, "announcement:<id>:list-<list id>"
    # for announcements: by id, never the slug, which admins may rename. Unique, so a
    # second scheduler, a manual send or a renamed slug cannot make it again.
    edition_key: Mapped[str] = mapped_column(String(200), unique=True)
    edition_date: Mapped[dt.date | None] = mapped_column(default=None)
    announcement_id: Mapped[int | None] = mapped_column(
        ForeignKey("announcements.id", ondelete="SET NULL"), default=None
    )
    subject: Mapped[str] = mapped_column(String(300), default="")
    preheader: Mapped[str] = mapped_column(String(300), default="")
    # The rendered, inlined snapshot with per-recipient placeholders: what was
    # previewed is exactly what is sent, and the archive shows it.
    html: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=CampaignStatus.DRAFT)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    scheduled_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    total_count: Mapped[int] = mapped_column(Integer, default=0)
    sent_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, default=0)
    # What went into the edition (item ids per section), for audit and the archive.
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)

    mailing_list: Mapped[MailingList] = relationship()


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("campaign_id", "subscriber_id", name="uq_deliveries_campaign_subscriber"),
        # Workers claim "queued and due" rows of a campaign in id order.
        Index("ix_deliveries_claim", "campaign_id", "status", "next_attempt_at"),
        Index("ix_deliveries_subscriber", "subscriber_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    # NULL once the reader was forgotten: the row stays (anonymised) so the campaign's
    # counts still add up (see subscribers.erasure and ``anonymise`` below).
    subscriber_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscribers.id", ondelete="SET NULL")
    )
    # Snapshot of the address and name at enqueue time.
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    # Given at the first claim and kept for every retry and resend after a crash, so a
    # receiving system can drop the duplicate (RFC 5322 3.6.4).
    message_id: Mapped[str] = mapped_column(String(300), default="")
    worker: Mapped[str] = mapped_column(String(200), default="")
    # How often the row was found ``sending`` under a dead worker and taken back (the
    # poison cap: at ``max_crashes`` it fails instead, see outbox.recover_orphans).
    recoveries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    queued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    campaign: Mapped[Campaign] = relationship()


@register_eraser
def anonymise(session: Session, subscriber_ids: Sequence[int], placeholder: str) -> None:
    """A forgotten reader's deliveries stay, without their address or name, so every
    campaign's counts still add up (a queued one is skipped at its claim)."""
    if subscriber_ids:
        session.execute(
            update(Delivery)
            .where(Delivery.subscriber_id.in_(list(subscriber_ids)))
            .values(email=placeholder, name="")
            .execution_options(synchronize_session=False)
        )


class RateBucket(Base):
    """A token bucket shared by every worker (the global send rate, see ratelimit.py).

    One row per window (``second``, ``hour``); a worker takes tokens from
    every row in one short transaction before it sends a batch, so the limit
    holds across processes and machines that share the database.
    """

    __tablename__ = "rate_buckets"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[dt.datetime] = mapped_column()
