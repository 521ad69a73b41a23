"""The observance calendar: which heritage months and holy days fall on a date.

The built-in calendar (:mod:`mailer.content.observance_texts`) is a list of
rules (:mod:`mailer.content.observance_rules`) with fallback texts. Admins
write the feature for an observance in the ``observances`` table: a row whose
slug matches a built-in one replaces its text (and its rule, if the row has
one) or, with ``enabled`` off, drops it; a row with a new slug and a rule adds
a custom observance. The functions without a ``definitions`` argument use the
built-in calendar only, so they need no database.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer.content.edition import ComingUpEntry, FeatureEntry, Link
from mailer.content.markup import render_markdown
from mailer.content.models import Observance
from mailer.content.observance_rules import RuleError, spans_in_year
from mailer.content.observance_texts import BUILTIN_BY_SLUG, BUILTINS, ObservanceDef

log = logging.getLogger(__name__)

__all__ = [
    "BUILTINS",
    "ObservanceDef",
    "Occurrence",
    "active_on",
    "coming_up_entry",
    "definitions",
    "feature_for",
    "for_edition",
    "occurrences",
    "starting_between",
]


@dataclass(frozen=True, order=True)
class Occurrence:
    """One observance in one year: first and last day, inclusive."""

    starts_on: dt.date
    ends_on: dt.date
    slug: str
    name: str

    def covers(self, day: dt.date) -> bool:
        return self.starts_on <= day <= self.ends_on


def occurrences(year: int, defs: Sequence[ObservanceDef] | None = None) -> list[Occurrence]:
    """Every occurrence starting in ``year``, in date order.

    An observance whose rule cannot be evaluated (a bad admin rule) is logged
    and left out rather than taking the whole calendar down.
    """
    result: list[Occurrence] = []
    for d in BUILTINS if defs is None else defs:
        try:
            spans = spans_in_year(d.rule, year)
        except RuleError as exc:
            log.warning("observance %s: %s; left out of the calendar", d.slug, exc)
            continue
        result.extend(Occurrence(start, end, d.slug, d.name) for start, end in spans)
    return sorted(result)


def _around(a: dt.date, b: dt.date, defs: Sequence[ObservanceDef] | None) -> list[Occurrence]:
    # A range can start the year before (a December-January span), so look one year back.
    found: list[Occurrence] = []
    for year in range(a.year - 1, b.year + 1):
        found.extend(occurrences(year, defs))
    return found


def active_on(day: dt.date, defs: Sequence[ObservanceDef] | None = None) -> list[Occurrence]:
    """Observances whose span includes ``day``, earliest start first."""
    return [o for o in _around(day, day, defs) if o.covers(day)]


def starting_between(
    a: dt.date, b: dt.date, defs: Sequence[ObservanceDef] | None = None
) -> list[Occurrence]:
    """Observances whose first day is in ``[a, b]`` (both inclusive), in date order."""
    return [o for o in _around(a, b, defs) if a <= o.starts_on <= b]


#: "Coming up" looks this many days past the edition date.
COMING_UP_DAYS = 14
#: An observance that began this many days before the edition is still news in it.
NEW_DAYS = 7


def lead_order(found: Iterable[Occurrence], on: dt.date, next_on: dt.date) -> list[Occurrence]:
    """Features in the order an edition shows them; the first one leads its subject.

    What is new this week leads (begun in the last seven days or beginning before
    the next edition), the longer first, so the month that starts this week comes
    before its days; then what is already under way, earliest first. A December
    edition cannot lead with a month that is long over, and an edition in the
    last days of Ramadan leads with Women's History Month when March begins.
    """

    def key(o: Occurrence) -> tuple[bool, int, dt.date, str]:
        new = on - dt.timedelta(days=NEW_DAYS - 1) <= o.starts_on < next_on
        length = (o.ends_on - o.starts_on).days
        return (not new, -length if new else 0, o.starts_on, o.slug)

    return sorted(found, key=key)


def for_edition(
    on: dt.date, next_on: dt.date, defs: Sequence[ObservanceDef] | None = None
) -> tuple[list[Occurrence], list[Occurrence]]:
    """(features, coming up) of the edition dated ``on`` when the next one is dated ``next_on``.

    Features are the observances under way on ``on`` and those that begin and end
    before ``next_on``: a single day between two editions (Juneteenth on a
    Friday, Eid on a Wednesday) would otherwise never be under way on an edition
    date and would only ever get a line under "Coming up". Coming up lists what
    begins in the next 14 days and is not featured.
    """
    upcoming = starting_between(
        on + dt.timedelta(days=1), on + dt.timedelta(days=COMING_UP_DAYS), defs
    )
    between = [o for o in upcoming if o.ends_on < next_on]
    features = lead_order(active_on(on, defs) + between, on, next_on)
    featured = {o.slug for o in features}
    return features, [o for o in upcoming if o.slug not in featured]


def _merge(base: ObservanceDef | None, row: Observance) -> ObservanceDef | None:
    """The admin's row laid over the built-in definition (empty fields fall back)."""
    links = tuple(
        (str(link.get("label") or link.get("url")), str(link["url"]))
        for link in (row.links or [])
        if isinstance(link, dict) and link.get("url")
    )
    if base is None:
        if not row.rule:
            log.warning("observance %s has no rule and is not built in; ignored", row.slug)
            return None
        base = ObservanceDef(row.slug, row.name, dict(row.rule), row.name, "")
    return replace(
        base,
        name=row.name or base.name,
        rule=dict(row.rule) if row.rule else base.rule,
        title=row.feature_title or base.title,
        body_md=row.feature_body_md or base.body_md,
        image_url=row.image_url or base.image_url,
        image_alt=row.image_alt if row.image_url else base.image_alt,
        links=links or base.links,
    )


def definitions(session: Session) -> list[ObservanceDef]:
    """The calendar in force: built-ins merged with the admins' rows."""
    rows = {r.slug: r for r in session.scalars(select(Observance))}
    defs: list[ObservanceDef] = []
    for d in BUILTINS:
        row = rows.pop(d.slug, None)
        if row is None:
            defs.append(d)
        elif row.enabled:
            merged = _merge(d, row)
            if merged:
                defs.append(merged)
    for row in sorted(rows.values(), key=lambda r: r.slug):
        if row.enabled:
            merged = _merge(None, row)
            if merged:
                defs.append(merged)
    return defs


def feature_for(occ: Occurrence, defs: Iterable[ObservanceDef] | None = None) -> FeatureEntry:
    """The feature shown in an edition: the admin's text where written, else the built-in."""
    by_slug = BUILTIN_BY_SLUG if defs is None else {d.slug: d for d in defs}
    d = by_slug.get(occ.slug) or ObservanceDef(occ.slug, occ.name, {}, occ.name, "")
    body = d.body_md + (f"\n\n*{d.note}*" if d.note else "")
    return FeatureEntry(
        slug=occ.slug,
        name=d.name,
        title=d.title or d.name,
        body_html=render_markdown(body),
        starts_on=occ.starts_on,
        ends_on=occ.ends_on,
        image_url=d.image_url,
        image_alt=d.image_alt,
        links=tuple(Link(label, url) for label, url in d.links),
    )


def coming_up_entry(occ: Occurrence) -> ComingUpEntry:
    return ComingUpEntry(occ.slug, occ.name, occ.starts_on, occ.ends_on)
