"""`mailer events`: add events by hand, list upcoming events, hide them from the digest."""

from __future__ import annotations

import datetime as dt

import click
from rich.table import Table
from sqlalchemy import select

from mailer.cli_support import (
    console,
    friendly_errors,
    local,
    parse_day,
    parse_when,
    unit_of_work,
    zone,
)
from mailer.content.manual import add_event, set_hidden
from mailer.content.models import Event
from mailer.db import utcnow


@click.group("events")
def command() -> None:
    """Add events by hand, list upcoming ones, and hide or show them in the digest."""


@command.command("add")
@click.option("--title", required=True)
@click.option("--start", required=True, help="2026-03-10T17:30, or 2026-03-10 with --all-day.")
@click.option("--end", default=None, help="End time (or last day, with --all-day).")
@click.option("--all-day", is_flag=True, help="A date, not a time.")
@click.option(
    "--tz", default=None, help="Zone of --start/--end (default: MAILER_DEFAULT_TIMEZONE)."
)
@click.option("--location", default="")
@click.option("--url", default="")
@click.option("--description", default="")
@click.option("--guid", default=None, help="A stable id; adding the same id again updates it.")
@friendly_errors
def add(
    title: str,
    start: str,
    end: str | None,
    all_day: bool,
    tz: str | None,
    location: str,
    url: str,
    description: str,
    guid: str | None,
) -> None:
    """Add an event (or update the one with the same --guid).

    \b
    Examples:
      mailer events add --title "SNMA presents: Black History & The Arts" \\
        --start 2026-03-10T17:30 --end 2026-03-10T19:00 --location "FLTC 213"
      mailer events add --title "Women in Medicine exhibit" --all-day \\
        --start 2026-03-05 --end 2026-03-06
    """
    zone_info = zone(tz)
    starts: dt.date | dt.datetime | None
    ends: dt.date | dt.datetime | None
    if all_day:
        starts, ends = parse_day(start, "--start"), parse_day(end, "--end")
    else:
        starts, ends = parse_when(start, "--start", zone_info), parse_when(end, "--end", zone_info)
    assert starts is not None
    with unit_of_work() as session:
        event = add_event(
            session,
            title=title,
            starts_at=starts,
            ends_at=ends,
            all_day=all_day,
            location=location,
            url=url,
            description=description,
            timezone="" if all_day else zone_info.key,
            guid=guid,
        )
        console.print(f"Event {event.id}: {event.title}")


@command.command("list")
@click.option("--days", default=30, show_default=True, help="Starting in the next N days.")
@friendly_errors
def list_(days: int) -> None:
    """List upcoming events, hidden ones included (marked)."""
    tz = zone(None)
    now = utcnow()
    with unit_of_work() as session:
        rows = list(
            session.scalars(
                select(Event)
                .where(
                    Event.starts_at >= now - dt.timedelta(days=1),
                    Event.starts_at < now + dt.timedelta(days=days),
                )
                .order_by(Event.starts_at)
            )
        )
        table = Table("id", "starts", "title", "location", "hidden")
        for e in rows:
            when = e.starts_at.strftime("%Y-%m-%d") if e.all_day else local(e.starts_at, tz)
            table.add_row(str(e.id), when, e.title, e.location, "hidden" if e.hidden else "")
    console.print(table if rows else f"No events in the next {days} days.")


@command.command("hide")
@click.argument("event_id", type=int)
@friendly_errors
def hide(event_id: int) -> None:
    """Keep an event out of the digest."""
    with unit_of_work() as session:
        console.print(f"Hidden: {set_hidden(session, 'events', event_id, True).title}")


@command.command("show")
@click.argument("event_id", type=int)
@friendly_errors
def show(event_id: int) -> None:
    """Put a hidden event back into the digest."""
    with unit_of_work() as session:
        console.print(f"Shown again: {set_hidden(session, 'events', event_id, False).title}")
