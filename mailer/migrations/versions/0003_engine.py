"""engine: deliveries outlive a forgotten reader; recoveries count for the poison cap

Revision ID: 0003_engine
Revises: 0002_delivery
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_engine"
down_revision: str | None = "0003_content"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# SQLite's foreign keys have no names: batch mode names them by this convention to find
# the one to drop (and copies the table); PostgreSQL named it itself.
_CONVENTION = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def _fk_name() -> str:
    if op.get_bind().dialect.name == "sqlite":
        return "fk_deliveries_subscriber_id_subscribers"
    return "deliveries_subscriber_id_fkey"


def upgrade() -> None:
    name = _fk_name()
    with op.batch_alter_table("deliveries", naming_convention=_CONVENTION) as batch_op:
        batch_op.add_column(
            sa.Column("recoveries", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.alter_column("subscriber_id", existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint(name, type_="foreignkey")
        batch_op.create_foreign_key(
            name,
            "subscribers",
            ["subscriber_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    name = _fk_name()
    op.execute("DELETE FROM deliveries WHERE subscriber_id IS NULL")
    with op.batch_alter_table("deliveries", naming_convention=_CONVENTION) as batch_op:
        batch_op.drop_constraint(name, type_="foreignkey")
        batch_op.create_foreign_key(
            name,
            "subscribers",
            ["subscriber_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.alter_column("subscriber_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("recoveries")
