"""`mailer sources`: the news and iCalendar feeds we ingest."""

from __future__ import annotations

import click
from rich.table import Table

from mailer.cli_support import (
    console,
    default_actor,
    friendly_errors,
    local,
    session_factory,
    settings,
    unit_of_work,
    zone,
)
from mailer.content.ingest import ingest_source
from mailer.content.sources import (
    add_source,
    find_source,
    list_sources,
    remove_source,
    set_enabled,
)


@click.group("sources")
def command() -> None:
    """Add, list, fetch, disable and remove news and events sources.

    News sources are RSS 2.0, Atom 1.0 or JSON Feed URLs; events sources are
    iCalendar (.ics or webcal://) URLs. `mailer content ingest` fetches them all.
    """


@command.command("add")
@click.argument("kind", type=click.Choice(["news", "events"]))
@click.argument("url")
@click.option("--name", required=True, help="A short name shown in reports, e.g. 'ODEI news'.")
@click.option("--fetch/--no-fetch", default=True, show_default=True, help="Fetch it right away.")
@friendly_errors
def add(kind: str, url: str, name: str, fetch: bool) -> None:
    """Add a source.

    \b
    Examples:
      mailer sources add news https://diversity.wustl.edu/feed/ --name "ODEI news"
      mailer sources add events webcal://calendar.example.edu/odei.ics --name "ODEI events"
    """
    with unit_of_work() as session:
        source = add_source(session, kind=kind, url=url, name=name, actor=default_actor())
        source_id = source.id
    console.print(f"Added {kind} source {source_id}: {name} <{url}>")
    if fetch:
        report = ingest_source(session_factory(), settings(), source_id)
        console.print(report.line())
        if report.status == "failing":
            raise SystemExit(1)


@command.command("list")
@click.option("--kind", type=click.Choice(["news", "events"]), default=None)
@friendly_errors
def list_(kind: str | None) -> None:
    """List sources with their last fetch, and why the last one failed or what it warned of."""
    tz = zone(None)
    with unit_of_work() as session:
        rows = list_sources(session, kind)
        table = Table(
            "id", "kind", "name", "url", "enabled", "status", "last ok", "error / warning"
        )
        for s in rows:
            table.add_row(
                str(s.id),
                s.kind,
                s.name,
                s.url,
                "yes" if s.enabled else "no",
                s.last_status,
                local(s.last_ok_at, tz),
                (s.last_error or (f"warning: {s.last_warning}" if s.last_warning else ""))[:120],
            )
    if rows:
        console.print(table)
    else:
        console.print("No sources yet; add one with `mailer sources add news URL --name NAME`.")


def _toggle(ref: str, enabled: bool) -> None:
    with unit_of_work() as session:
        source = find_source(session, ref)
        set_enabled(session, source, enabled, actor=default_actor())
        console.print(f"{'Enabled' if enabled else 'Disabled'} {source.kind} source {source.name}")


@command.command("disable")
@click.argument("ref")
@friendly_errors
def disable(ref: str) -> None:
    """Stop fetching a source (by id or name); its items stay."""
    _toggle(ref, False)


@command.command("enable")
@click.argument("ref")
@friendly_errors
def enable(ref: str) -> None:
    """Fetch a disabled source again."""
    _toggle(ref, True)


@command.command("remove")
@click.argument("ref")
@click.confirmation_option(prompt="Remove the source and every item it brought in?")
@friendly_errors
def remove(ref: str) -> None:
    """Delete a source and its items (use `disable` to keep the items)."""
    with unit_of_work() as session:
        source = find_source(session, ref)
        name = source.name
        remove_source(session, source, actor=default_actor())
    console.print(f"Removed {name}")
