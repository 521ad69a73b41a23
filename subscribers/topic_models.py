"""The tables of topics: what a list's readers may choose, and what each one chose.

A topic belongs to one list (an office division, say "Academic Pathway
Programs"). A reader's choice is kept per subscription: the topics ticked
(none ticked means everything) and the delivery mode (the weekly digest, or
each announcement as it is approved). Kept beside ``subscriptions`` rather
than in it, so a list without topics costs nothing and the audience's core
table stays as it was.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mailer.db import Base, utcnow


class DeliveryMode(StrEnum):
    DIGEST = "digest"  # the weekly digest (the default)
    INSTANT = "instant"  # each announcement on its own as it is approved


class Topic(Base):
    __tablename__ = "topics"
    __table_args__ = (UniqueConstraint("list_id", "slug", name="uq_topics_list_slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("mailing_lists.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(500), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


subscription_topics = Table(
    "subscription_topics",
    Base.metadata,
    Column(
        "subscription_id",
        ForeignKey("subscriptions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class ReaderChoice(Base):
    """A reader's mode on one list, and when and how their choices last changed.

    No row: the defaults (weekly digest, every topic), never chosen.
    ``changed_at``/``source`` record the latest topic or mode change (each
    change is also an audit entry, like every consent change).
    """

    __tablename__ = "reader_choices"

    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), primary_key=True
    )
    mode: Mapped[str] = mapped_column(String(16), default=DeliveryMode.DIGEST)
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(32), default="")
