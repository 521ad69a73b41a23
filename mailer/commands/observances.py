"""`mailer observances`: the heritage-month and observance calendar and its features."""

from __future__ import annotations

import json
from pathlib import Path

import click

from mailer.cli_support import console, default_actor, friendly_errors, unit_of_work
from mailer.content import observances as cal
from mailer.content.markup import strip_tags
from mailer.content.observance_features import get_row, reset_feature, set_feature


@click.group("observances")
def command() -> None:
    """The observance calendar: list a year, and write the feature for an observance.

    Built-in observances (78 of them) follow rules: a month, a date range or
    day, the n-th weekday of a month, Easter (Western or Orthodox), a date of
    the Islamic, Hebrew, Chinese, Persian or Julian calendar, or a published
    national holiday; each is computed for any year (docs/content.md lists the
    rule kinds). Admins write the feature text shown in the digest; the
    built-in text is the fallback.
    """


@command.command("list")
@click.option("--year", type=int, default=None, help="Default: this year.")
@friendly_errors
def list_(year: int | None) -> None:
    """Print the year's calendar, with whether a custom feature is written.

    \b
    Example:
      mailer observances list --year 2027
    """
    import datetime as dt

    year = year or dt.date.today().year
    with unit_of_work() as session:
        defs = cal.definitions(session)
        custom = {d.slug for d in defs if get_row(session, d.slug) is not None}
    console.print(f"Observances {year}")
    for o in cal.occurrences(year, defs):
        ends = "" if o.ends_on == o.starts_on else o.ends_on.strftime("%a %b %d, %Y")
        source = "custom feature" if o.slug in custom else "built-in feature"
        console.print(
            f"{o.starts_on:%a %b %d, %Y}  {ends:<16}  {o.name}  [{o.slug}; {source}]",
            markup=False,
            soft_wrap=True,
        )
    console.print(
        "Jewish and Islamic dates are first full days: they begin at sundown the evening "
        "before. Islamic dates follow the Umm al-Qura calendar."
    )


@command.command("show")
@click.argument("slug")
@friendly_errors
def show(slug: str) -> None:
    """Show the feature an edition would carry for an observance."""
    import datetime as dt

    with unit_of_work() as session:
        defs = cal.definitions(session)
    found = [o for o in cal.occurrences(dt.date.today().year, defs) if o.slug == slug]
    found += [o for o in cal.occurrences(dt.date.today().year + 1, defs) if o.slug == slug]
    if not found:
        raise click.ClickException(f"no observance {slug!r}; `mailer observances list` shows them")
    feature = cal.feature_for(found[0], defs)
    console.print(f"[bold]{feature.title}[/bold]  ({feature.starts_on} to {feature.ends_on})")
    console.print(strip_tags(feature.body_html))
    if feature.image_url:
        console.print(f"Image: {feature.image_url} (alt: {feature.image_alt})")
    for link in feature.links:
        console.print(f"Link: {link.label} <{link.url}>")


def _link(value: str) -> tuple[str, str]:
    label, sep, url = value.rpartition("=")
    if not sep:
        raise click.BadParameter(
            f"{value!r}: write links as 'Label=https://...'", param_hint="--link"
        )
    return label.strip() or url, url.strip()


@command.command("set")
@click.argument("slug")
@click.option("--name", default=None, help="Display name (required for a new custom observance).")
@click.option("--rule", default=None, help='JSON rule, e.g. \'{"kind": "month", "month": 9}\'.')
@click.option("--title", default=None, help="Feature heading.")
@click.option("--body", default=None, help="Feature text in Markdown.")
@click.option("--body-file", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--image-url", default=None)
@click.option("--image-alt", default=None, help="Required with an image: describe it.")
@click.option("--link", "links", multiple=True, help="Label=https://... (repeatable).")
@click.option("--enable/--disable", "enabled", default=None, help="Feature it or not.")
@friendly_errors
def set_(
    slug: str,
    name: str | None,
    rule: str | None,
    title: str | None,
    body: str | None,
    body_file: str | None,
    image_url: str | None,
    image_alt: str | None,
    links: tuple[str, ...],
    enabled: bool | None,
) -> None:
    """Write the feature for an observance, or add a custom observance.

    \b
    Examples:
      mailer observances set womens-history-month --title "Women in medicine" \\
        --body-file whm.md --image-url https://example.org/whm.jpg \\
        --image-alt "Portraits of women physicians" --link "Events=https://example.org/whm"
      mailer observances set match-day --name "Match Day" \\
        --rule '{"kind": "nth_weekday", "month": 3, "weekday": 4, "n": 3}'
      mailer observances set ramadan --disable
    """
    parsed_rule = None
    if rule is not None:
        try:
            parsed_rule = json.loads(rule)
        except json.JSONDecodeError as exc:
            raise click.BadParameter(f"not JSON: {exc}", param_hint="--rule") from None
        if not isinstance(parsed_rule, dict):
            raise click.BadParameter("must be a JSON object", param_hint="--rule")
    if body_file:
        body = Path(body_file).read_text(encoding="utf-8")
    with unit_of_work() as session:
        set_feature(
            session,
            slug,
            actor=default_actor(),
            name=name,
            rule=parsed_rule,
            title=title,
            body_md=body,
            image_url=image_url,
            image_alt=image_alt,
            links=[_link(v) for v in links] if links else None,
            enabled=enabled,
        )
    console.print(f"Saved the feature for {slug}.")


@command.command("reset")
@click.argument("slug")
@friendly_errors
def reset(slug: str) -> None:
    """Forget the admin's feature: back to the built-in text (or remove a custom one)."""
    with unit_of_work() as session:
        done = reset_feature(session, slug, actor=default_actor())
    console.print(f"Reset {slug}." if done else f"{slug} had no custom feature.")
