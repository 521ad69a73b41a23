"""topics: per-list topics, readers' topics and mode, tagged content, campaign variants

Revision ID: 0004_topics
Revises: 0004_reports
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mailer.db

revision: str = "0004_topics"
down_revision: str | None = "0004_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TAGS = (
    ("source_topics", "source_id", "sources.id"),
    ("news_topics", "news_item_id", "news_items.id"),
    ("event_topics", "event_id", "events.id"),
    ("announcement_topics", "announcement_id", "announcements.id"),
    ("subscription_topics", "subscription_id", "subscriptions.id"),
)


def upgrade() -> None:
    op.create_table(
        "topics",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "list_id",
            sa.Integer(),
            sa.ForeignKey("mailing_lists.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", mailer.db.UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("list_id", "slug", name="uq_topics_list_slug"),
    )
    for table, column, target in _TAGS:
        op.create_table(
            table,
            sa.Column(
                column, sa.Integer(), sa.ForeignKey(target, ondelete="CASCADE"), primary_key=True
            ),
            sa.Column(
                "topic_id",
                sa.Integer(),
                sa.ForeignKey("topics.id", ondelete="CASCADE"),
                primary_key=True,
            ),
        )
        op.create_index(f"ix_{table}_topic_id", table, ["topic_id"])
    op.create_table(
        "reader_choices",
        sa.Column(
            "subscription_id",
            sa.Integer(),
            sa.ForeignKey("subscriptions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("changed_at", mailer.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
    )
    op.create_table(
        "campaign_variants",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "campaign_id",
            sa.Integer(),
            sa.ForeignKey("campaigns.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("topics", sa.String(length=500), nullable=False),
        sa.Column("empty", sa.Boolean(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("preheader", sa.String(length=300), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("content", mailer.db.JSONType, nullable=False),
        sa.UniqueConstraint("campaign_id", "topics", name="uq_campaign_variants_campaign_topics"),
    )


def downgrade() -> None:
    op.drop_table("campaign_variants")
    op.drop_table("reader_choices")
    for table, _column, _target in reversed(_TAGS):
        op.drop_index(f"ix_{table}_topic_id", table_name=table)
        op.drop_table(table)
    op.drop_table("topics")
