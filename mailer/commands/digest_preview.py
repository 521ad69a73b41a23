"""`mailer digest preview` and `mailer digest check`: see and vet an edition before it goes out.

This module extends the ``digest`` group (``extends = "digest"``). Both
commands build the edition exactly as a send would (content selection, one
render, one inlining) and look at that snapshot, so what you preview is what
is sent.
"""

from __future__ import annotations

import webbrowser
from dataclasses import replace
from pathlib import Path

import click
from rich.table import Table
from sqlalchemy import select

from mailer.cli_support import console, parse_day, session_factory
from mailer.compose.checks import Finding, check_snapshot, has_errors
from mailer.compose.gate import edition_findings
from mailer.compose.render import TemplateProblem, render_digest
from mailer.compose.samples import demo_edition, maximal_edition
from mailer.config import Settings, get_settings
from mailer.delivery.preview import Edition, current_edition, stored_snapshot, write_preview
from subscribers import lists
from subscribers.models import MailingList

extends = "digest"

__all__ = ["Edition", "build_edition", "check", "preview", "stored_snapshot"]

SAMPLES = {"demo": demo_edition, "maximal": maximal_edition}


# The edition a send would use (stored campaign, else selected and rendered now) is
# found by ``mailer.delivery.preview.current_edition``, shared with the web preview.


def build_edition(
    slug: str, date: str | None, sample: str | None, settings: Settings, fresh: bool = False
) -> Edition:
    """Find the list and its edition: the stored one, else selected content (or a sample)."""
    with session_factory(settings)() as session:
        mailing_list = session.scalar(select(MailingList).where(MailingList.slug == slug))
        if mailing_list is None and not sample:
            known = session.scalars(select(MailingList.slug).order_by(MailingList.slug)).all()
            raise click.ClickException(
                f"no list with slug {slug!r}; known lists: {', '.join(known) or 'none'}"
            )
        if mailing_list is None:
            mailing_list = MailingList(
                id=0, slug=slug, name=slug, description="", timezone=settings.default_timezone
            )
        try:
            on = parse_day(date) or lists.list_today(
                mailing_list, default=settings.default_timezone
            )
        except lists.ListError as exc:
            raise click.ClickException(str(exc)) from None
        if sample:
            content = SAMPLES[sample](mailing_list.id or 0, mailing_list.slug)
            if date:
                content = replace(content, edition_date=on)
        else:
            try:
                edition = current_edition(session, mailing_list, on, settings, fresh=fresh)
            except TemplateProblem as exc:
                raise click.ClickException(str(exc)) from None
        if mailing_list in session:
            session.expunge(mailing_list)
    if not sample:
        return edition
    try:
        snapshot = render_digest(content, mailing_list, settings)
    except TemplateProblem as exc:
        raise click.ClickException(str(exc)) from None
    return Edition(
        snapshot,
        mailing_list,
        content.edition_date,
        f"sample ({sample})",
        content.notes,
        content.is_empty,
    )


def _findings_table(findings: list[Finding]) -> tuple[Table, bool]:
    table = Table(show_header=True, header_style="bold")
    table.add_column("level")
    table.add_column("rule")
    table.add_column("finding", overflow="fold")  # a template's path is never cut
    for f in findings:
        style = "red" if f.level == "error" else "yellow"
        table.add_row(f"[{style}]{f.level}[/{style}]", f.rule, f.message)
    return table, has_errors(findings)


_list_option = click.option("--list", "slug", required=True, help="The list's slug.")
_date_option = click.option(
    "--date",
    "date",
    default=None,
    help="Edition date, YYYY-MM-DD (default: today in the list's time zone).",
)
_fresh_option = click.option(
    "--fresh",
    is_flag=True,
    help="Render the edition again even if this week's campaign already exists.",
)
_sample_option = click.option(
    "--sample",
    type=click.Choice(sorted(SAMPLES)),
    default=None,
    help="Render sample content instead of the list's content (for designing templates).",
)


@click.command("preview")
@_list_option
@_date_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("preview"),
    show_default=True,
    help="Folder for the .html, .txt and .eml files.",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the HTML in a web browser.")
@_fresh_option
@_sample_option
def preview(
    slug: str,
    date: str | None,
    out_dir: Path,
    open_browser: bool,
    fresh: bool,
    sample: str | None,
) -> None:
    """Write the digest of a list as a sample recipient gets it: HTML, text and .eml.

    Once this week's edition has been created (by `mailer digest send` or the
    scheduler) its stored snapshot is shown, since that is what is sent;
    before that, the edition is selected and rendered now.

    \b
    Example:
      mailer digest preview --list odei-weekly --date 2025-03-03 --open
      mailer digest preview --list odei-weekly --sample maximal --out /tmp/preview
    """
    settings = get_settings()
    edition = build_edition(slug, date, sample, settings, fresh)
    snapshot, mailing_list = edition.snapshot, edition.mailing_list
    stem = f"{mailing_list.slug}-{edition.edition_date.isoformat()}"
    files = write_preview(snapshot, mailing_list, settings, out_dir, stem)
    console.print(f"[bold]{snapshot.subject}[/bold]  [dim]({edition.source})[/dim]")
    console.print(f"preheader: {snapshot.preheader}")
    for note in edition.notes:
        console.print(f"note: {note}")
    size = len(snapshot.html.encode("utf-8"))
    console.print(f"HTML  {files.html}  ({size:,} bytes)")
    console.print(f"text  {files.text}")
    console.print(f"eml   {files.eml}")
    table, _ = _findings_table(check_snapshot(snapshot))
    if table.row_count:
        console.print(table)
    for variant in edition.variants:
        if variant.snapshot is None:
            console.print(f"topics {variant.label}: nothing this week (those readers are skipped)")
            continue
        files_v = write_preview(
            variant.snapshot, mailing_list, settings, out_dir, f"{stem}--{variant.slug}"
        )
        console.print(f"topics {variant.label}: {files_v.html}  ({variant.snapshot.subject})")
    if open_browser:
        webbrowser.open(files.html.resolve().as_uri())


@click.command("check")
@_list_option
@_date_option
@_fresh_option
@_sample_option
def check(slug: str, date: str | None, fresh: bool, sample: str | None) -> None:
    """Check the digest of a list for what would hurt delivery or reading.

    Reports HTML size against Gmail's 102 KB clip, images without alt text,
    links that are not absolute https, a missing text part or unsubscribe
    link, subject length, image-to-text ratio, contrast and more. Checks the
    stored edition once this week's campaign exists, and renders the maximal
    sample edition with the list's templates, so a template error in a section
    that is empty this week is caught too. Exits 1 when any error is found;
    `mailer digest send` refuses such an edition unless given --force:

    \b
      mailer digest check --list odei-weekly && mailer digest send --list odei-weekly
    """
    settings = get_settings()
    edition = build_edition(slug, date, sample, settings, fresh)
    snapshot = edition.snapshot
    console.print(f"[bold]{snapshot.subject}[/bold]  [dim]({edition.source})[/dim]")
    for note in edition.notes:
        console.print(f"note: {note}")
    if edition.empty:
        console.print("[yellow]the edition is empty: nothing new for this list[/yellow]")
    # The maximal sample too, with the list's templates, unless it is what we check.
    findings = (
        check_snapshot(snapshot)
        if sample
        else edition_findings(snapshot, edition.mailing_list, settings)
    )
    # Every variant in use (one per topic set among the readers), checked the same way.
    for variant in edition.variants:
        if variant.snapshot is None:
            console.print(f"topics {variant.label}: nothing this week (those readers are skipped)")
            continue
        findings += [
            replace(f, message=f"topics {variant.label}: {f.message}")
            for f in check_snapshot(variant.snapshot)
        ]
    table, failed = _findings_table(findings)
    if table.row_count:
        console.print(table)
    if failed:
        raise click.ClickException("the digest has errors; fix them before sending")
    size = len(snapshot.html.encode("utf-8"))
    console.print(f"[green]ok[/green]: no errors ({size:,} bytes of HTML)")


commands = [preview, check]
