"""`mailer bounces show`: one bounce or complaint record and the report it came in.

This module extends the ``bounces`` group; the console's page of a record
(``/admin/bounces/<id>``) shows the same.
"""

from __future__ import annotations

import click

from mailer.cli_support import console, needs_schema, session_factory

extends = "bounces"


@click.command("show")
@click.argument("record_id", type=int)
@needs_schema
def show(record_id: int) -> None:
    """Show record RECORD_ID (ids from `mailer bounces list`) with its raw report.

    \b
    Example:
      mailer bounces show 1234
    """
    from mailer.db import session_scope
    from mailer.feedback.records import record_campaigns
    from subscribers.models import BounceRecord

    with session_scope(session_factory()) as session:
        record = session.get(BounceRecord, record_id)
        if record is None:
            raise click.ClickException(f"no bounce record {record_id}")
        campaign = record_campaigns(session, [record]).get(record.delivery_id or 0)
        facts = [
            ("address", record.address),
            ("kind", record.kind),
            ("status", record.status_code or "-"),
            ("ours", "verified" if record.verified else "unverified (changed nothing)"),
            ("received", f"{record.received_at:%Y-%m-%d %H:%M} UTC"),
            ("campaign", f"{campaign.id} {campaign.subject}" if campaign else "-"),
            ("came by", record.source or "-"),
            ("diagnostic", record.diagnostic or "-"),
        ]
        raw = record.raw
    for name, value in facts:
        console.print(f"{name:>11}: {value}", highlight=False, markup=False)
    console.print()
    # The report is text from outside: printed as it is, never read as Rich markup.
    click.echo(raw or "(the raw report was not kept for this record)")


commands = [show]
