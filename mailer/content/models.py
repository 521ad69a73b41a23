"""What an edition can be made of: news, events, observance features, announcements."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mailer.db import Base, utcnow
from subscribers.models import MailingList


class SourceKind(StrEnum):
    NEWS = "news"
    EVENTS = "events"


class AnnouncementMode(StrEnum):
    DIGEST = "digest"
    STANDALONE = "standalone"


class AnnouncementStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    SCHEDULED = "scheduled"
    SENT = "sent"
    WITHDRAWN = "withdrawn"  # taken back by its author before approval; never used


class Source(Base):
    """A feed we ingest, or the pseudo-source ``manual`` for items typed in by staff."""

    __tablename__ = "sources"
    __table_args__ = (UniqueConstraint("kind", "name", name="uq_sources_kind_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2000), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    etag: Mapped[str] = mapped_column(String(500), default="")
    last_modified: Mapped[str] = mapped_column(String(100), default="")
    last_fetched_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_ok_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # ok, failing, never
    last_status: Mapped[str] = mapped_column(String(16), default="never")
    last_error: Mapped[str] = mapped_column(Text, default="")
    # What was odd about the last good fetch (a feed feedparser flagged but read).
    last_warning: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class NewsItem(Base):
    __tablename__ = "news_items"
    __table_args__ = (
        UniqueConstraint("source_id", "guid", name="uq_news_items_source_guid"),
        Index("ix_news_items_published_at", "published_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    guid: Mapped[str] = mapped_column(String(1000))
    title: Mapped[str] = mapped_column(String(500))
    url: Mapped[str] = mapped_column(String(2000), default="")
    summary_html: Mapped[str] = mapped_column(Text, default="")
    # What staff typed (Markdown) for a hand-written item, so it can be edited again.
    summary_md: Mapped[str] = mapped_column(Text, default="", server_default="")
    author: Mapped[str] = mapped_column(String(200), default="")
    image_url: Mapped[str] = mapped_column(String(2000), default="")
    image_alt: Mapped[str] = mapped_column(String(500), default="")
    published_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    fetched_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    # Carried without a usable date on the source's first ingest: what the
    # source already had, not this week's news. Never selected for an edition.
    baseline: Mapped[bool] = mapped_column(Boolean, default=False)

    source: Mapped[Source] = relationship()


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("source_id", "guid", name="uq_events_source_guid"),
        Index("ix_events_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    # For an occurrence of a recurring event: "<UID>@<recurrence-id>".
    guid: Mapped[str] = mapped_column(String(1000))
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(500), default="")
    url: Mapped[str] = mapped_column(String(2000), default="")
    starts_at: Mapped[dt.datetime] = mapped_column()
    ends_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    # The zone the organiser wrote the time in; empty for floating times.
    timezone: Mapped[str] = mapped_column(String(64), default="")
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    fetched_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    source: Mapped[Source] = relationship()


class Observance(Base):
    """An admin's feature text for an observance, and custom observances.

    The built-in calendar (``mailer.content.observances``) knows the rules and
    fallback texts; a row here with the same slug overrides the feature.
    """

    __tablename__ = "observances"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # {"kind": "month", "month": 3} | {"kind": "range", ...} | {"kind": "nth_weekday", ...}
    # | {"kind": "computed", "calendar": "hijri", ...}; empty to use the built-in rule.
    rule: Mapped[dict[str, Any]] = mapped_column(default=dict)
    feature_title: Mapped[str] = mapped_column(String(300), default="")
    feature_body_md: Mapped[str] = mapped_column(Text, default="")
    image_url: Mapped[str] = mapped_column(String(2000), default="")
    image_alt: Mapped[str] = mapped_column(String(500), default="")
    # [{"label": "...", "url": "https://..."}]
    links: Mapped[list[dict[str, str]]] = mapped_column(default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


announcement_lists = Table(
    "announcement_lists",
    Base.metadata,
    Column(
        "announcement_id",
        ForeignKey("announcements.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("list_id", ForeignKey("mailing_lists.id", ondelete="CASCADE"), primary_key=True),
    # The campaign (edition) that carried it to this list; NULL until then.
    Column("campaign_id", Integer, nullable=True),
)


class Announcement(Base):
    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_email: Mapped[str] = mapped_column(String(320))
    title: Mapped[str] = mapped_column(String(300))
    body_md: Mapped[str] = mapped_column(Text, default="")
    mode: Mapped[str] = mapped_column(String(16), default=AnnouncementMode.DIGEST)
    send_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(16), default=AnnouncementStatus.DRAFT)
    reviewed_by: Mapped[str] = mapped_column(String(320), default="")
    review_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    lists: Mapped[list[MailingList]] = relationship(secondary=announcement_lists)
