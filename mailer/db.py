"""Storage plumbing: the declarative Base, engines, sessions and migrations.

SQLite is the embedded default and PostgreSQL the production database; the
same models and migrations serve both. Every table is created by Alembic
(``migrate``), never by ``create_all``, so that a database made by
``mailer init`` and one upgraded from an old release are the same.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text, create_engine, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def utcnow() -> dt.datetime:
    """Aware UTC now; every stored time is UTC and converted only for display."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp that is always stored as UTC and always read back aware.

    SQLite has no time zone type and would hand back naive values; PostgreSQL
    stores ``timestamptz``. Rejecting naive input catches local-time bugs at
    the boundary instead of in a subscriber's inbox.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store aware UTC times only")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class _JSON(TypeDecorator[Any]):
    """JSON, stored as JSONB on PostgreSQL.

    The same column type as ``JSON().with_variant(JSONB(), "postgresql")``,
    but PostgreSQL's dialect package is imported only when PostgreSQL is the
    database: loading it costs every command on SQLite about 80 ms.
    """

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


JSONType = _JSON()


def insert_for(session: Session) -> Any:
    """The ``insert`` of the session's dialect, which offers ON CONFLICT (an upsert).

    PostgreSQL's is imported only on PostgreSQL (see ``_JSON``).
    """
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


class Base(DeclarativeBase):
    type_annotation_map = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[dict[str, str]]: JSONType,
        list[str]: JSONType,
    }


class AuditLog(Base):
    """Who changed what, for consent overrides, approvals and send control.

    It lives here rather than in ``mailer`` proper because the audience
    package (``subscribers``) must record its overrides without importing
    anything above the storage layer.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str] = mapped_column(Text, default="")


class Lock(Base):
    """A named lease (the active scheduler, a SQLite claimer) that expires if its holder dies."""

    __tablename__ = "locks"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()


def audit(
    session: Session,
    actor: str,
    action: str,
    target: str = "",
    note: str = "",
    **detail: Any,
) -> AuditLog:
    entry = AuditLog(actor=actor, action=action, target=target, note=note, detail=detail)
    session.add(entry)
    return entry


def normalise_url(url: str) -> str:
    """Let operators write ``postgresql://``; we always drive PostgreSQL with psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web app read while a worker writes; busy_timeout makes
    # concurrent workers wait their turn instead of failing with "locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    # Take the write lock at BEGIN so two claimers never both read the same
    # batch and then race to update it (SQLite has no SKIP LOCKED).
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        # pysqlite's own transaction handling is turned off so BEGIN IMMEDIATE is ours.
        event.listen(engine, "connect", _sqlite_pragmas)

        @event.listens_for(engine, "connect")
        def _no_pysqlite_begin(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions for ``engine``, with every model registered first.

    Commands load lazily, so a process may import only some models; a mapper
    whose foreign key names a table nobody imported (a campaign's announcement)
    would fail on first use. ``mailer.models`` imports them all.
    """
    import mailer.models  # noqa: F401

    return sessionmaker(engine, expire_on_commit=False)


@contextlib.contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def migrate(url: str, revision: str = "head") -> None:
    """Bring the database schema to ``revision`` (``mailer init`` calls this)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def dialect_name(session: Session) -> str:
    return session.get_bind().dialect.name
