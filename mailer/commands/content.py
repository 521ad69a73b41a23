"""`mailer content`: ingest every source, and preview what an edition would carry."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import click
from rich.progress import Progress

from mailer.cli_support import (
    console,
    friendly_errors,
    get_list,
    parse_day,
    session_factory,
    settings,
    unit_of_work,
)
from mailer.content.ingest import SourceReport, ingest_all, ingest_source
from mailer.content.markup import strip_tags
from mailer.content.selection import select_edition_content
from mailer.content.sources import find_source
from mailer.delivery.campaigns import edition_history
from subscribers import lists


@click.group("content")
def command() -> None:
    """Fetch news and events, and see what an edition would contain."""


@command.command("ingest")
@click.option("--source", "ref", default=None, help="Only this source (id or name).")
@friendly_errors
def ingest(ref: str | None) -> None:
    """Fetch every enabled source; print new/updated/unchanged counts or the error.

    A failing source is recorded (see `mailer sources list`) and does not stop
    the others; its earlier items are kept. Exits 1 if any source failed.
    """
    s = settings()
    if ref:
        with unit_of_work() as session:
            source_id = find_source(session, ref).id
        reports = [ingest_source(session_factory(), s, source_id)]
    else:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Fetching sources", total=None)

            def step(report: SourceReport) -> None:
                progress.advance(task)
                progress.console.print(report.line())

            reports = ingest_all(session_factory(), s, progress=step)
    if ref:
        console.print(reports[0].line())
    if not reports:
        console.print("No sources to fetch; add one with `mailer sources add`.")
    failed = [r for r in reports if r.status == "failing"]
    if reports:
        console.print(
            f"{len(reports)} source(s): {sum(r.new for r in reports)} new, "
            f"{sum(r.updated for r in reports)} updated, {len(failed)} failing"
        )
    if failed:
        raise SystemExit(1)


@command.command("preview")
@click.option("--list", "slug", required=True, help="The list's slug.")
@click.option("--date", "day", default=None, help="Edition date, YYYY-MM-DD (default: today).")
@friendly_errors
def preview(slug: str, day: str | None) -> None:
    """Show, section by section, what the edition of a list for a date would carry."""
    s = settings()
    with unit_of_work() as session:
        ml = get_list(session, slug)
        on = parse_day(day, "--date") or lists.list_today(ml, default=s.default_timezone)
        history = edition_history(session, ml.id, on)
        content = select_edition_content(session, ml, on, s, history)
    console.print(
        f"[bold]{content.list_name}[/bold], edition of {on.isoformat()} ({content.timezone})"
    )
    if content.is_empty:
        console.print("Nothing to send: this edition would be skipped unless forced.")
        return
    if content.features:
        console.print("\n[bold]Features[/bold]")
        for f in content.features:
            console.print(f"  {f.title} ({f.starts_on} to {f.ends_on})", markup=False)
    if content.coming_up:
        console.print("\n[bold]Coming up[/bold]")
        for c in content.coming_up:
            console.print(f"  {c.starts_on:%b %d}: {c.name}", markup=False)
    if content.announcements:
        console.print("\n[bold]Announcements[/bold]")
        for a in content.announcements:
            console.print(f"  {a.title}", markup=False)
    if content.news:
        console.print("\n[bold]News[/bold]")
        for n in content.news:
            published = n.published_at.astimezone(ZoneInfo(content.timezone))
            console.print(f"  [{n.id}] {published:%Y-%m-%d} {n.title}", markup=False)
            if n.summary_html:
                console.print(f"      {strip_tags(n.summary_html)[:100]}", markup=False)
    if content.events:
        console.print("\n[bold]Events[/bold]")
        for e in content.events:
            when = f"{e.starts_at:%a %b %d}" + ("" if e.all_day else f" {e.starts_at:%H:%M}")
            place = f", {e.location}" if e.location else ""
            console.print(f"  [{e.id}] {when} {e.title}{place}", markup=False)
