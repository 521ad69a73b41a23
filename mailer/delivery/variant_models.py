"""The variants of a campaign: one rendered snapshot per distinct topic set in use.

A campaign's own ``html``/``text`` is the all-topics edition (what the
archive shows and readers without topics get). Each other topic set in use
among its readers gets one row here, rendered and inlined once, with the
same placeholders; ``empty`` marks a set for which the edition holds
nothing, whose readers are skipped. ``content`` keeps the edition's chosen
items (JSON) on the all-topics row, so a set first seen in the middle of a
send (a reader changed topics) is rendered from the very same items.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mailer.db import Base


class CampaignVariant(Base):
    __tablename__ = "campaign_variants"
    __table_args__ = (
        UniqueConstraint("campaign_id", "topics", name="uq_campaign_variants_campaign_topics"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    # Sorted topic ids joined by commas ("3,5"); "" for the all-topics edition.
    topics: Mapped[str] = mapped_column(String(500))
    empty: Mapped[bool] = mapped_column(Boolean, default=False)
    subject: Mapped[str] = mapped_column(String(300), default="")
    preheader: Mapped[str] = mapped_column(String(300), default="")
    html: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)
