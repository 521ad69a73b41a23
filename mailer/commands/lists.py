"""`mailer lists`: create, change, delete and inspect mailing lists.

The rules (slug, digest time, time zone) and the audit entries live in
``subscribers.lists``; this module only turns options into calls to it.
"""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table
from sqlalchemy import func, select

from mailer.cli_support import (
    console,
    default_actor,
    get_list,
    needs_schema,
    session_factory,
    settings,
)
from mailer.db import session_scope
from subscribers import lists
from subscribers.models import MailingList, Subscription

WEEKDAYS = list(lists.WEEKDAYS)
#: The CLI option of each list field, for error messages.
OPTION = {
    "slug": "SLUG",
    "timezone": "--timezone",
    "digest_time": "--digest-time",
    "digest_weekday": "--digest-day",
    "digest_title": "--digest-title",
}


def _check(rule: Any) -> Any:
    """A click callback from a rule of ``subscribers.lists`` (None passes: not given)."""

    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            rule(value)
        except lists.ListError as exc:
            raise click.BadParameter(str(exc)) from None
        return value

    return callback


def _bad(exc: lists.ListError) -> click.BadParameter:
    return click.BadParameter(str(exc), param_hint=OPTION.get(exc.field, f"--{exc.field}"))


def _given(**options: Any) -> dict[str, Any]:
    """The options the user gave (click passes None for the others)."""
    fields = {k: v for k, v in options.items() if v is not None}
    if "digest_day" in fields:
        fields["digest_weekday"] = WEEKDAYS.index(fields.pop("digest_day"))
    if "digest" in fields:
        fields["digest_enabled"] = fields.pop("digest")
    return fields


@click.group("lists")
def command() -> None:
    """Create, change, delete, list and inspect mailing lists."""


def list_options(creating: bool) -> Any:
    """The options `create` and `update` share; `update` changes only those given."""

    def decorate(f: Any) -> Any:
        options = [
            click.option("--name", required=creating, help="The list's name, as readers see it."),
            click.option(
                "--description", help="Why people subscribe; shown on the subscribe page."
            ),
            click.option(
                "--public/--private",
                default=True if creating else None,
                help="Public lists appear on the subscribe page.",
            ),
            click.option(
                "--double-opt-in/--single-opt-in",
                default=True if creating else None,
                help="New subscribers confirm by email (double).",
            ),
            click.option("--from-name", help="Sender name (default: MAILER_FROM_NAME)."),
            click.option("--from-email", help="Sender address (default: MAILER_FROM_EMAIL)."),
            click.option("--reply-to", help="Reply-To address."),
            click.option(
                "--timezone",
                "tz",
                callback=_check(lists.zone),
                help="Readers' time zone, e.g. America/Chicago (default: MAILER_DEFAULT_TIMEZONE).",
            ),
            click.option(
                "--digest-day",
                type=click.Choice(WEEKDAYS),
                default="monday" if creating else None,
                show_default=creating,
                help="Day of the weekly digest.",
            ),
            click.option(
                "--digest-time",
                default="07:00" if creating else None,
                show_default=creating,
                callback=_check(lists.check_time),
                help="Local time of the weekly digest, HH:MM.",
            ),
            click.option(
                "--digest/--no-digest",
                default=True if creating else None,
                help="Send the weekly digest.",
            ),
            click.option(
                "--digest-title",
                callback=_check(lists.check_digest_title),
                help='Title of the digest in its subject and heading (default, or "": '
                "the list's name).",
            ),
            click.option(
                "--track-clicks/--no-track-clicks",
                default=False if creating else None,
                help="Count clicks on links in this list's mail, per reader (default: off).",
            ),
            click.option(
                "--track-opens/--no-track-opens",
                default=False if creating else None,
                help="Count opens with a pixel (default: off; unreliable and intrusive, "
                "see docs/reports.md).",
            ),
            click.option(
                "--archive/--no-archive",
                default=True if creating else None,
                help="Publish past editions in the public archive.",
            ),
        ]
        for option in reversed(options):
            f = option(f)
        return f

    return decorate


@command.command("create")
@click.argument("slug", callback=_check(lists.check_slug))
@list_options(creating=True)
@needs_schema
def create(slug: str, tz: str | None, **options: Any) -> None:
    """Create the list SLUG (lower-case letters, digits and dashes; used in URLs and List-Id).

    \b
    Example:
      mailer lists create odei-weekly --name "ODEI Weekly" --digest-day monday --digest-time 07:00
    """
    fields = _given(slug=slug, timezone=tz or settings().default_timezone, **options)
    with session_scope(session_factory()) as session:
        try:
            lists.create(session, default_actor(), **fields)
        except lists.ListError as exc:
            raise _bad(exc) from None
    console.print(f"Created list {slug!r}.")


@command.command("update")
@click.argument("slug")
@click.option("--slug", "new_slug", callback=_check(lists.check_slug), help="A new slug.")
@list_options(creating=False)
@needs_schema
def update(slug: str, new_slug: str | None, tz: str | None, **options: Any) -> None:
    """Change the list SLUG: only the options given change; the audit log records each change.

    A new digest day, time or zone takes effect at the running scheduler within
    MAILER_SCHEDULER_RECONCILE_SECONDS; the old time is not taken for a missed digest.

    \b
    Example:
      mailer lists update odei-weekly --digest-time 08:00 --timezone America/Chicago
    """
    fields = _given(slug=new_slug, timezone=tz, **options)
    if not fields:
        raise click.UsageError("nothing to change: give at least one option (see --help)")
    with session_scope(session_factory()) as session:
        ml = get_list(session, slug)
        try:
            changed = lists.update(session, ml, default_actor(), **fields)
        except lists.ListError as exc:
            raise _bad(exc) from None
    if not changed:
        console.print(f"List {slug!r} already is like that; nothing changed.")
        return
    for name, (old, new) in changed.items():
        console.print(f"{name}: {old!r} -> {new!r}")
    console.print(f"Updated list {new_slug or slug!r}.")


@command.command("delete")
@click.argument("slug")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@needs_schema
def delete(slug: str, yes: bool) -> None:
    """Delete the list SLUG and its subscriptions (the subscribers stay).

    Refused while campaigns refer to the list: sent editions are its archive
    and history. Make it private and turn its digest off instead.
    """
    with session_scope(session_factory()) as session:
        ml = get_list(session, slug)
        count = len(ml.subscriptions)
        if not yes:
            click.confirm(
                f"Delete list {slug!r} ({ml.name}) and its {count} subscription(s)?", abort=True
            )
        try:
            lists.delete(session, ml, default_actor())
        except lists.ListError as exc:
            raise click.ClickException(str(exc)) from None
    console.print(f"Deleted list {slug!r} and {count} subscription(s).")


@command.command("list")
@needs_schema
def list_() -> None:
    """Every list with its schedule and number of confirmed subscribers."""
    with session_scope(session_factory()) as session:
        counts = dict(
            session.execute(
                select(Subscription.list_id, func.count())
                .where(Subscription.status == "confirmed")
                .group_by(Subscription.list_id)
            ).all()
        )
        table = Table("slug", "name", "visibility", "opt-in", "digest", "confirmed")
        for ml in session.scalars(select(MailingList).order_by(MailingList.slug)):
            table.add_row(
                ml.slug,
                ml.name,
                "public" if ml.public else "private",
                "double" if ml.double_opt_in else "single",
                f"{WEEKDAYS[ml.digest_weekday].title()} {ml.digest_time} {ml.timezone}",
                str(counts.get(ml.id, 0)),
            )
    console.print(table)


@command.command("show")
@click.argument("slug")
@needs_schema
def show(slug: str) -> None:
    """Everything about one list, and its subscriptions by status."""
    from subscribers.topics import list_topics

    with session_scope(session_factory()) as session:
        ml = get_list(session, slug)
        by_status = dict(
            session.execute(
                select(Subscription.status, func.count())
                .where(Subscription.list_id == ml.id)
                .group_by(Subscription.status)
            ).all()
        )
        s = settings()
        rows = [
            ("name", ml.name),
            ("description", ml.description),
            ("digest title", ml.digest_title or f"{ml.name} (the list's name)"),
            ("visibility", "public" if ml.public else "private"),
            ("opt-in", "double" if ml.double_opt_in else "single"),
            ("from", f"{ml.from_name or s.from_name} <{ml.from_email or s.from_email}>"),
            ("reply-to", ml.reply_to or s.reply_to or "-"),
            (
                "digest",
                f"{WEEKDAYS[ml.digest_weekday].title()} at {ml.digest_time} ({ml.timezone})",
            ),
            ("archive", "on" if ml.archive else "off"),
            ("click tracking", "on" if ml.track_clicks else "off"),
            ("open tracking", "on" if ml.track_opens else "off"),
            (
                "topics",
                ", ".join(f"{t.name} ({t.slug})" for t in list_topics(session, ml.id))
                or "none (`mailer topics add`)",
            ),
        ] + [(f"subscriptions {k}", str(v)) for k, v in sorted(by_status.items())]
        table = Table(show_header=False)
        for k, v in rows:
            table.add_row(k, v)
    console.print(table)
