"""`mailer announcements`: staff write announcements, admins approve or reject them."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table
from sqlalchemy import select

from mailer.cli_support import (
    console,
    default_actor,
    friendly_errors,
    local,
    parse_when,
    unit_of_work,
    zone,
)
from mailer.content import announcements as ann_api
from mailer.content.models import Announcement

ACTOR_HELP = "Who is acting, recorded in the audit log (default: cli:<your login>)."


@click.group("announcements")
def command() -> None:
    """Create, submit, approve and reject announcements.

    An announcement goes either into the next digest of its lists or out on
    its own at a chosen time (--send-at). Only approved ones are sent.
    """


@command.command("create")
@click.option("--title", required=True)
@click.option("--body", default=None, help="The text, in Markdown.")
@click.option("--body-file", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option(
    "--list", "lists", multiple=True, required=True, help="Target list slug (repeatable)."
)
@click.option("--send-at", default=None, help="Send on its own at this time (else: next digest).")
@click.option("--tz", default=None, help="Zone of --send-at without an offset.")
@click.option("--submit", is_flag=True, help="Submit for approval right away.")
@click.option("--as", "actor", default=None, help=ACTOR_HELP)
@friendly_errors
def create(
    title: str,
    body: str | None,
    body_file: str | None,
    lists: tuple[str, ...],
    send_at: str | None,
    tz: str | None,
    submit: bool,
    actor: str | None,
) -> None:
    """Write an announcement (a draft unless --submit).

    \b
    Examples:
      mailer announcements create --title "Join the Women in Medicine panel" \\
        --body "Register by **March 6**." --list odei-news --submit
      mailer announcements create --title "Campus closed for the storm" \\
        --body-file closure.md --list odei-news --send-at 2026-02-02T06:30 --submit
    """
    if body_file:
        body = Path(body_file).read_text(encoding="utf-8")
    when = parse_when(send_at, "--send-at", zone(tz))
    with unit_of_work() as session:
        ann = ann_api.create(
            session,
            actor=actor or default_actor(),
            title=title,
            body_md=body or "",
            lists=list(lists),
            mode="standalone" if when else "digest",
            send_at=when,
            submit=submit,
        )
        console.print(f"Announcement {ann.id} ({ann.status}): {ann.title}")


def _step(name: str, announcement_id: int, actor: str | None, note: str = "") -> None:
    with unit_of_work() as session:
        ann = ann_api.get(session, announcement_id)
        who = actor or default_actor()
        if name == "submit":
            ann_api.submit_for_review(session, ann, actor=who)
        elif name == "approve":
            ann_api.approve(session, ann, actor=who, note=note)
        else:
            ann_api.reject(session, ann, actor=who, note=note)
        console.print(f"Announcement {ann.id} is now {ann.status}: {ann.title}")


@command.command("submit")
@click.argument("announcement_id", type=int)
@click.option("--as", "actor", default=None, help=ACTOR_HELP)
@friendly_errors
def submit(announcement_id: int, actor: str | None) -> None:
    """Submit a draft (or a rejected, edited one) for approval."""
    _step("submit", announcement_id, actor)


@command.command("approve")
@click.argument("announcement_id", type=int)
@click.option("--note", default="")
@click.option("--as", "actor", default=None, help=ACTOR_HELP)
@friendly_errors
def approve(announcement_id: int, note: str, actor: str | None) -> None:
    """Approve a submitted announcement (admins)."""
    _step("approve", announcement_id, actor, note)


@command.command("reject")
@click.argument("announcement_id", type=int)
@click.option("--note", required=True, help="Why, so the author can fix it.")
@click.option("--as", "actor", default=None, help=ACTOR_HELP)
@friendly_errors
def reject(announcement_id: int, note: str, actor: str | None) -> None:
    """Reject a submitted announcement with a reason (admins)."""
    _step("reject", announcement_id, actor, note)


@command.command("list")
@click.option(
    "--status",
    type=click.Choice(["draft", "submitted", "approved", "rejected", "scheduled", "sent"]),
    default=None,
)
@friendly_errors
def list_(status: str | None) -> None:
    """List announcements, newest first."""
    tz = zone(None)
    with unit_of_work() as session:
        query = select(Announcement).order_by(Announcement.id.desc())
        if status:
            query = query.where(Announcement.status == status)
        rows = list(session.scalars(query))
        table = Table("id", "status", "mode", "send at", "lists", "author", "title")
        for a in rows:
            table.add_row(
                str(a.id), a.status, a.mode, local(a.send_at, tz),
                ", ".join(ml.slug for ml in a.lists), a.author_email, a.title,
            )  # fmt: skip
    console.print(table if rows else "No announcements.")
