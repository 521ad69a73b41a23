"""Set-based statements at driver speed, for imports of millions of rows.

SQLAlchemy Core processes every bound value of every row in Python; for a
million-row import that costs more than the database itself. These helpers
run plain ``executemany``/``IN`` statements on the session's own connection
(same transaction) and use the columns' own SQLAlchemy type processors, so
values are stored exactly as the ORM stores them (UTC timestamps, JSON), but a
value shared by all rows (the import's timestamp) is processed once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session


class Bulk:
    def __init__(self, session: Session) -> None:
        self.conn: Connection = session.connection()
        self.dialect: Dialect = self.conn.dialect
        self.mark = "?" if self.dialect.paramstyle == "qmark" else "%s"

    def bind(self, column: Column[Any]) -> Callable[[Any], Any]:
        processor = column.type._cached_bind_processor(self.dialect)
        return processor or (lambda value: value)

    def result(self, column: Column[Any]) -> Callable[[Any], Any]:
        processor = column.type._cached_result_processor(self.dialect, None)
        return processor or (lambda value: value)

    def marks(self, n: int) -> str:
        return ", ".join([self.mark] * n)

    def insert_ignore(
        self,
        table: Table,
        columns: Sequence[str],
        conflict: Sequence[str],
        rows: list[tuple[Any, ...]],
    ) -> None:
        """INSERT ... ON CONFLICT (conflict) DO NOTHING for every row (both databases)."""
        if not rows:
            return
        sql = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({self.marks(len(columns))}) "
            f"ON CONFLICT ({', '.join(conflict)}) DO NOTHING"
        )
        self.conn.exec_driver_sql(sql, rows)

    def execute_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """A statement written with ``{m}`` for each placeholder, run for every row."""
        if rows:
            self.conn.exec_driver_sql(sql.format(m=self.mark), rows)

    def select_in(
        self, sql: str, values: Iterable[Any], extra: Sequence[Any] = ()
    ) -> list[tuple[Any, ...]]:
        """``sql`` with ``{m}`` placeholders for ``extra`` and ``{in}`` for the IN list."""
        values = list(values)
        if not values:
            return []
        text = sql.format(m=self.mark, **{"in": self.marks(len(values))})
        return [tuple(r) for r in self.conn.exec_driver_sql(text, (*extra, *values)).fetchall()]
