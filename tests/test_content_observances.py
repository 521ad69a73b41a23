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
from tests.observance_dates import PUBLISHED

D = dt.date


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
        "Hanukkah",
        "Kwanzaa",
        "Human Rights Day",
        "International Day of Persons with Disabilities",
        "Nowruz",
        "Purim",
        "Sukkot",
        "Mawlid al-Nabi",
        "Vaisakhi",
        "Mid-Autumn Festival",
        "D\u00eda de los Muertos",
        "Transgender Day of Remembrance",
        "International Women's Day",
        "Veterans Day",
        "Memorial Day",
        "Labor Day",
        "Thanksgiving Day",
        "Easter",
        "Orthodox Easter (Pascha)",
        "Caribbean American Heritage Month",
        "Deaf Awareness Month",
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
        "disability-employment-awareness-month",
        "indigenous-peoples-day",
    }
    soon = starting_between(D(2026, 3, 2), D(2026, 3, 16))
    assert [(o.slug, o.starts_on) for o in soon] == [
        ("purim", D(2026, 3, 3)),
        ("holi", D(2026, 3, 4)),
        ("international-womens-day", D(2026, 3, 8)),
    ]
    later = starting_between(D(2026, 3, 17), D(2026, 4, 2))
    assert [o.slug for o in later] == [
        "eid-al-fitr",
        "nowruz",
        "racial-discrimination-day",
        "mahavir-jayanti",
        "transgender-day-of-visibility",
        "arab-american-heritage-month",
        "minority-health-month",
        "passover",
    ]


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
