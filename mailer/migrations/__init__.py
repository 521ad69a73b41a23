"""Alembic migrations; ``include_object`` is shared by env.py and the schema test."""

from __future__ import annotations

from typing import Any

# APScheduler's SQLAlchemyJobStore keeps its own table; autogenerate must not drop it.
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})
# Made by migration 0004_people on PostgreSQL only (pg_trgm GIN on an expression and an
# operator class), which the models cannot describe: the comparison leaves them alone.
PG_ONLY_INDEXES = frozenset({"ix_subscribers_email_trgm", "ix_subscribers_name_trgm"})


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    if type_ == "table" and name in FOREIGN_TABLES:
        return False
    if type_ == "index" and name in PG_ONLY_INDEXES:
        return False
    table = getattr(obj, "table", None)
    return not (
        type_ in {"index", "column", "unique_constraint"}
        and table is not None
        and table.name in FOREIGN_TABLES
    )
