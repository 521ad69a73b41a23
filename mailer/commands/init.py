"""`mailer init`: create or upgrade the database schema."""

from __future__ import annotations

import click

from mailer.cli_support import console, settings
from mailer.db import current_revision, make_engine, migrate


@click.command("init")
def command() -> None:
    """Create the database, or upgrade it to the newest schema.

    Runs the Alembic migrations against MAILER_DATABASE_URL (a SQLite file in
    this folder by default). Safe to run again: an up-to-date database is left
    as it is.
    """
    s = settings()
    engine = make_engine(s.database_url)
    before = current_revision(engine)
    migrate(s.database_url)
    after = current_revision(engine)
    engine.dispose()
    where = s.database_url.split("@")[-1]
    if before == after:
        console.print(f"Database {where} is up to date (revision {after}).")
    else:
        console.print(f"Database {where} upgraded from {before or 'empty'} to {after}.")
