"""`mailer suppressions`: the addresses no send will ever reach."""

from __future__ import annotations

import click
from rich.table import Table
from sqlalchemy import func, select

from mailer.cli_support import console, default_actor, needs_schema, session_factory
from mailer.commands.subscribers import address_arg
from mailer.db import session_scope
from subscribers.models import Suppression, SuppressionReason


@click.group("suppressions")
def command() -> None:
    """List, add and remove suppressed addresses (every send skips them)."""


@command.command("list")
@click.option("--reason", type=click.Choice([r.value for r in SuppressionReason]), default=None)
@click.option("--search", default="", help="Only addresses containing this (any case).")
@click.option("--limit", type=int, default=100, show_default=True)
@click.option("--after", default="", help="Continue after this address (pages by key).")
@needs_schema
def list_command(reason: str | None, search: str, limit: int, after: str) -> None:
    """Suppressed addresses, by address (forgotten people show as sha256 hashes).

    \b
    Example:
      mailer suppressions list --reason hard_bounce
      mailer suppressions list --search @gmail.
    """
    from subscribers.suppression import suppression_search

    with session_scope(session_factory()) as session:
        matching = suppression_search(search, reason or "")
        query = matching.where(Suppression.address > after)
        count = select(func.count()).select_from(matching.subquery())
        rows = session.scalars(query.order_by(Suppression.address).limit(limit)).all()
        total = session.scalar(count)
        table = Table("address", "reason", "since", "note", title=f"{total} suppressed")
        for row in rows:
            table.add_row(row.address, row.reason, f"{row.created_at:%Y-%m-%d}", row.note[:60])
    console.print(table)


@command.command("add")
@click.argument("email")
@click.option(
    "--reason",
    type=click.Choice([r.value for r in SuppressionReason]),
    default=SuppressionReason.MANUAL.value,
    show_default=True,
)
@click.option("--note", default="", help="Why, for the next admin.")
@needs_schema
def add_command(email: str, reason: str, note: str) -> None:
    """Never mail EMAIL again (from any list).

    \b
    Example:
      mailer suppressions add someone@example.org --note "asked by phone"
    """
    from subscribers.service import suppress

    address = address_arg(email)
    with session_scope(session_factory()) as session:
        row = suppress(session, address, reason, note, actor=default_actor())
        console.print(f"{address} is suppressed ({row.reason})")


@command.command("remove")
@click.argument("email")
@click.option("--note", required=True, help="Why it is safe to mail this address again (audited).")
@needs_schema
def remove_command(email: str, note: str) -> None:
    """Lift the suppression of EMAIL (it does not re-subscribe anyone).

    \b
    Example:
      mailer suppressions remove someone@example.org --note "mailbox fixed, checked with IT"
    """
    from subscribers.service import unsuppress

    address = address_arg(email)
    with session_scope(session_factory()) as session:
        removed = unsuppress(session, address, actor=default_actor(), note=note)
    if not removed:
        raise click.ClickException(f"{address} is not suppressed")
    console.print(f"{address} is no longer suppressed")
