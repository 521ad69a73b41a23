"""`mailer sources fetch`: fetch one source now, as the console's "Fetch now" does.

This module extends the ``sources`` group. It runs
``mailer.content.ingest.ingest_source`` (the fetch rules of every ingest) and
records the run in the audit log as ``source.fetch``, like the console.
"""

from __future__ import annotations

import click

from mailer.cli_support import (
    console,
    default_actor,
    friendly_errors,
    session_factory,
    settings,
    unit_of_work,
)

extends = "sources"


@click.command("fetch")
@click.argument("ref")
@friendly_errors
def fetch(ref: str) -> None:
    """Fetch one source now (by id or name) and say what it brought.

    \b
    Example:
      mailer sources fetch "ODEI news"
    """
    from mailer.content.ingest import ingest_source
    from mailer.content.sources import SourceError, find_source
    from mailer.db import audit

    with unit_of_work() as session:
        source = find_source(session, ref)
        if not source.url:
            raise SourceError(f"{source.name!r} holds items typed in by staff; it has no feed")
        source_id = source.id
    report = ingest_source(session_factory(), settings(), source_id)
    with unit_of_work() as session:
        audit(session, default_actor(), "source.fetch", f"source:{source_id}", status=report.status)
    console.print(report.line())
    if report.status == "failing":
        raise SystemExit(1)


commands = [fetch]
