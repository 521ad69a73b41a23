"""people: personal API tokens; indexes for substring search and the date joined

- ``api_tokens``: any number of named tokens per user, each stored only as its
  SHA-256 (shown once), revocable one by one, with the time it was last used.
- ``ix_subscribers_created_at`` on (created_at, id): the console's "joined between"
  filter, read as the least and greatest id joined in the range (index only).
- PostgreSQL only: the ``pg_trgm`` extension and two trigram GIN indexes,
  on ``email_key`` (the address lower-cased) and on ``lower(name)``, so the
  console's substring search (``LIKE '%smith%'``, ``'%@gmail.com%'``) stays an
  index lookup at a million subscribers. SQLite has no trigram index and scans
  (its installations are small). They are expression/operator-class indexes the
  models cannot describe, so the schema comparison skips them by name
  (``mailer.migrations.PG_ONLY_INDEXES``).

Revision ID: 0004_people
Revises: 0004_pages
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mailer.db

revision: str = "0004_people"
down_revision: str | None = "0004_pages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", mailer.db.UTCDateTime(), nullable=False),
        sa.Column("last_used_at", mailer.db.UTCDateTime(), nullable=True),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_index("ix_subscribers_created_at", "subscribers", ["created_at", "id"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        # The operator class lives in the extension's schema, which need not be on this
        # connection's search_path (an installation in its own schema): name it in full.
        schema = bind.exec_driver_sql(
            "SELECT n.nspname FROM pg_extension e"
            " JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
        ).scalar_one()
        ops = f'"{schema}".gin_trgm_ops'
        op.execute(
            f"CREATE INDEX ix_subscribers_email_trgm ON subscribers USING gin (email_key {ops})"
        )
        op.execute(
            f"CREATE INDEX ix_subscribers_name_trgm ON subscribers USING gin (lower(name) {ops})"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_subscribers_name_trgm")
        op.execute("DROP INDEX IF EXISTS ix_subscribers_email_trgm")
    op.drop_index("ix_subscribers_created_at", table_name="subscribers")
    op.drop_index("ix_api_tokens_user_id", table_name="api_tokens")
    op.drop_table("api_tokens")
