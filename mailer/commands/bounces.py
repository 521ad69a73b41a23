"""`mailer bounces`: read bounce and complaint mail and act on it."""

from __future__ import annotations

import click
from rich.table import Table
from sqlalchemy import func, select

from mailer.cli_support import console, needs_schema, session_factory
from mailer.cli_support import settings as current_settings
from mailer.db import session_scope
from mailer.feedback.events import Kind
from subscribers.models import BounceRecord


@click.group("bounces")
def command() -> None:
    """Process bounces, complaints (ARF) and mailto unsubscribes; list what was recorded."""


@command.command("process")
@click.option(
    "--maildir",
    "maildir",
    type=click.Path(file_okay=False),
    default=None,
    help="A local Maildir holding the bounce mail.",
)
@click.option(
    "--mailbox",
    "url",
    default=None,
    help="imap://user:pass@host/INBOX, imaps://..., pop3://..., pop3s://... "
    "(default: MAILER_BOUNCE_MAILBOX).",
)
@click.option(
    "--archive",
    default="bounce-archive",
    show_default=True,
    help="Local Maildir where POP3 messages are kept once processed (POP3 has no folders).",
)
@needs_schema
def process_command(maildir: str | None, url: str | None, archive: str) -> None:
    """Read every message, record what it says, then move it aside.

    Hard bounces (5.1.1, 5.1.2, 5.1.3, 5.1.10, 5.2.1) suppress the address;
    soft ones (4.x.x, 5.2.2) suppress it after MAILER_SOFT_BOUNCE_LIMIT within
    MAILER_SOFT_BOUNCE_DAYS; policy blocks (5.7.x, 4.7.x) are only recorded;
    complaints unsubscribe from everything and suppress. Only feedback that is
    ours acts: VERP-signed, or quoting a Message-ID we sent to that address;
    anything else is recorded as unverified (see bounces list --unverified).
    Messages go to the mailbox's processed folder only after their records are
    committed; ones we cannot read go to its failed folder, with the reason.

    \b
    Examples:
      mailer bounces process --maildir /var/mail/bounces
      mailer bounces process --mailbox imaps://bounces:secret@mail.example.org/INBOX
    """
    from mailer.feedback.mailboxes import MailboxError
    from mailer.feedback.process import process_location

    settings = current_settings()
    location = maildir or url or settings.bounce_mailbox
    if not location:
        raise click.UsageError("give --maildir or --mailbox (or set MAILER_BOUNCE_MAILBOX)")
    try:
        with console.status("reading bounces") as status:
            report = process_location(
                location,
                session_factory(),
                settings,
                archive=archive,
                progress=lambda n: status.update(f"reading bounces: {n} messages"),
            )
    except MailboxError as exc:
        raise click.ClickException(str(exc)) from None
    console.print(report.line())
    from mailer.reports.alerts import alert_admins

    with session_scope(session_factory()) as session:
        if alert_admins(session, settings):
            console.print("mailed the admins about a send over the complaint or bounce line")
    for key, reason in report.kept_aside[:20]:
        console.print(f"kept aside in failed: {key}: {reason}")


@command.command("list")
@click.option(
    "--unverified",
    is_flag=True,
    help="Only feedback we could not prove ours (no VERP signature, no Message-ID we sent "
    "to that address): recorded, never acted on.",
)
@click.option("--kind", type=click.Choice([k.value for k in Kind]), default=None)
@click.option("--campaign", type=int, default=None, help="Only feedback on this campaign's mail.")
@click.option(
    "--address", default="", help="One address (any spelling), or a part of addresses: @gmail."
)
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--before", type=int, default=None, help="Continue before this record id.")
@needs_schema
def list_command(
    unverified: bool,
    kind: str | None,
    campaign: int | None,
    address: str,
    limit: int,
    before: int | None,
) -> None:
    """Recorded bounces and complaints, newest first, with whether each was ours.

    An unverified record may be a forgery naming a stranger, or a real bounce
    of mail we never sent; it suppressed nobody. Look at it, and suppress by
    hand (mailer suppressions add) if it is real.

    \b
    Examples:
      mailer bounces list --unverified
      mailer bounces list --kind hard --limit 20
      mailer bounces list --campaign 42
      mailer bounces show 1234           # the report as it came
    """
    from mailer.feedback.records import feedback_records

    with session_scope(session_factory()) as session:
        matching = feedback_records(
            kind=kind or "",
            campaign_id=campaign,
            address=address,
            verified=False if unverified else None,
        )
        query = matching.order_by(BounceRecord.id.desc()).limit(limit)
        count = select(func.count()).select_from(matching.subquery())
        if before is not None:
            query = query.where(BounceRecord.id < before)
        rows = session.scalars(query).all()
        title = f"{session.scalar(count)} {'unverified ' if unverified else ''}records"
        table = Table(
            "id", "received", "address", "kind", "status", "ours", "diagnostic", title=title
        )
        for row in rows:
            table.add_row(
                str(row.id),
                f"{row.received_at:%Y-%m-%d %H:%M}",
                row.address,
                row.kind,
                row.status_code,
                "verified" if row.verified else "unverified",
                " ".join(row.diagnostic.split())[:60],
            )
    console.print(table)
