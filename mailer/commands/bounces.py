"""`mailer bounces`: read bounce and complaint mail and act on it."""

from __future__ import annotations

import click

from mailer.cli_support import console, needs_schema, session_factory
from mailer.cli_support import settings as current_settings


@click.group("bounces")
def command() -> None:
    """Process bounces, complaints (ARF) and mailto unsubscribes from a mailbox."""


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
    complaints unsubscribe from everything and suppress. Messages go to the
    mailbox's processed folder only after their records are committed.

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
