"""Observance calendar (first cut: heritage months by fixed month).

Superseded by the full rule engine of the content issue.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

MONTHLY = {
    2: ("black-history-month", "Black History Month"),
    3: ("womens-history-month", "Women's History Month"),
    6: ("pride-month", "Pride Month"),
    11: ("native-american-heritage-month", "Native American Heritage Month"),
}


@dataclass(frozen=True)
class Occurrence:
    slug: str
    name: str
    starts_on: dt.date
    ends_on: dt.date


def occurrences(year: int) -> list[Occurrence]:
    return [
        Occurrence(
            slug, name, dt.date(year, m, 1), dt.date(year, m, calendar.monthrange(year, m)[1])
        )
        for m, (slug, name) in sorted(MONTHLY.items())
    ]


def active_on(day: dt.date) -> list[Occurrence]:
    return [o for o in occurrences(day.year) if o.starts_on <= day <= o.ends_on]
