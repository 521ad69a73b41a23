"""`mailer campaigns`: see and control sends."""

from __future__ import annotations

import datetime as dt

import click
from rich.table import Table
from sqlalchemy import func, select

from mailer.cli_support import console, needs_schema, session_factory
from mailer.db import session_scope
from mailer.delivery import campaigns as control
from mailer.delivery.models import Campaign, Delivery
from subscribers.models import MailingList


@click.group("campaigns")
def command() -> None:
    """List campaigns, show one, and pause, resume or cancel a send."""


@command.command("list")
@click.option("--limit", default=20, show_default=True)
@needs_schema
def list_(limit: int) -> None:
    """The newest campaigns with their progress."""
    with session_scope(session_factory()) as session:
        rows = session.execute(
            select(Campaign, MailingList.slug)
            .join(MailingList, MailingList.id == Campaign.list_id)
            .order_by(Campaign.id.desc())
            .limit(limit)
        ).all()
        table = Table("id", "list", "edition", "status", "sent", "failed", "total", "subject")
        for c, slug in rows:
            table.add_row(
                str(c.id),
                slug,
                c.edition_key,
                c.status,
                str(c.sent_count),
                str(c.failed_count),
                str(c.total_count),
                c.subject,
            )
    console.print(table)


@command.command("show")
@click.argument("campaign_id", type=int)
@needs_schema
def show(campaign_id: int) -> None:
    """One campaign: its state and its deliveries by status."""
    with session_scope(session_factory()) as session:
        c = session.get(Campaign, campaign_id)
        if c is None:
            raise click.ClickException(f"no campaign {campaign_id}")
        by_status = dict(
            session.execute(
                select(Delivery.status, func.count())
                .where(Delivery.campaign_id == c.id)
                .group_by(Delivery.status)
            ).all()
        )
        table = Table(show_header=False)
        for k, v in [
            ("edition", c.edition_key),
            ("kind", c.kind),
            ("subject", c.subject),
            ("status", c.status + (f" ({c.status_reason})" if c.status_reason else "")),
            ("created", f"{c.created_at:%Y-%m-%d %H:%M} UTC"),
            ("started", f"{c.started_at:%Y-%m-%d %H:%M} UTC" if c.started_at else "-"),
            ("finished", f"{c.finished_at:%Y-%m-%d %H:%M} UTC" if c.finished_at else "-"),
            ("recipients", str(c.total_count)),
        ] + [(f"deliveries {k}", str(v)) for k, v in sorted(by_status.items())]:
            table.add_row(k, v)
    console.print(table)


def _control(campaign_id: int, action: str, reason: str = "") -> None:
    with session_scope(session_factory()) as session:
        c = session.get(Campaign, campaign_id, with_for_update=True)
        if c is None:
            raise click.ClickException(f"no campaign {campaign_id}")
        try:
            skipped = control.apply_action(session, c, action, actor="cli", reason=reason)
            if action == "cancel":
                console.print(f"{skipped} queued deliveries skipped.")
        except control.CampaignStateError as exc:
            raise click.ClickException(str(exc)) from None
        status = c.status
    console.print(
        f"Campaign {campaign_id} is now {status}; workers see it before their next batch."
    )


@command.command("schedule")
@click.argument("campaign_id", type=int)
@click.option(
    "--at",
    "at",
    required=True,
    help="When to start, ISO 8601 with an offset, e.g. 2027-03-08T07:00-06:00.",
)
@needs_schema
def schedule(campaign_id: int, at: str) -> None:
    """Start a draft campaign at a given time (the scheduler starts it when due)."""
    try:
        when = dt.datetime.fromisoformat(at)
    except ValueError:
        raise click.BadParameter(f"{at!r} is not an ISO 8601 time", param_hint="--at") from None
    if when.tzinfo is None:
        raise click.BadParameter(
            f"{at!r} has no UTC offset; add one such as -06:00 or Z", param_hint="--at"
        )
    with session_scope(session_factory()) as session:
        c = session.get(Campaign, campaign_id, with_for_update=True)
        if c is None:
            raise click.ClickException(f"no campaign {campaign_id}")
        try:
            control.schedule(session, c, when, actor="cli")
        except control.CampaignStateError as exc:
            raise click.ClickException(str(exc)) from None
    console.print(f"Campaign {campaign_id} scheduled for {when.isoformat()}.")


@command.command("pause")
@click.argument("campaign_id", type=int)
@needs_schema
@click.option("--reason", default="", help="Recorded with the pause.")
def pause(campaign_id: int, reason: str) -> None:
    """Stop sending after the current batch; resume later where it stopped."""
    _control(campaign_id, "pause", reason)


@command.command("resume")
@click.argument("campaign_id", type=int)
@needs_schema
def resume(campaign_id: int) -> None:
    """Continue a paused campaign; run `mailer worker` if none is running."""
    _control(campaign_id, "resume")


@command.command("cancel")
@click.argument("campaign_id", type=int)
@needs_schema
@click.option("--reason", default="")
def cancel(campaign_id: int, reason: str) -> None:
    """Stop for good; recipients not yet sent to get nothing."""
    _control(campaign_id, "cancel", reason)
