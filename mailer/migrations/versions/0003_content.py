"""content: undated baseline items and feed warnings

A news item that a source carried without a usable date on its first ingest
is that source's baseline, not news (``news_items.baseline``). A feed that
feedparser flags but still reads is stored, and the warning kept on the
source (``sources.last_warning``).

Revision ID: 0003_content
Revises: 0002_delivery
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_content"
down_revision: str | None = "0003_sched"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "news_items",
        sa.Column("baseline", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "sources",
        sa.Column("last_warning", sa.Text(), nullable=False, server_default=""),
    )


def downgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("last_warning")
    with op.batch_alter_table("news_items") as batch:
        batch.drop_column("baseline")
