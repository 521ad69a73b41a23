"""`mailer lists`: create and inspect mailing lists."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from rich.table import Table
from sqlalchemy import func, select

from mailer.cli_support import console, get_list, needs_schema, session_factory, settings
from mailer.db import session_scope
from subscribers.models import MailingList, Subscription

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def _check_time(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise click.BadParameter(f"{value!r} is not a time like 07:00")
    return value


def _check_zone(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"{value!r} is not a time zone like America/Chicago") from None
    return value


def _check_title(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    if "\n" in value or "\r" in value or len(value) > 200:
        raise click.BadParameter("one line of at most 200 characters")
    return value.strip()


_digest_title = click.option(
    "--digest-title",
    default=None,
    callback=_check_title,
    help="Title of the list's digest in its subject and heading (default: the list's name).",
)


@click.group("lists")
def command() -> None:
    """Create, list and inspect mailing lists."""


@command.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The list's name, as readers see it.")
@click.option(
    "--description", default="", help="Why people subscribe; shown on the subscribe page."
)
@click.option("--public/--private", default=True, help="Public lists appear on the subscribe page.")
@click.option("--double-opt-in/--single-opt-in", default=True, show_default=True)
@click.option("--from-name", default="", help="Sender name (default: MAILER_FROM_NAME).")
@click.option("--from-email", default="", help="Sender address (default: MAILER_FROM_EMAIL).")
@click.option("--reply-to", default="")
@click.option(
    "--timezone",
    "tz",
    default=None,
    callback=lambda c, p, v: v and _check_zone(c, p, v),
    help="Readers' time zone (default: MAILER_DEFAULT_TIMEZONE).",
)
@click.option("--digest-day", type=click.Choice(WEEKDAYS), default="monday", show_default=True)
@click.option(
    "--digest-time",
    default="07:00",
    show_default=True,
    callback=_check_time,
    help="Local time of the weekly digest, HH:MM.",
)
@click.option(
    "--archive/--no-archive",
    default=True,
    show_default=True,
    help="Publish past editions in the public archive.",
)
@_digest_title
@needs_schema
def create(
    slug: str,
    name: str,
    description: str,
    public: bool,
    double_opt_in: bool,
    from_name: str,
    from_email: str,
    reply_to: str,
    tz: str | None,
    digest_day: str,
    digest_time: str,
    archive: bool,
    digest_title: str | None,
) -> None:
    """Create the list SLUG (letters, digits and dashes; used in URLs and List-Id)."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", slug):
        raise click.BadParameter("use lower-case letters, digits and dashes", param_hint="SLUG")
    s = settings()
    with session_scope(session_factory()) as session:
        if session.scalar(select(MailingList.id).where(MailingList.slug == slug)):
            raise click.ClickException(f"a list with slug {slug!r} exists already")
        session.add(
            MailingList(
                slug=slug,
                name=name,
                description=description,
                public=public,
                double_opt_in=double_opt_in,
                from_name=from_name,
                from_email=from_email,
                reply_to=reply_to,
                timezone=tz or s.default_timezone,
                digest_weekday=WEEKDAYS.index(digest_day),
                digest_time=digest_time,
                archive=archive,
                digest_title=digest_title or "",
            )
        )
    console.print(f"Created list {slug!r}.")


@command.command("update")
@click.argument("slug")
@_digest_title
@needs_schema
def update(slug: str, digest_title: str | None) -> None:
    """Change settings of the list SLUG; options left out stay as they are.

    \b
    Example:
      mailer lists update md-diversity-programs --digest-title "MD Diversity Bulletin"
      mailer lists update md-diversity-programs --digest-title ""   # back to the list's name
    """
    if digest_title is None:
        raise click.UsageError("nothing to change: give an option such as --digest-title")
    with session_scope(session_factory()) as session:
        ml = get_list(session, slug)
        ml.digest_title = digest_title
    console.print(f"Updated list {slug!r}.")


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
        ] + [(f"subscriptions {k}", str(v)) for k, v in sorted(by_status.items())]
        table = Table(show_header=False)
        for k, v in rows:
            table.add_row(k, v)
    console.print(table)
