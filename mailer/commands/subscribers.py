"""`mailer subscribers`: add, list, show, import, export and forget subscribers."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import IO

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select

from mailer.cli_support import console, default_actor, get_list, needs_schema, session_factory
from mailer.db import session_scope
from subscribers.addresses import InvalidAddress, normalise_email
from subscribers.models import Subscriber, Subscription, SubscriptionStatus


def address_arg(value: str) -> str:
    try:
        return normalise_email(value)
    except InvalidAddress as exc:
        raise click.BadParameter(f"{value!r}: {exc}", param_hint="EMAIL") from None


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


@click.group("subscribers")
def command() -> None:
    """Manage subscribers: add, list, show, import/export CSV, forget a person."""


@command.command("add")
@click.argument("email")
@click.option("--list", "slug", required=True, help="The list's slug.")
@click.option("--name", default="", help="The person's name, used in the greeting.")
@click.option(
    "--confirmed",
    is_flag=True,
    help="Subscribe as confirmed (you have their consent); otherwise pending until confirmed.",
)
@click.option(
    "--override-reason",
    default=None,
    help="Re-add an address that unsubscribed or is suppressed; the reason is audited.",
)
@click.option(
    "--attr",
    "attrs",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set an attribute (repeatable).",
)
@needs_schema
def add_command(
    email: str,
    slug: str,
    name: str,
    confirmed: bool,
    override_reason: str | None,
    attrs: tuple[str, ...] = (),
) -> None:
    """Add EMAIL to a list. Running it again changes nothing.

    \b
    Example:
      mailer subscribers add ana@example.org --list weekly --name "Ana Ruiz" --confirmed
    """
    from subscribers.service import ConsentRefused, add_subscriber

    address = address_arg(email)
    with session_scope(session_factory()) as session:
        mailing_list = get_list(session, slug)
        try:
            subscriber = add_subscriber(
                session,
                mailing_list,
                address,
                name=name,
                confirmed=confirmed,
                override_reason=override_reason,
                actor=default_actor(),
            )
        except ConsentRefused as exc:
            raise click.ClickException(str(exc)) from None
        if attrs:
            from subscribers.editing import parse_attributes

            try:
                extra = parse_attributes("\n".join(attrs))
            except ValueError as exc:
                raise click.BadParameter(str(exc), param_hint="--attr") from None
            subscriber.attributes = {**(subscriber.attributes or {}), **extra}
        status = session.scalar(
            select(Subscription.status).where(
                Subscription.subscriber_id == subscriber.id,
                Subscription.list_id == mailing_list.id,
            )
        )
    console.print(f"{address} is {status} on {slug}")


@command.command("list")
@click.option("--list", "slug", required=True, help="The list's slug.")
@click.option(
    "--status",
    type=click.Choice([s.value for s in SubscriptionStatus] + ["all"]),
    default="all",
    show_default=True,
)
@click.option("--limit", type=int, default=100, show_default=True, help="At most this many rows.")
@click.option("--after", default="", help="Continue after this address (pages by key).")
@needs_schema
def list_command(slug: str, status: str, limit: int, after: str) -> None:
    """Subscribers of a list, by address, with their status.

    \b
    Example:
      mailer subscribers list --list weekly --status confirmed --limit 50
    """
    with session_scope(session_factory()) as session:
        mailing_list = get_list(session, slug)
        query = (
            select(Subscriber.email, Subscriber.name, Subscription.status, Subscription.created_at)
            .join(Subscription, Subscription.subscriber_id == Subscriber.id)
            .where(Subscription.list_id == mailing_list.id)
        )
        count_query = select(func.count()).where(Subscription.list_id == mailing_list.id)
        if status != "all":
            query = query.where(Subscription.status == status)
            count_query = count_query.where(Subscription.status == status)
        if after:
            query = query.where(Subscriber.email > after)
        rows = session.execute(query.order_by(Subscriber.email).limit(limit)).all()
        total = session.scalar(count_query.select_from(Subscription))
    table = Table("email", "name", "status", "since", title=f"{slug}: {total} {status}")
    for email, name, sub_status, created in rows:
        table.add_row(email, name, sub_status, _when(created))
    console.print(table)
    if len(rows) == limit and total and total > limit:
        console.print(f"more: --after {rows[-1][0]}")


@command.command("show")
@click.argument("email")
@needs_schema
def show_command(email: str) -> None:
    """Everything we hold about one person: lists, status, suppression, bounces."""
    from subscribers.addresses import email_key
    from subscribers.models import BounceRecord
    from subscribers.suppression import suppression_for

    address = address_arg(email)
    with session_scope(session_factory()) as session:
        key = email_key(address)
        subscriber = session.scalar(select(Subscriber).where(Subscriber.email_key == key))
        blocker = suppression_for(session, address)
        bounces = session.scalars(
            select(BounceRecord)
            .where(BounceRecord.address == key)
            .order_by(BounceRecord.received_at)
        ).all()
        if subscriber is None and blocker is None and not bounces:
            raise click.ClickException(f"no subscriber {address}")
        if subscriber is not None:
            console.print(f"{subscriber.email}  name: {subscriber.name!r}  ({subscriber.status})")
            if subscriber.attributes:
                console.print(f"attributes: {subscriber.attributes}")
            table = Table("list", "status", "source", "since", "confirmed", "unsubscribed")
            for sub in session.scalars(
                select(Subscription).where(Subscription.subscriber_id == subscriber.id)
            ):
                table.add_row(
                    sub.mailing_list.slug,
                    sub.status,
                    sub.source,
                    _when(sub.created_at),
                    _when(sub.confirmed_at),
                    _when(sub.unsubscribed_at),
                )
            console.print(table)
        if blocker is not None:
            console.print(f"suppressed: {blocker.reason} since {_when(blocker.created_at)}")
        for b in bounces:
            console.print(f"{_when(b.received_at)} {b.kind} {b.status_code} {b.diagnostic[:80]}")


@command.command("forget")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@needs_schema
def forget_command(email: str, yes: bool) -> None:
    """Erase a person's data; only a hash stays, so no import can add them back.

    \b
    Example:
      mailer subscribers forget ana@example.org --yes
    """
    from subscribers.service import forget

    address = address_arg(email)
    if not yes:
        click.confirm(f"Erase everything about {address}?", abort=True)
    with session_scope(session_factory()) as session:
        found = forget(session, address, actor=default_actor())
    console.print(
        f"{'erased' if found else 'nothing held about'} {address}; its hash is suppressed"
    )


def _progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )


@command.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--list", "slug", required=True, help="The list's slug.")
@click.option(
    "--confirmed",
    is_flag=True,
    help="The people in the file gave their consent: subscribe them as confirmed.",
)
@click.option(
    "--override-reason",
    default=None,
    help="Re-subscribe addresses that unsubscribed or are suppressed; the reason is audited.",
)
@click.option(
    "--rejects",
    "rejects_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Where to write rejected lines (default: FILE.rejects.csv).",
)
@click.option("--check-dns", is_flag=True, help="Also check each domain accepts mail (slow).")
@needs_schema
def import_command(
    file: str,
    slug: str,
    confirmed: bool,
    override_reason: str | None,
    rejects_path: str | None,
    check_dns: bool,
) -> None:
    """Import subscribers from a CSV FILE into a list.

    The first line names the columns: `email` (required), `name`, and any
    others, which become attributes. UTF-8 (with or without BOM), comma or
    semicolon, quoted fields. Existing people are updated; addresses that
    unsubscribed from the list or are suppressed are not re-subscribed unless
    you give --override-reason. Rejected lines go to a rejects CSV with
    their line number and reason.

    \b
    Example:
      mailer subscribers import members.csv --list weekly --confirmed
    """
    from subscribers.imports import ImportFailed, import_csv

    rejects = rejects_path or f"{file}.rejects.csv"
    sessions = session_factory()
    with sessions() as session:
        mailing_list = get_list(session, slug)
    with _progress_bar() as bar:
        task = bar.add_task(f"importing {Path(file).name}", total=Path(file).stat().st_size)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            report = import_csv(
                sessions,
                file,
                mailing_list,
                confirmed=confirmed,
                override_reason=override_reason,
                actor=default_actor(),
                progress=advance,
                rejects_path=rejects,
                check_deliverability=check_dns,
            )
        except ImportFailed as exc:
            raise click.ClickException(f"{file}: {exc}") from None
    console.print(
        f"imported {report.imported}, updated {report.updated}, unchanged {report.unchanged}, "
        f"rejected {report.rejected} ({report.rows} rows in {report.seconds:.1f} s)"
    )
    if report.overridden:
        console.print(f"re-subscribed by override: {report.overridden} (audited)")
    for item in report.rejects[:20]:
        console.print(f"  line {item.line}: {item.reason}")
    if report.rejected:
        more = f" and {report.rejected - 20} more" if report.rejected > 20 else ""
        console.print(f"rejected lines{more} are in {rejects}")
    else:
        Path(rejects).unlink(missing_ok=True)


@command.command("export")
@click.option("--list", "slug", required=True, help="The list's slug.")
@click.option(
    "--status",
    type=click.Choice([s.value for s in SubscriptionStatus]),
    multiple=True,
    help="Only these statuses (repeatable; default: all).",
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), default="-", help="File (default: stdout)."
)
@needs_schema
def export_command(slug: str, status: tuple[str, ...], output: str) -> None:
    """Write a list's subscribers as CSV (email, name, status, times, attributes).

    \b
    Example:
      mailer subscribers export --list weekly --status confirmed -o weekly.csv
    """
    from subscribers.exports import export_csv

    with session_scope(session_factory()) as session:
        mailing_list = get_list(session, slug)
        if output == "-":
            stream: IO[str] = sys.stdout
            count = export_csv(session, mailing_list, stream, statuses=status or None)
        else:
            with open(output, "w", encoding="utf-8", newline="") as out:
                count = export_csv(session, mailing_list, out, statuses=status or None)
    if output != "-":
        console.print(f"wrote {count} subscribers to {output}")
