"""`mailer news`: add news by hand, list recent news, hide items from the digest."""

from __future__ import annotations

import datetime as dt

import click
from rich.table import Table
from sqlalchemy import select

from mailer.cli_support import (
    console,
    friendly_errors,
    local,
    parse_when,
    unit_of_work,
    zone,
)
from mailer.content.manual import add_news, set_hidden
from mailer.content.models import NewsItem, Source
from mailer.db import utcnow


@click.group("news")
def command() -> None:
    """Add news items by hand, list them, and hide or show them in the digest."""


@command.command("add")
@click.option("--title", required=True)
@click.option("--url", default="", help="Where the full story is (https://...).")
@click.option("--summary", default="", help="A short summary in Markdown.")
@click.option("--published", default=None, help="When, e.g. 2026-02-24T09:00 (default: now).")
@click.option("--tz", default=None, help="Zone for --published without an offset.")
@click.option("--guid", default=None, help="A stable id; adding the same id again updates it.")
@click.option("--image-url", default="")
@click.option("--image-alt", default="", help="Required with --image-url: describe the image.")
@friendly_errors
def add(
    title: str,
    url: str,
    summary: str,
    published: str | None,
    tz: str | None,
    guid: str | None,
    image_url: str,
    image_alt: str,
) -> None:
    """Add a news item (or update the one with the same --guid or --url).

    \b
    Example:
      mailer news add --title "Desegregation History Wall install begins Feb. 12" \\
        --url https://diversity.wustl.edu/news/history-wall/ \\
        --summary "A permanent wall display on Black History on campus." \\
        --published 2026-02-10T08:00
    """
    when = parse_when(published, "--published", zone(tz))
    with unit_of_work() as session:
        item = add_news(
            session,
            title=title,
            url=url,
            summary_md=summary,
            published_at=when,
            guid=guid,
            image_url=image_url,
            image_alt=image_alt,
        )
        console.print(f"News item {item.id}: {item.title}")


@command.command("list")
@click.option("--days", default=14, show_default=True, help="Published in the last N days.")
@friendly_errors
def list_(days: int) -> None:
    """List recent news items, hidden ones included (marked)."""
    tz = zone(None)
    since = utcnow() - dt.timedelta(days=days)
    with unit_of_work() as session:
        rows = session.execute(
            select(NewsItem, Source.name)
            .join(Source)
            .where(NewsItem.published_at >= since)
            .order_by(NewsItem.published_at.desc())
        ).all()
        table = Table("id", "published", "source", "title", "hidden")
        for item, source in rows:
            table.add_row(
                str(item.id), local(item.published_at, tz), source, item.title,
                "hidden" if item.hidden else "",
            )  # fmt: skip
    console.print(table if rows else f"No news in the last {days} days.")


@command.command("hide")
@click.argument("item_id", type=int)
@friendly_errors
def hide(item_id: int) -> None:
    """Keep a news item out of the digest (it stays hidden after re-ingest)."""
    with unit_of_work() as session:
        item = set_hidden(session, "news", item_id, True)
        console.print(f"Hidden: {item.title}")


@command.command("show")
@click.argument("item_id", type=int)
@friendly_errors
def show(item_id: int) -> None:
    """Put a hidden news item back into the digest."""
    with unit_of_work() as session:
        item = set_hidden(session, "news", item_id, False)
        console.print(f"Shown again: {item.title}")
