"""`mailer audit`: read the audit log (who changed what), as the console's audit page does."""

from __future__ import annotations

import click
from rich.table import Table

from mailer.cli_support import (
    console,
    local,
    needs_schema,
    parse_day,
    session_factory,
    settings,
    zone,
)


@click.group("audit")
def command() -> None:
    """Read the audit log: consent overrides, suppressions, approvals, sends, users, sources."""


@command.command("list")
@click.option("--actor", default="", help="Only actors containing this (ada@, ip:10., sendgrid).")
@click.option("--action", default="", help="An action (suppression.add) or a family (suppression).")
@click.option("--since", default=None, help="From this day (YYYY-MM-DD, the office's zone).")
@click.option("--until", default=None, help="To this day, included.")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--before", type=int, default=None, help="Continue before this entry id.")
@needs_schema
def list_command(
    actor: str, action: str, since: str | None, until: str | None, limit: int, before: int | None
) -> None:
    """Audit entries, newest first, times in the office's zone (MAILER_DEFAULT_TIMEZONE).

    \b
    Examples:
      mailer audit list --action suppression --since 2026-03-01
      mailer audit list --actor ada@ --limit 20
    """
    from mailer.audit_log import audit_entries
    from mailer.db import AuditLog, session_scope

    office = settings().default_timezone
    tz = zone(office)
    query = audit_entries(
        actor=actor,
        action=action,
        since=parse_day(since, "--since"),
        until=parse_day(until, "--until"),
        zone=office,
    )
    if before is not None:
        query = query.where(AuditLog.id < before)
    with session_scope(session_factory()) as session:
        rows = session.scalars(query.order_by(AuditLog.id.desc()).limit(limit)).all()
        table = Table("id", f"when ({office})", "actor", "action", "target", "note")
        for e in rows:
            table.add_row(str(e.id), local(e.at, tz), e.actor, e.action, e.target, e.note[:60])
    if rows:
        console.print(table)
    else:
        console.print("No entry matches.")
