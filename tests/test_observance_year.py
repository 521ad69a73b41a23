"""The observance year is full: 60+ rules that compute for any year, and every week has one.

Dates are checked against published calendars (see tests/observance_dates.py);
nothing here is typed in per year except those published dates.
"""

from __future__ import annotations

import datetime as dt
import itertools
import warnings

import pytest

from mailer.content.observance_rules import RuleError, spans_in_year, validate_rule
from mailer.content.observance_texts import BUILTINS, EVE
from mailer.content.observances import for_edition, lead_order, occurrences
from tests.observance_dates import LATER

D = dt.date


def test_the_calendar_has_at_least_sixty_observances_with_unique_slugs() -> None:
    assert len(BUILTINS) >= 60
    assert len({d.slug for d in BUILTINS}) == len(BUILTINS)
    assert len({d.name for d in BUILTINS}) == len(BUILTINS)


@pytest.mark.parametrize(("slug", "first_day"), LATER, ids=[f"{s}-{d.year}" for s, d in LATER])
def test_later_years_match_published_dates(slug: str, first_day: dt.date) -> None:
    starts = [o.starts_on for o in occurrences(first_day.year) if o.slug == slug]
    assert starts == [first_day]


KNOWN_GAPS = {"holi": {2002, 2011}, "janmashtami": {2008, 2017}}


def _years_with_a_date(rule: dict[str, object]) -> set[int]:
    return {year for year in range(2000, 2101) if spans_in_year(rule, year)}


def test_every_rule_computes_for_every_year_2000_to_2100() -> None:
    gaps: dict[str, list[int]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a library warning would be a silent wrong date
        for d in BUILTINS:
            years = _years_with_a_date(d.rule)  # raises on any error
            kind = d.rule["kind"]
            if kind == "holidays" and "fallback" not in d.rule:
                # The holidays package tabulates India's festivals for 2001-2035, as the
                # government lists them; those lists left out Holi in 2002 and 2011 and
                # Janmashtami in 2008 and 2017 (on a Sunday or another holiday).
                expected = set(range(2001, 2036)) - KNOWN_GAPS.get(d.slug, set())
            elif kind == "chinese":
                expected = set(range(2000, 2100))  # lunardate's table ends with 2099
            else:
                expected = set(range(2000, 2101))
            missing = sorted(expected - years)
            if missing:
                gaps[d.slug] = missing
    assert gaps == {}


def test_islamic_dates_continue_past_the_umm_al_qura_tables() -> None:
    # hijridate's tables end in November 2077; the arithmetical calendar carries on,
    # and the seam does not jump: Ramadan still comes about 354 days after the last.
    rule = next(d.rule for d in BUILTINS if d.slug == "ramadan")
    starts = [s for year in range(2074, 2084) for s, _ in spans_in_year(rule, year)]
    gaps = [(b - a).days for a, b in itertools.pairwise(starts)]
    assert len(starts) >= 9 and all(353 <= g <= 356 for g in gaps), gaps
    assert all(
        28 <= (e - s).days <= 29 for year in (2090, 2100) for s, e in spans_in_year(rule, year)
    )


def test_purim_moves_to_adar_ii_in_a_hebrew_leap_year() -> None:
    # 5787 is a leap year: Purim is 14 Adar II (March 23, 2027), not 14 Adar I (February 21).
    rule = next(d.rule for d in BUILTINS if d.slug == "purim")
    assert spans_in_year(rule, 2027) == [(D(2027, 3, 23), D(2027, 3, 23))]
    assert spans_in_year(rule, 2026) == [(D(2026, 3, 3), D(2026, 3, 3))]


def test_vaisakhi_uses_the_indian_list_then_the_nanakshahi_date() -> None:
    rule = next(d.rule for d in BUILTINS if d.slug == "vaisakhi")
    assert {spans_in_year(rule, y)[0][0] for y in (2024, 2025, 2028)} == {
        D(2024, 4, 13),
        D(2025, 4, 13),
        D(2028, 4, 13),
    }
    assert spans_in_year(rule, 2050) == [(D(2050, 4, 14), D(2050, 4, 14))]


def test_nowruz_follows_the_equinox_rule_not_a_fixed_date() -> None:
    rule = next(d.rule for d in BUILTINS if d.slug == "nowruz")
    starts = {spans_in_year(rule, y)[0][0] for y in range(2024, 2034)}
    assert {d.day for d in starts} == {20, 21} and all(d.month == 3 for d in starts)
    # 2024: the equinox came at 06:36 in Tehran (before noon), so Nowruz was that day.
    assert D(2024, 3, 20) in starts


def test_every_text_is_a_real_feature() -> None:
    for d in BUILTINS:
        assert d.title.strip() and d.name.strip(), d.slug
        assert 80 <= len(d.body_md) <= 700, (d.slug, len(d.body_md))
        assert "lorem" not in d.body_md.lower() and "TODO" not in d.body_md, d.slug
        assert "  " not in d.body_md and " ," not in d.body_md, d.slug
        assert d.body_md.rstrip().endswith((".", "!", ")")), d.slug
        if d.rule["kind"] in {"hebrew", "hijri"}:
            assert d.note == EVE, d.slug


def _mondays(year: int) -> list[dt.date]:
    day = D(year, 1, 1) + dt.timedelta(days=(7 - D(year, 1, 1).weekday()) % 7)
    return [
        day + dt.timedelta(weeks=w) for w in range(53) if (day + dt.timedelta(weeks=w)).year == year
    ]


@pytest.mark.parametrize("year", [2026, 2027, 2028, 2029, 2030])
def test_no_week_and_no_month_is_without_a_feature_or_a_coming_observance(year: int) -> None:
    months_with_a_feature: set[int] = set()
    for monday in _mondays(year):
        features, coming = for_edition(monday, monday + dt.timedelta(days=7))
        assert features or coming, monday
        if features:
            months_with_a_feature.add(monday.month)
    assert months_with_a_feature == set(range(1, 13))


def test_a_single_day_before_the_next_edition_is_featured_not_only_coming_up() -> None:
    # Monday, June 15, 2026: Juneteenth is Friday; the next edition is June 22.
    features, coming = for_edition(D(2026, 6, 15), D(2026, 6, 22))
    assert "juneteenth" in [f.slug for f in features]
    assert "juneteenth" not in [c.slug for c in coming]
    # Two weeks earlier it is too far off: a line under "Coming up" only.
    features, coming = for_edition(D(2026, 6, 8), D(2026, 6, 15))
    assert "juneteenth" in [c.slug for c in coming]
    assert "juneteenth" not in [f.slug for f in features]
    # Rosh Hashanah 2026 (two days, September 12-13) falls between two Mondays.
    features, _ = for_edition(D(2026, 9, 7), D(2026, 9, 14))
    assert {"rosh-hashanah", "labor-day"} <= {f.slug for f in features}
    # A multi-day observance still running at the next edition waits to be featured then.
    features, coming = for_edition(D(2026, 12, 2), D(2026, 12, 7))
    assert [f.slug for f in features] == ["disability-day"]
    assert "hanukkah" in [c.slug for c in coming]


@pytest.mark.parametrize(
    ("on", "lead"),
    [
        (D(2026, 12, 2), "disability-day"),
        (D(2027, 2, 10), "ramadan"),
        (D(2027, 3, 1), "womens-history-month"),
        (D(2027, 3, 5), "womens-history-month"),
        (D(2027, 6, 15), "ashura"),
        (D(2027, 9, 20), "hispanic-heritage-month"),
        (D(2027, 11, 1), "native-american-heritage-month"),
    ],
)
def test_what_is_new_this_week_leads(on: dt.date, lead: str) -> None:
    features, _ = for_edition(on, on + dt.timedelta(days=7 - on.weekday()))
    assert features[0].slug == lead
    assert lead_order(list(reversed(features)), on, on + dt.timedelta(days=7)) == features


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"kind": "easter", "method": "coptic"}, "'method' must be"),
        ({"kind": "easter", "offset": 400}, "'offset' must be a whole number"),
        ({"kind": "hebrew", "month": 12, "day": 14, "leap_month": 14}, "'leap_month'"),
        (
            {"kind": "holidays", "country": "IN", "name": "Vaisakhi", "fallback": {"kind": "x"}},
            "'kind' must be one of",
        ),
        ({"kind": "persian", "month": 13, "day": 1}, "'month' must be a whole number"),
        ({"kind": "holidays", "country": "IN", "name": "Diwali", "fallback": 4}, "'fallback'"),
    ],
)
def test_new_rule_kinds_refuse_bad_fields(rule: dict[str, object], message: str) -> None:
    with pytest.raises(RuleError, match=message):
        validate_rule(rule)
