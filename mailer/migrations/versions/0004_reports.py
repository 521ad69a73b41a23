"""reports: click and open tracking per list (off by default), the clicks and opens tables

Revision ID: 0004_reports
Revises: 0004_people
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mailer.db

revision: str = "0004_reports"
down_revision: str | None = "0004_people"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "mailing_lists",
        sa.Column("track_clicks", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "mailing_lists",
        sa.Column("track_opens", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "opens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("subscriber_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", mailer.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["delivery_id"], ["deliveries.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["subscriber_id"], ["subscribers.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_opens_campaign_id", "opens", ["campaign_id"])
    op.create_index("ix_opens_delivery_id", "opens", ["delivery_id"])
    op.create_index("ix_opens_subscriber_id", "opens", ["subscriber_id"])
    op.create_table(
        "clicks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("subscriber_id", sa.Integer(), nullable=True),
        sa.Column("clicked_at", mailer.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["delivery_id"], ["deliveries.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["subscriber_id"], ["subscribers.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_clicks_campaign_url", "clicks", ["campaign_id", "url"])
    op.create_index("ix_clicks_delivery_id", "clicks", ["delivery_id"])
    op.create_index("ix_clicks_subscriber_id", "clicks", ["subscriber_id"])


def downgrade() -> None:
    op.drop_index("ix_clicks_subscriber_id", table_name="clicks")
    op.drop_index("ix_clicks_delivery_id", table_name="clicks")
    op.drop_index("ix_clicks_campaign_url", table_name="clicks")
    op.drop_table("clicks")
    op.drop_index("ix_opens_subscriber_id", table_name="opens")
    op.drop_index("ix_opens_delivery_id", table_name="opens")
    op.drop_index("ix_opens_campaign_id", table_name="opens")
    op.drop_table("opens")
    op.execute("ALTER TABLE mailing_lists DROP COLUMN track_opens")
    # A plain DROP COLUMN (SQLite 3.35+): a batch copy of mailing_lists would drop the
    # table that campaigns and subscriptions reference, which foreign keys refuse.
    op.execute("ALTER TABLE mailing_lists DROP COLUMN track_clicks")
