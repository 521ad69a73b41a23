"""pages: the raw report of a bounce or complaint, and the Markdown of a staff news item

Revision ID: 0004_pages
Revises: 0003_audience
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_pages"
down_revision: str | None = "0003_audience"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "bounce_records", sa.Column("raw", sa.Text(), server_default="", nullable=False)
    )
    op.add_column(
        "news_items", sa.Column("summary_md", sa.Text(), server_default="", nullable=False)
    )


def downgrade() -> None:
    with op.batch_alter_table("news_items") as batch:
        batch.drop_column("summary_md")
    with op.batch_alter_table("bounce_records") as batch:
        batch.drop_column("raw")
