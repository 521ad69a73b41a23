"""sched: when a list's digest schedule changed; edition keys by list id, not slug

Revision ID: 0003_sched
Revises: 0002_delivery
Create Date: 2026-12-02

Edition keys named the list by its slug, which admins may rename: a rename
mid-week let a second edition of that week be made. Keys now name the list
by id ("list-3:2027-W10", "announcement:12:list-3"); existing keys are
rewritten from each campaign's own list_id.
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

import mailer.db

revision: str = "0003_sched"
down_revision: str | None = "0003_compose"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

campaigns = sa.table(
    "campaigns",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("list_id", sa.Integer),
    sa.column("edition_key", sa.String),
)
lists = sa.table("mailing_lists", sa.column("id", sa.Integer), sa.column("slug", sa.String))


def _rewrite(new_key: Callable[[str, int, str, str], str]) -> None:
    conn = op.get_bind()
    slugs = dict(conn.execute(sa.select(lists.c.id, lists.c.slug)).all())
    rows = conn.execute(
        sa.select(campaigns.c.id, campaigns.c.kind, campaigns.c.list_id, campaigns.c.edition_key)
    ).all()
    for cid, kind, list_id, key in rows:
        rewritten = new_key(kind, list_id, key, slugs.get(list_id, ""))
        if rewritten and rewritten != key:
            conn.execute(
                sa.update(campaigns).where(campaigns.c.id == cid).values(edition_key=rewritten)
            )


def _by_id(kind: str, list_id: int, key: str, slug: str) -> str:
    if kind == "digest" and ":" in key:  # "<slug>:2027-W10"
        return f"list-{list_id}:{key.rsplit(':', 1)[1]}"
    if key.startswith("announcement:") and key.count(":") >= 2:  # "announcement:<id>:<slug>"
        return f"announcement:{key.split(':')[1]}:list-{list_id}"
    return key


def _by_slug(kind: str, list_id: int, key: str, slug: str) -> str:
    if kind == "digest" and key.startswith("list-"):
        return f"{slug}:{key.rsplit(':', 1)[1]}"
    if key.startswith("announcement:") and key.endswith(f":list-{list_id}"):
        return f"announcement:{key.split(':')[1]}:{slug}"
    return key


def upgrade() -> None:
    op.add_column(
        "mailing_lists",
        sa.Column("digest_schedule_changed_at", mailer.db.UTCDateTime(timezone=True), nullable=True),
    )
    _rewrite(_by_id)


def downgrade() -> None:
    _rewrite(_by_slug)
    # A plain DROP COLUMN (SQLite 3.35+): a batch copy would drop a table others refer to.
    op.drop_column("mailing_lists", "digest_schedule_changed_at")
