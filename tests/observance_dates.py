"""Published dates of the built-in observances, for the calendar tests.

Sources: timeanddate.com and hebcal.com (Jewish days: the first full day; the
observance begins at sundown the evening before), the Umm al-Qura calendar
(islamicfinder.org; what U.S. mosques announce can differ by a day), the U.S.
federal holiday calendar (OPM), the Government of India's holiday lists (Hindu,
Sikh and Jain festivals), the Hong Kong Observatory's lunar calendar (Lunar New
Year, Buddha's Birthday, Mid-Autumn), the Iranian calendar (Nowruz =
1 Farvardin), the Library of Congress heritage-month pages and the United
Nations' list of international days.
"""

from __future__ import annotations

import calendar
import datetime as dt

D = dt.date
Years = dict[int, tuple[dt.date, dt.date]]
YEARS = (2025, 2026, 2027)


def one(*days: dt.date) -> Years:
    """Single-day observances: one date per year of YEARS."""
    return {d.year: (d, d) for d in days}


def fixed(month: int, day: int, last: tuple[int, int] | None = None) -> Years:
    spans: Years = {}
    for y in YEARS:
        end_y = y + 1 if last and last < (month, day) else y
        spans[y] = (D(y, month, day), D(end_y, *last) if last else D(y, month, day))
    return spans


def whole_month(month: int) -> Years:
    return {y: (D(y, month, 1), D(y, month, calendar.monthrange(y, month)[1])) for y in YEARS}


def span(*pairs: tuple[dt.date, dt.date]) -> Years:
    return {a.year: (a, b) for a, b in pairs}


PUBLISHED: dict[str, Years] = {
    # Heritage and awareness months.
    **{
        slug: whole_month(month)
        for slug, month in [
            ("national-mentoring-month", 1),
            ("black-history-month", 2),
            ("womens-history-month", 3),
            ("arab-american-heritage-month", 4),
            ("minority-health-month", 4),
            ("aanhpi-heritage-month", 5),
            ("jewish-american-heritage-month", 5),
            ("mental-health-awareness-month", 5),
            ("pride-month", 6),
            ("caribbean-american-heritage-month", 6),
            ("disability-pride-month", 7),
            ("minority-mental-health-month", 7),
            ("sickle-cell-awareness-month", 9),
            ("deaf-awareness-month", 9),
            ("disability-employment-awareness-month", 10),
            ("filipino-american-history-month", 10),
            ("lgbtq-history-month", 10),
            ("native-american-heritage-month", 11),
        ]
    },
    "hispanic-heritage-month": fixed(9, 15, (10, 15)),
    "transgender-awareness-week": fixed(11, 13, (11, 19)),
    "dia-de-los-muertos": fixed(11, 1, (11, 2)),
    "kwanzaa": fixed(12, 26, (1, 1)),
    # Fixed days.
    **{
        slug: fixed(month, day)
        for slug, (month, day) in {
            "new-years-day": (1, 1),
            "holocaust-remembrance-day": (1, 27),
            "day-of-remembrance": (2, 19),
            "international-womens-day": (3, 8),
            "racial-discrimination-day": (3, 21),
            "transgender-day-of-visibility": (3, 31),
            "loving-day": (6, 12),
            "juneteenth": (6, 19),
            "world-refugee-day": (6, 20),
            "independence-day": (7, 4),
            "indigenous-peoples-international-day": (8, 9),
            "international-youth-day": (8, 12),
            "womens-equality-day": (8, 26),
            "coming-out-day": (10, 11),
            "intersex-awareness-day": (10, 26),
            "veterans-day": (11, 11),
            "transgender-day-of-remembrance": (11, 20),
            "world-aids-day": (12, 1),
            "disability-day": (12, 3),
            "human-rights-day": (12, 10),
            "christmas": (12, 25),
            "orthodox-christmas": (1, 7),
        }.items()
    },
    # Federal Mondays and Thursdays (OPM).
    "mlk-day": one(D(2025, 1, 20), D(2026, 1, 19), D(2027, 1, 18)),
    "presidents-day": one(D(2025, 2, 17), D(2026, 2, 16), D(2027, 2, 15)),
    "memorial-day": one(D(2025, 5, 26), D(2026, 5, 25), D(2027, 5, 31)),
    "labor-day": one(D(2025, 9, 1), D(2026, 9, 7), D(2027, 9, 6)),
    "indigenous-peoples-day": one(D(2025, 10, 13), D(2026, 10, 12), D(2027, 10, 11)),
    "thanksgiving": one(D(2025, 11, 27), D(2026, 11, 26), D(2027, 11, 25)),
    "native-american-heritage-day": one(D(2025, 11, 28), D(2026, 11, 27), D(2027, 11, 26)),
    # Christian.
    "ash-wednesday": one(D(2025, 3, 5), D(2026, 2, 18), D(2027, 2, 10)),
    "good-friday": one(D(2025, 4, 18), D(2026, 4, 3), D(2027, 3, 26)),
    "easter": one(D(2025, 4, 20), D(2026, 4, 5), D(2027, 3, 28)),
    "orthodox-easter": one(D(2025, 4, 20), D(2026, 4, 12), D(2027, 5, 2)),
    # Jewish: 2026 Hanukkah begins the evening of December 4.
    "purim": one(D(2025, 3, 14), D(2026, 3, 3), D(2027, 3, 23)),
    "passover": span(
        (D(2025, 4, 13), D(2025, 4, 20)),
        (D(2026, 4, 2), D(2026, 4, 9)),
        (D(2027, 4, 22), D(2027, 4, 29)),
    ),
    "shavuot": span(
        (D(2025, 6, 2), D(2025, 6, 3)),
        (D(2026, 5, 22), D(2026, 5, 23)),
        (D(2027, 6, 11), D(2027, 6, 12)),
    ),
    "rosh-hashanah": span(
        (D(2025, 9, 23), D(2025, 9, 24)),
        (D(2026, 9, 12), D(2026, 9, 13)),
        (D(2027, 10, 2), D(2027, 10, 3)),
    ),
    "yom-kippur": one(D(2025, 10, 2), D(2026, 9, 21), D(2027, 10, 11)),
    "sukkot": span(
        (D(2025, 10, 7), D(2025, 10, 13)),
        (D(2026, 9, 26), D(2026, 10, 2)),
        (D(2027, 10, 16), D(2027, 10, 22)),
    ),
    "hanukkah": span(
        (D(2025, 12, 15), D(2025, 12, 22)),
        (D(2026, 12, 5), D(2026, 12, 12)),
        (D(2027, 12, 25), D(2028, 1, 1)),
    ),
    # Muslim (Umm al-Qura). Ramadan 2025: first fast March 1.
    "ramadan": span(
        (D(2025, 3, 1), D(2025, 3, 29)),
        (D(2026, 2, 18), D(2026, 3, 19)),
        (D(2027, 2, 8), D(2027, 3, 8)),
    ),
    "eid-al-fitr": one(D(2025, 3, 30), D(2026, 3, 20), D(2027, 3, 9)),
    "eid-al-adha": one(D(2025, 6, 6), D(2026, 5, 27), D(2027, 5, 16)),
    "islamic-new-year": one(D(2025, 6, 26), D(2026, 6, 16), D(2027, 6, 6)),
    "ashura": one(D(2025, 7, 5), D(2026, 6, 25), D(2027, 6, 15)),
    "mawlid": one(D(2025, 9, 4), D(2026, 8, 25), D(2027, 8, 14)),
    # East Asian lunisolar.
    "lunar-new-year": one(D(2025, 1, 29), D(2026, 2, 17), D(2027, 2, 6)),
    "buddhas-birthday": one(D(2025, 5, 5), D(2026, 5, 24), D(2027, 5, 13)),
    "mid-autumn-festival": one(D(2025, 10, 6), D(2026, 9, 25), D(2027, 9, 15)),
    # South Asian (Government of India lists).
    "holi": one(D(2025, 3, 14), D(2026, 3, 4), D(2027, 3, 22)),
    "vaisakhi": one(D(2025, 4, 13), D(2026, 4, 14), D(2027, 4, 14)),
    "mahavir-jayanti": one(D(2025, 4, 10), D(2026, 3, 31), D(2027, 4, 18)),
    "janmashtami": one(D(2025, 8, 16), D(2026, 9, 4), D(2027, 8, 25)),
    "diwali": one(D(2025, 10, 20), D(2026, 11, 8), D(2027, 10, 29)),
    "guru-nanak-gurpurab": one(D(2025, 11, 5), D(2026, 11, 24), D(2027, 11, 14)),
    # Persian: 1 Farvardin (the equinox fell after noon in Tehran in all three years).
    "nowruz": one(D(2025, 3, 21), D(2026, 3, 21), D(2027, 3, 21)),
}

# Later years for the calendars most likely to drift: (slug, first day).
LATER: list[tuple[str, dt.date]] = [
    ("easter", D(2028, 4, 16)),
    ("easter", D(2029, 4, 1)),
    ("easter", D(2030, 4, 21)),
    ("orthodox-easter", D(2028, 4, 16)),
    ("orthodox-easter", D(2029, 4, 8)),
    ("orthodox-easter", D(2030, 4, 28)),
    ("lunar-new-year", D(2028, 1, 26)),
    ("lunar-new-year", D(2029, 2, 13)),
    ("lunar-new-year", D(2030, 2, 3)),
    ("mid-autumn-festival", D(2028, 10, 3)),
    ("mid-autumn-festival", D(2029, 9, 22)),
    ("mid-autumn-festival", D(2030, 9, 12)),
    ("hanukkah", D(2028, 12, 13)),
    ("hanukkah", D(2029, 12, 2)),
    ("hanukkah", D(2030, 12, 21)),
    ("purim", D(2028, 3, 12)),
    ("purim", D(2029, 3, 1)),
    ("purim", D(2030, 3, 19)),
    ("nowruz", D(2028, 3, 20)),
    ("nowruz", D(2029, 3, 20)),
    ("nowruz", D(2030, 3, 21)),
    ("diwali", D(2028, 10, 17)),
    ("diwali", D(2029, 11, 5)),
    ("diwali", D(2030, 10, 26)),
    ("thanksgiving", D(2030, 11, 28)),
    ("native-american-heritage-day", D(2030, 11, 29)),
]
