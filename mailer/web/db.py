"""One database session per request, from one session factory per app."""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session, sessionmaker


def session_factory() -> sessionmaker[Session]:
    factory: sessionmaker[Session] = current_app.extensions["mailer.sessionmaker"]
    return factory


def db() -> Session:
    """This request's session, opened on first use and closed when the request ends."""
    if "db" not in g:
        g.db = session_factory()()
    session: Session = g.db
    return session


def close_db(exc: BaseException | None = None) -> None:
    session: Session | None = g.pop("db", None)
    if session is None:
        return
    try:
        if exc is not None or session.in_transaction():
            # Views commit what they mean to keep; anything left is abandoned.
            session.rollback()
    finally:
        session.close()
