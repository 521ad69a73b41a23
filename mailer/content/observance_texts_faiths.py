"""Jewish, Christian and Muslim holy days of the built-in calendar.

Jewish and Islamic days begin at sundown: the rule gives the first full day and
the feature says the evening before (``EVE``). Islamic dates follow the Umm
al-Qura calendar, which local moon sighting can shift by a day.
"""

from __future__ import annotations

from mailer.content.observance_def import EVE, UMM_AL_QURA, ObservanceDef


def _hebrew(month: int, day: int, days: int = 1) -> dict[str, object]:
    return {"kind": "hebrew", "month": month, "day": day, "days": days}


def _hijri(month: int, day: int) -> dict[str, object]:
    return {"kind": "hijri", "month": month, "day": day, "days": 1}


def _easter(method: str, offset: int = 0) -> dict[str, object]:
    rule: dict[str, object] = {"kind": "easter", "method": method}
    return {**rule, "offset": offset} if offset else rule


# Hebrew months as convertdate numbers them.
NISAN, SIVAN, TISHREI, KISLEV, ADAR, ADAR_II = 1, 3, 7, 9, 12, 13

JEWISH: tuple[ObservanceDef, ...] = (
    ObservanceDef(
        "purim",
        "Purim",
        {**_hebrew(ADAR, 14), "leap_month": ADAR_II},
        "Chag Purim Sameach",
        "Purim celebrates the deliverance of the Jewish people of ancient Persia, told in "
        "the Book of Esther, with the reading of the Megillah, gifts of food, gifts to the "
        "poor and a festive meal.",
        note=EVE,
    ),
    ObservanceDef(
        "passover",
        "Passover",
        _hebrew(NISAN, 15, 8),
        "Chag Pesach Sameach",
        "Passover (Pesach) commemorates the Exodus of the Israelites from slavery in Egypt. "
        "It begins with the Seder meal at sundown and lasts eight days in the diaspora, with "
        "dietary observances that colleagues and patients may keep throughout.",
        note=EVE,
    ),
    ObservanceDef(
        "shavuot",
        "Shavuot",
        _hebrew(SIVAN, 6, 2),
        "Chag Shavuot Sameach",
        "Shavuot, seven weeks after Passover, celebrates the giving of the Torah at Mount "
        "Sinai and the early harvest. It is observed for two days in the diaspora, often "
        "with a night of study and dairy meals.",
        note=EVE,
    ),
    ObservanceDef(
        "rosh-hashanah",
        "Rosh Hashanah",
        _hebrew(TISHREI, 1, 2),
        "Shana Tova",
        "Rosh Hashanah, the Jewish New Year, begins the High Holy Days, a time of reflection "
        "and renewal observed over two days with prayer and festive meals.",
        note=EVE,
    ),
    ObservanceDef(
        "yom-kippur",
        "Yom Kippur",
        _hebrew(TISHREI, 10),
        "Yom Kippur",
        "Yom Kippur, the Day of Atonement, is the holiest day of the Jewish year, observed "
        "with a 25-hour fast and prayer. Please keep it in mind when scheduling.",
        note=EVE,
    ),
    ObservanceDef(
        "sukkot",
        "Sukkot",
        _hebrew(TISHREI, 15, 7),
        "Chag Sukkot Sameach",
        "Sukkot, the Feast of Booths, recalls the Israelites\u2019 years in the wilderness "
        "and gives thanks for the harvest. For seven days families share meals in a sukkah, "
        "a temporary hut; Shemini Atzeret and Simchat Torah follow.",
        note=EVE,
    ),
    ObservanceDef(
        "hanukkah",
        "Hanukkah",
        _hebrew(KISLEV, 25, 8),
        "Happy Hanukkah",
        "Hanukkah, the Festival of Lights, recalls the rededication of the Temple in "
        "Jerusalem in the second century BCE. For eight nights families light the menorah, "
        "adding one candle each night.",
        note=EVE,
    ),
)

CHRISTIAN: tuple[ObservanceDef, ...] = (
    ObservanceDef(
        "orthodox-christmas",
        "Orthodox Christmas",
        {"kind": "julian", "month": 12, "day": 25},
        "Merry Christmas to those celebrating on January 7",
        "Many Orthodox Christians, among them Coptic, Ethiopian, Georgian, Russian and "
        "Serbian communities, celebrate Christmas on December 25 of the Julian calendar, "
        "which falls on January 7.",
    ),
    ObservanceDef(
        "ash-wednesday",
        "Ash Wednesday",
        _easter("western", -46),
        "Ash Wednesday",
        "Ash Wednesday begins Lent, the forty days of prayer, fasting and almsgiving before "
        "Easter in Western Christian churches. Colleagues may wear a cross of ashes on their "
        "forehead and fast during the day.",
    ),
    ObservanceDef(
        "good-friday",
        "Good Friday",
        _easter("western", -2),
        "Good Friday",
        "Good Friday is the day Christians remember the crucifixion of Jesus, a solemn day of "
        "prayer and, for many, fasting, two days before Easter.",
    ),
    ObservanceDef(
        "easter",
        "Easter",
        _easter("western"),
        "Happy Easter",
        "Easter Sunday, the central feast of the Christian year, celebrates the resurrection "
        "of Jesus. Western churches date it as the first Sunday after the church’s full "
        "moon on or after March 21.",
    ),
    ObservanceDef(
        "orthodox-easter",
        "Orthodox Easter (Pascha)",
        _easter("orthodox"),
        "Christ is Risen: Orthodox Easter",
        "Orthodox Christians celebrate Pascha, the resurrection of Jesus, on a date set by "
        "the Julian calendar; it often falls one or more weeks after the Western Easter, and "
        "some years on the same day.",
    ),
    ObservanceDef(
        "christmas",
        "Christmas Day",
        {"kind": "date", "month": 12, "day": 25},
        "Merry Christmas",
        "Christmas, a federal holiday, celebrates the birth of Jesus for Christians, and is "
        "a time of family and giving for many others. Thank you to everyone caring for "
        "patients over the holidays.",
    ),
)

MUSLIM: tuple[ObservanceDef, ...] = (
    ObservanceDef(
        "ramadan",
        "Ramadan",
        {"kind": "hijri", "month": 9, "day": 1, "until": [10, 1]},
        "Ramadan Mubarak!",
        "Ramadan is the ninth month of the Islamic calendar, a time of fasting from dawn to "
        "sunset, prayer, reflection and charity. Many colleagues, students and patients are "
        "observing it: consider scheduling meetings and meals with fasting in mind, and "
        "remember that clinical guidance for fasting patients may be needed. " + UMM_AL_QURA,
        note=EVE,
    ),
    ObservanceDef(
        "eid-al-fitr",
        "Eid al-Fitr",
        _hijri(10, 1),
        "Eid Mubarak!",
        "Eid al-Fitr marks the end of Ramadan with prayer, charity and celebration with "
        "family and friends. " + UMM_AL_QURA,
        note=EVE,
    ),
    ObservanceDef(
        "eid-al-adha",
        "Eid al-Adha",
        _hijri(12, 10),
        "Eid al-Adha Mubarak",
        "Eid al-Adha, the Festival of Sacrifice, falls during the Hajj pilgrimage and honors "
        "Ibrahim\u2019s devotion with prayer, sharing of food with family and those in need. "
        + UMM_AL_QURA,
        note=EVE,
    ),
    ObservanceDef(
        "islamic-new-year",
        "Islamic New Year",
        _hijri(1, 1),
        "Happy Hijri New Year",
        "The first day of Muharram begins the Islamic year, counted from the Hijra, the "
        "Prophet Muhammad\u2019s migration from Mecca to Medina in 622 CE. " + UMM_AL_QURA,
        note=EVE,
    ),
    ObservanceDef(
        "ashura",
        "Ashura",
        _hijri(1, 10),
        "Ashura",
        "Ashura, the tenth of Muharram, is a day of fasting for many Sunni Muslims, and for "
        "Shia Muslims a day of mourning for Imam Husayn, the Prophet\u2019s grandson, killed "
        "at Karbala in 680 CE. " + UMM_AL_QURA,
        note=EVE,
    ),
    ObservanceDef(
        "mawlid",
        "Mawlid al-Nabi",
        _hijri(3, 12),
        "Mawlid al-Nabi",
        "Many Muslims celebrate the birth of the Prophet Muhammad with gatherings, poetry "
        "and charity on the 12th of Rabi al-Awwal (many Shia Muslims on the 17th); others do "
        "not mark the day. " + UMM_AL_QURA,
        note=EVE,
    ),
)

FAITHS: tuple[ObservanceDef, ...] = JEWISH + CHRISTIAN + MUSLIM
