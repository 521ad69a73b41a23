"""The observance calendar against dates published by the observing communities.

Conventions (the same as the calendar's): a date is the first full day of the
observance. Jewish and Islamic days begin at sundown the evening before, so
"Passover 2025 begins the evening of April 12" is tested as 2025-04-13.
Islamic dates follow the Umm al-Qura calendar (Saudi Arabia; what US mosques
such as ISNA's Fiqh Council publish in advance can differ by a day), Hindu
festivals the ``holidays`` package's India calendar.
"""

from __future__ import annotations

import datetime as dt

import pytest

from mailer.content.observance_rules import RuleError, spans_in_year, validate_rule
from mailer.content.observance_texts import BUILTINS
from mailer.content.observances import active_on, occurrences, starting_between

D = dt.date

# slug -> {year: (first day, last day)}; sources: timeanddate.com, hebcal.com,
# the US federal holiday calendar (OPM), Library of Congress heritage-month pages.
PUBLISHED: dict[str, dict[int, tuple[dt.date, dt.date]]] = {
    "mlk-day": {
        2025: (D(2025, 1, 20), D(2025, 1, 20)),
        2026: (D(2026, 1, 19), D(2026, 1, 19)),
        2027: (D(2027, 1, 18), D(2027, 1, 18)),
    },
    "lunar-new-year": {
        2025: (D(2025, 1, 29),) * 2,
        2026: (D(2026, 2, 17),) * 2,
        2027: (D(2027, 2, 6),) * 2,
    },
    # Ramadan 2025: first fast March 1 (crescent sighted the evening of Feb 28).
    "ramadan": {
        2025: (D(2025, 3, 1), D(2025, 3, 29)),
        2026: (D(2026, 2, 18), D(2026, 3, 19)),
        2027: (D(2027, 2, 8), D(2027, 3, 8)),
    },
    "eid-al-fitr": {
        2025: (D(2025, 3, 30),) * 2,
        2026: (D(2026, 3, 20),) * 2,
        2027: (D(2027, 3, 9),) * 2,
    },
    "eid-al-adha": {
        2025: (D(2025, 6, 6),) * 2,
        2026: (D(2026, 5, 27),) * 2,
        2027: (D(2027, 5, 16),) * 2,
    },
    # Eight days in the diaspora; 2025: evening of April 12 to nightfall April 20.
    "passover": {
        2025: (D(2025, 4, 13), D(2025, 4, 20)),
        2026: (D(2026, 4, 2), D(2026, 4, 9)),
        2027: (D(2027, 4, 22), D(2027, 4, 29)),
    },
    # 2025: evening of September 22 to nightfall September 24.
    "rosh-hashanah": {
        2025: (D(2025, 9, 23), D(2025, 9, 24)),
        2026: (D(2026, 9, 12), D(2026, 9, 13)),
        2027: (D(2027, 10, 2), D(2027, 10, 3)),
    },
    # 2025: evening of October 1 to nightfall October 2.
    "yom-kippur": {
        2025: (D(2025, 10, 2),) * 2,
        2026: (D(2026, 9, 21),) * 2,
        2027: (D(2027, 10, 11),) * 2,
    },
    "diwali": {
        2025: (D(2025, 10, 20),) * 2,
        2026: (D(2026, 11, 8),) * 2,
        2027: (D(2027, 10, 29),) * 2,
    },
    "holi": {
        2025: (D(2025, 3, 14),) * 2,
        2026: (D(2026, 3, 4),) * 2,
        2027: (D(2027, 3, 22),) * 2,
    },
    "indigenous-peoples-day": {
        2025: (D(2025, 10, 13),) * 2,
        2026: (D(2026, 10, 12),) * 2,
        2027: (D(2027, 10, 11),) * 2,
    },
    "juneteenth": {y: (D(y, 6, 19),) * 2 for y in (2025, 2026, 2027)},
    "hispanic-heritage-month": {y: (D(y, 9, 15), D(y, 10, 15)) for y in (2025, 2026, 2027)},
    "black-history-month": {
        2025: (D(2025, 2, 1), D(2025, 2, 28)),
        2026: (D(2026, 2, 1), D(2026, 2, 28)),
        2027: (D(2027, 2, 1), D(2027, 2, 28)),
    },
    "womens-history-month": {y: (D(y, 3, 1), D(y, 3, 31)) for y in (2025, 2026, 2027)},
    "arab-american-heritage-month": {y: (D(y, 4, 1), D(y, 4, 30)) for y in (2025, 2026, 2027)},
    "aanhpi-heritage-month": {y: (D(y, 5, 1), D(y, 5, 31)) for y in (2025, 2026, 2027)},
    "jewish-american-heritage-month": {y: (D(y, 5, 1), D(y, 5, 31)) for y in (2025, 2026, 2027)},
    "pride-month": {y: (D(y, 6, 1), D(y, 6, 30)) for y in (2025, 2026, 2027)},
    "disability-pride-month": {y: (D(y, 7, 1), D(y, 7, 31)) for y in (2025, 2026, 2027)},
    "filipino-american-history-month": {y: (D(y, 10, 1), D(y, 10, 31)) for y in (2025, 2026, 2027)},
    "lgbtq-history-month": {y: (D(y, 10, 1), D(y, 10, 31)) for y in (2025, 2026, 2027)},
    "native-american-heritage-month": {y: (D(y, 11, 1), D(y, 11, 30)) for y in (2025, 2026, 2027)},
}


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_every_builtin_matches_published_dates(year: int) -> None:
    got = {o.slug: (o.starts_on, o.ends_on) for o in occurrences(year)}
    assert set(got) == {d.slug for d in BUILTINS}
    mismatches = {
        slug: (got.get(slug), years[year])
        for slug, years in PUBLISHED.items()
        if got.get(slug) != years[year]
    }
    assert mismatches == {}
    assert set(PUBLISHED) == {d.slug for d in BUILTINS}, "every built-in has published dates"


def test_calendar_covers_what_the_issue_lists() -> None:
    names = {d.name for d in BUILTINS}
    for needed in [
        "Black History Month",
        "Women's History Month",
        "Arab American Heritage Month",
        "Jewish American Heritage Month",
        "Pride Month",
        "Juneteenth",
        "Disability Pride Month",
        "National Hispanic Heritage Month",
        "Filipino American History Month",
        "LGBTQ History Month",
        "Indigenous Peoples' Day",
        "Native American Heritage Month",
        "Martin Luther King Jr. Day",
        "Lunar New Year",
        "Ramadan",
        "Eid al-Fitr",
        "Eid al-Adha",
        "Passover",
        "Rosh Hashanah",
        "Yom Kippur",
        "Diwali",
        "Holi",
    ]:
        assert needed in names
    assert any("Pacific Islander" in n for n in names)


def test_womens_history_month_uses_the_seed_text() -> None:
    whm = next(d for d in BUILTINS if d.slug == "womens-history-month")
    assert whm.body_md.startswith("This month, WashUMedODEI celebrates Women\u2019s History Month!")
    assert "shatter gender bias" in whm.body_md


def test_active_on_and_starting_between() -> None:
    slugs = {o.slug for o in active_on(D(2026, 3, 2))}
    assert slugs == {"womens-history-month", "ramadan"}
    assert {o.slug for o in active_on(D(2026, 10, 12))} == {
        "hispanic-heritage-month",
        "filipino-american-history-month",
        "lgbtq-history-month",
        "indigenous-peoples-day",
    }
    soon = starting_between(D(2026, 3, 2), D(2026, 3, 16))
    assert [(o.slug, o.starts_on) for o in soon] == [("holi", D(2026, 3, 4))]
    later = starting_between(D(2026, 3, 17), D(2026, 4, 2))
    assert [o.slug for o in later] == ["eid-al-fitr", "arab-american-heritage-month", "passover"]


def test_two_ramadans_in_one_gregorian_year() -> None:
    # The Hijri year is ~11 days shorter: Ramadan 1451 starts in early January 2030
    # and Ramadan 1452 in late December 2030.
    spans = spans_in_year({"kind": "hijri", "month": 9, "day": 1, "until": [10, 1]}, 2030)
    assert len(spans) == 2
    assert spans[0][0].month == 1 and spans[1][0].month == 12
    # The December one runs into 2031 and is active on New Year's Day.
    assert "ramadan" in {o.slug for o in active_on(spans[1][1])}
    assert spans[1][1].year == 2031


def test_range_across_new_year_and_nth_weekday_last() -> None:
    spans = spans_in_year({"kind": "range", "start": [12, 26], "end": [1, 1]}, 2026)
    assert spans == [(D(2026, 12, 26), D(2027, 1, 1))]
    memorial = spans_in_year({"kind": "nth_weekday", "month": 5, "weekday": 0, "n": -1}, 2026)
    assert memorial == [(D(2026, 5, 25), D(2026, 5, 25))]
    assert spans_in_year({"kind": "date", "month": 2, "day": 29}, 2027) == []


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({}, "'kind' must be one of"),
        ({"kind": "month", "month": 13}, "'month' must be a whole number from 1 to 12"),
        ({"kind": "range", "start": [9, 15]}, "'end' must be [month, day]"),
        ({"kind": "nth_weekday", "month": 1, "weekday": 0, "n": 5}, "'n' must be"),
        ({"kind": "holidays", "country": "XX", "name": "Diwali"}, "unknown country code"),
    ],
)
def test_bad_rules_name_the_field(rule: dict[str, object], message: str) -> None:
    with pytest.raises(RuleError, match=message.replace("[", r"\[").replace("]", r"\]")):
        validate_rule(rule)
