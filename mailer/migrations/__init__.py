"""Alembic migrations; ``include_object`` is shared by env.py and the schema test."""

from __future__ import annotations

from typing import Any

# APScheduler's SQLAlchemyJobStore keeps its own table; autogenerate must not drop it.
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    if type_ == "table" and name in FOREIGN_TABLES:
        return False
    table = getattr(obj, "table", None)
    return not (
        type_ in {"index", "column", "unique_constraint"}
        and table is not None
        and table.name in FOREIGN_TABLES
    )
