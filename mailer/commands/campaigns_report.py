"""`mailer campaigns report ID`: what a send achieved, from the delivery log and feedback.

This module extends the ``campaigns`` group (``extends = "campaigns"``); the
numbers come from ``mailer.reports.campaign``, as in the console and the API.
"""

from __future__ import annotations

import json

import click
from rich.table import Table

from mailer.cli_support import console, needs_schema, session_factory
from mailer.db import session_scope

extends = "campaigns"


@click.command("report")
@click.argument("campaign_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@needs_schema
def report(campaign_id: int, as_json: bool) -> None:
    """Recipients, sent, failed, bounces, complaints, unsubscribes and clicks of one send."""
    from mailer.reports.campaign import campaign_report

    with session_scope(session_factory()) as session:
        found = campaign_report(session, campaign_id)
    if found is None:
        raise click.ClickException(f"no campaign {campaign_id}")
    data = found.to_json()
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    table = Table("measure", "count", "of sent", title=f"Campaign {found.id}: {found.subject}")
    rows = [
        ("recipients", found.recipients, None),
        ("sent", found.sent, None),
        ("failed", found.failed, None),
        ("skipped", found.skipped, None),
        ("delivered", found.delivered, found.delivered),
        ("bounced", found.bounced, found.bounced),
        ("  hard", found.hard_bounced, found.hard_bounced),
        ("  soft", found.soft_bounced, found.soft_bounced),
        ("  policy", found.policy_blocked, found.policy_blocked),
        ("complained", found.complained, found.complained),
        ("unsubscribed", found.unsubscribed, found.unsubscribed),
    ]
    if found.clicks_tracked or found.clicks_total:
        rows += [
            ("clicks", found.clicks_total, None),
            ("readers who clicked", found.clicks_unique, found.clicks_unique),
        ]
    if found.opens_tracked or found.opens_total:
        rows += [
            ("opens (image proxies count too)", found.opens_total, None),
            ("readers whose mail was opened", found.opens_unique, found.opens_unique),
        ]
    for name, count, share in rows:
        table.add_row(name, str(count), "" if share is None else f"{found.rate(share):.2%}")
    console.print(table)
    if found.links:
        links = Table("link", "clicks", "readers", title="Clicks per link")
        for link in found.links:
            links.add_row(link.url, str(link.total), str(link.unique))
        console.print(links)
    for warning in found.warnings:
        console.print(f"[bold]Warning:[/bold] {warning}")


commands = [report]
