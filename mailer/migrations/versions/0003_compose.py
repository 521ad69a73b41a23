"""compose: a per-list digest title

Revision ID: 0003_compose
Revises: 0002_delivery
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_compose"
down_revision: str | None = "0002_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing lists keep an empty title: their digest is titled by the list's name.
    with op.batch_alter_table("mailing_lists") as batch:
        batch.add_column(
            sa.Column("digest_title", sa.String(length=200), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("mailing_lists") as batch:
        batch.drop_column("digest_title")
