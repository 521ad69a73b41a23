"""`mailer subscribers edit`, `search` and `bulk`: the console's subscriber actions.

This module extends the ``subscribers`` group (``extends = "subscribers"``).
The rules are the console's, from the same functions: ``subscribers.editing``
(consent through ``service.add_subscriber``, overrides audited),
``subscribers.search`` (which people a search means) and
``subscribers.selection`` (bulk actions, one audit entry each).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import click
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer.cli_support import (
    console,
    default_actor,
    get_list,
    needs_schema,
    session_factory,
    settings,
)
from mailer.db import session_scope
from subscribers import search
from subscribers.models import (
    Subscriber,
    SubscriberStatus,
    SubscriptionSource,
    SubscriptionStatus,
)
from subscribers.search import Criteria

extends = "subscribers"


def _attrs(values: tuple[str, ...]) -> dict[str, str]:
    from subscribers.editing import parse_attributes

    try:
        return parse_attributes("\n".join(values))
    except ValueError as exc:
        raise click.BadParameter(str(exc).partition(": ")[2], param_hint="--attr") from None


@click.command("edit")
@click.argument("email")
@click.option("--name", default=None, help="The new name.")
@click.option(
    "--attr",
    "attrs",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set an attribute (repeatable); the others are kept.",
)
@click.option("--drop-attr", multiple=True, metavar="NAME", help="Remove an attribute.")
@click.option("--status", type=click.Choice([s.value for s in SubscriberStatus]), default=None)
@click.option(
    "--list",
    "lists",
    multiple=True,
    metavar="SLUG=STATE",
    help="Set a subscription: STATE is pending, confirmed or unsubscribed (repeatable).",
)
@click.option(
    "--override-reason",
    default=None,
    help="Re-add to a list they left, or while suppressed; the reason is audited.",
)
@needs_schema
def edit(
    email: str,
    name: str | None,
    attrs: tuple[str, ...],
    drop_attr: tuple[str, ...],
    status: str | None,
    lists: tuple[str, ...],
    override_reason: str | None,
) -> None:
    """Change a subscriber's name, attributes, status or lists (audited).

    \b
    Examples:
      mailer subscribers edit ana@example.org --name "Ana Ruiz" --attr department=Surgery
      mailer subscribers edit ana@example.org --list weekly=confirmed --list rounds=unsubscribed
    """
    from subscribers.addresses import email_key
    from subscribers.editing import update_person

    with session_scope(session_factory()) as session:
        person = session.scalar(select(Subscriber).where(Subscriber.email_key == email_key(email)))
        if person is None:
            raise click.ClickException(f"no subscriber {email}")
        attributes = None
        if attrs or drop_attr:
            attributes = {**(person.attributes or {}), **_attrs(attrs)}
            for gone in drop_attr:
                attributes.pop(gone, None)
        states = {}
        for item in lists:
            slug, sep, state = item.partition("=")
            if not sep or state not in {"pending", "confirmed", "unsubscribed"}:
                raise click.BadParameter(
                    f"{item!r}: use SLUG=pending|confirmed|unsubscribed", param_hint="--list"
                )
            states[get_list(session, slug)] = state
        try:
            changes = update_person(
                session,
                person,
                name=name,
                attributes=attributes,
                status=status,
                list_states=states,
                override_reason=override_reason,
                actor=default_actor(),
            )
        except ValueError as exc:  # ConsentRefused too
            session.rollback()
            raise click.ClickException(str(exc)) from None
    console.print(
        f"{person.email}: "
        + ("; ".join(f"{k} {v[0]!s} -> {v[1]!s}" for k, v in changes.items()) or "nothing changed")
    )


def _criteria(
    session: Session,
    q: str,
    slug: str | None,
    status: str | None,
    source: str | None,
    joined_from: dt.datetime | None,
    joined_to: dt.datetime | None,
) -> Criteria:
    mlist = get_list(session, slug) if slug else None
    first, last = search.joined_between(
        joined_from.date() if joined_from else None,
        joined_to.date() if joined_to else None,
        settings().default_timezone,
    )
    return Criteria(
        text=q,
        list_id=mlist.id if mlist else None,
        status=status or "",
        source=source or "",
        joined_from=first,
        joined_to=last,
    )


SEARCH_OPTIONS = [
    click.option("--q", "q", default="", help="Address or name contains this (e.g. @gmail.com)."),
    click.option("--list", "slug", default=None, help="Only people on this list."),
    click.option(
        "--status",
        type=click.Choice([s.value for s in SubscriptionStatus]),
        default=None,
        help="Their subscription's state (on --list, else on any list).",
    ),
    click.option(
        "--source", type=click.Choice([s.value for s in SubscriptionSource]), default=None
    ),
    click.option(
        "--joined-from",
        type=click.DateTime(["%Y-%m-%d"]),
        default=None,
        help="Joined on or after this day (in default_timezone).",
    ),
    click.option(
        "--joined-to",
        type=click.DateTime(["%Y-%m-%d"]),
        default=None,
        help="Joined on or before this day (in default_timezone).",
    ),
]


def search_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(SEARCH_OPTIONS):
        func = option(func)
    return func


@click.command("search")
@search_options
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--after", type=int, default=0, help="Continue after this id.")
@needs_schema
def search_command(
    q: str,
    slug: str | None,
    status: str | None,
    source: str | None,
    joined_from: dt.datetime | None,
    joined_to: dt.datetime | None,
    limit: int,
    after: int,
) -> None:
    """Find subscribers as the console does (substring, domain, list, state, source, dates).

    \b
    Example:
      mailer subscribers search --q @gmail.com --list weekly --status pending
    """

    with session_scope(session_factory()) as session:
        criteria = _criteria(session, q, slug, status, source, joined_from, joined_to)
        rows = list(
            session.scalars(
                search.apply(select(Subscriber), criteria)
                .where(Subscriber.id > after)
                .order_by(Subscriber.id)
                .limit(max(1, min(limit, 10_000)))
            )
        )
        total = search.count(session, criteria)
        table = Table(
            "id",
            "email",
            "name",
            "status",
            title=f"{total.text} found",
        )
        for p in rows:
            table.add_row(str(p.id), p.email, p.name, p.status)
    console.print(table)
    if rows and len(rows) == limit:
        console.print(f"more: --after {rows[-1].id}")


@click.command("bulk")
@click.argument("action", type=click.Choice(["add", "unsubscribe", "suppress", "forget"]))
@search_options
@click.option("--target", default=None, help="The list to add to or unsubscribe from.")
@click.option("--confirmed", is_flag=True, help="With add: they gave consent; subscribe confirmed.")
@click.option("--note", default="", help="Why (kept with a suppression and in the audit log).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@needs_schema
def bulk(
    action: str,
    q: str,
    slug: str | None,
    status: str | None,
    source: str | None,
    joined_from: dt.datetime | None,
    joined_to: dt.datetime | None,
    target: str | None,
    confirmed: bool,
    note: str,
    yes: bool,
) -> None:
    """Act on everyone a search finds: add to a list, unsubscribe, suppress or forget (audited).

    \b
    Example:
      mailer subscribers bulk unsubscribe --q @old-domain.example --target weekly --yes
    """
    from subscribers import selection

    with session_scope(session_factory()) as session:
        criteria = _criteria(session, q, slug, status, source, joined_from, joined_to)
        mlist = get_list(session, target) if target else None
        if action in {"add", "unsubscribe"} and mlist is None:
            raise click.BadParameter("name the list with --target", param_hint="--target")
        total = search.count(session, criteria)
        if not yes:
            click.confirm(f"{action} {total.text} subscribers?", abort=True)
        out = selection.run(
            session,
            action,
            criteria=criteria,
            mailing_list=mlist,
            confirmed=confirmed,
            note=note,
            actor=default_actor(),
        )
    console.print(f"{action}: {out.changed} changed, {out.skipped} left as they were")


commands = [edit, search_command, bulk]
