"""Festivals of the Asian, South Asian, Persian, Mexican and African American communities.

Chinese lunisolar dates come from lunardate; Hindu, Sikh and Jain festivals
from the ``holidays`` package's India calendar (regional almanacs differ, and
the package follows the Government of India's lists); Nowruz from the Solar
Hijri calendar, whose year begins at the March equinox.
"""

from __future__ import annotations

from mailer.content.observance_def import ObservanceDef


def _lunar(month: int, day: int) -> dict[str, object]:
    return {"kind": "chinese", "month": month, "day": day, "days": 1}


def _india(name: str, category: str = "public") -> dict[str, object]:
    rule: dict[str, object] = {"kind": "holidays", "country": "IN", "name": name, "days": 1}
    return {**rule, "category": category} if category != "public" else rule


CULTURES: tuple[ObservanceDef, ...] = (
    ObservanceDef(
        "lunar-new-year",
        "Lunar New Year",
        _lunar(1, 1),
        "Happy Lunar New Year!",
        "Lunar New Year begins the year of the Chinese lunisolar calendar and is "
        "celebrated by many East and Southeast Asian communities, among them colleagues, "
        "students and patients here, with family gatherings that can last two weeks. "
        "Consider flexibility for those travelling or celebrating.",
    ),
    ObservanceDef(
        "holi",
        "Holi",
        _india("Holi"),
        "Happy Holi!",
        "Holi, the Hindu festival of colors, welcomes spring and celebrates the triumph of "
        "good over evil. Friends and families gather to share food and throw colored powder, "
        "and many members of our community mark the day with loved ones.",
    ),
    ObservanceDef(
        "nowruz",
        "Nowruz",
        {"kind": "persian", "month": 1, "day": 1, "days": 1},
        "Nowruz Mubarak: Happy Persian New Year",
        "Nowruz, \u201cnew day\u201d, begins the year at the spring equinox, as it has for "
        "some 3,000 years. Iranian, Afghan, Kurdish, Central Asian and many other "
        "communities, as well as Zoroastrians and Bah\u00e1\u02bc\u00eds, celebrate it with "
        "family visits, spring cleaning and the haft-sin table. The date is the first day "
        "of the Solar Hijri year.",
    ),
    ObservanceDef(
        "vaisakhi",
        "Vaisakhi",
        # India's optional-holiday list (the solar new year of the Punjabi calendar, April
        # 13 or 14); after the package's tables end, April 14, as the Nanakshahi calendar
        # fixes it.
        {**_india("Vaisakhi", "optional"), "fallback": {"kind": "date", "month": 4, "day": 14}},
        "Happy Vaisakhi",
        "Vaisakhi is the spring harvest festival of Punjab and, for Sikhs, the anniversary "
        "of the founding of the Khalsa by Guru Gobind Singh in 1699. Gurdwaras hold "
        "processions (Nagar Kirtan) and share langar, a free communal meal open to all.",
    ),
    ObservanceDef(
        "mahavir-jayanti",
        "Mahavir Jayanti",
        _india("Mahavira's Birthday"),
        "Mahavir Jayanti",
        "Jains celebrate the birth of Lord Mahavira, the 24th Tirthankara, whose teaching "
        "of ahimsa (non-violence toward all living beings) shapes Jain life and diet.",
    ),
    ObservanceDef(
        "buddhas-birthday",
        "Buddha's Birthday",
        _lunar(4, 8),
        "Celebrating the Buddha\u2019s Birthday",
        "Many East Asian Buddhists celebrate the birth of the Buddha on the eighth day of "
        "the fourth lunar month with lanterns and temple visits. Buddhists of South and "
        "Southeast Asia mark Vesak, his birth, enlightenment and passing, at the full moon "
        "of Vesakha, usually in May.",
    ),
    ObservanceDef(
        "janmashtami",
        "Janmashtami",
        _india("Janmashtami (Vaishnava)"),
        "Happy Janmashtami",
        "Janmashtami celebrates the birth of Lord Krishna with fasting, devotional singing "
        "and midnight worship. Regional traditions may keep it a day apart.",
    ),
    ObservanceDef(
        "mid-autumn-festival",
        "Mid-Autumn Festival",
        _lunar(8, 15),
        "Happy Mid-Autumn Festival",
        "On the fifteenth day of the eighth lunar month, under the full harvest moon, "
        "Chinese families gather to share mooncakes; Koreans celebrate Chuseok "
        "and Vietnamese families T\u1ebft Trung Thu around the same day.",
    ),
    ObservanceDef(
        "dia-de-los-muertos",
        "D\u00eda de los Muertos",
        {"kind": "range", "start": [11, 1], "end": [11, 2]},
        "D\u00eda de los Muertos",
        "On November 1 and 2, families in Mexico and across the Americas welcome the "
        "spirits of their loved ones with ofrendas (altars) of marigolds, photographs and "
        "favorite foods: a joyful remembrance, not a day of mourning.",
    ),
    ObservanceDef(
        "diwali",
        "Diwali",
        _india("Diwali"),
        "Happy Diwali!",
        "Diwali, the festival of lights, is celebrated by Hindus, Sikhs and Jains with lamps, "
        "sweets and time with family, marking the victory of light over darkness. "
        "Festivities usually span five days around the main day.",
    ),
    ObservanceDef(
        "guru-nanak-gurpurab",
        "Guru Nanak Gurpurab",
        _india("Guru Nanak's Birthday"),
        "Guru Nanak Gurpurab",
        "Sikhs celebrate the birth of Guru Nanak, the founder of Sikhism, who taught the "
        "equality of all people and service to others, with prayers, processions and "
        "langar, the free communal meal.",
    ),
    ObservanceDef(
        "kwanzaa",
        "Kwanzaa",
        {"kind": "range", "start": [12, 26], "end": [1, 1]},
        "Happy Kwanzaa",
        "Kwanzaa, created in 1966 by Maulana Karenga, celebrates African American family, "
        "community and culture from December 26 to January 1, one day for each of its seven "
        "principles, the Nguzo Saba, from Umoja (unity) to Imani (faith).",
    ),
)  # fmt: skip
