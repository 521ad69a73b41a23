"""The built-in observance calendar: rules and fallback feature texts.

These are what a medical school's diversity office features through the year.
Admins override the text (and, for custom observances, the rule) in the
``observances`` table; this module is only the fallback, so each text is a few
truthful sentences that stand on their own in a digest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ObservanceDef:
    slug: str
    name: str
    rule: dict[str, Any]
    title: str
    body_md: str
    links: tuple[tuple[str, str], ...] = ()
    image_url: str = ""
    image_alt: str = ""
    # Said beside the dates: Jewish and Islamic days begin at sundown the evening before.
    note: str = field(default="")


EVE = "Begins at sundown the evening before."

BUILTINS: tuple[ObservanceDef, ...] = (
    ObservanceDef(
        "mlk-day",
        "Martin Luther King Jr. Day",
        {"kind": "nth_weekday", "month": 1, "weekday": 0, "n": 3},
        "Honoring Dr. Martin Luther King Jr.",
        "On the third Monday of January we honor Dr. Martin Luther King Jr., who called "
        "injustice in health care the most shocking and inhuman form of inequality. "
        "The day is a national day of service: an invitation to act on health equity "
        "in our clinics, classrooms and the St. Louis community.",
    ),
    ObservanceDef(
        "lunar-new-year",
        "Lunar New Year",
        {"kind": "chinese", "month": 1, "day": 1, "days": 1},
        "Happy Lunar New Year!",
        "Lunar New Year begins the year of the Chinese lunisolar calendar and is "
        "celebrated by many East and Southeast Asian communities, among them colleagues, "
        "students and patients here, with family gatherings that can last two weeks. "
        "Consider flexibility for those travelling or celebrating.",
    ),
    ObservanceDef(
        "black-history-month",
        "Black History Month",
        {"kind": "month", "month": 2},
        "Celebrating Black History Month",
        "February is Black History Month, a time to recognize the achievements of Black "
        "Americans and their central role in U.S. history, medicine and science. We honor "
        "the Black physicians, nurses, researchers and staff whose work shaped our medical "
        "campus, and we remember the history of segregation and desegregation it holds.",
        links=(("Black History Month (Library of Congress)", "https://www.africanamericanhistorymonth.gov/"),),
    ),
    ObservanceDef(
        "womens-history-month",
        "Women's History Month",
        {"kind": "month", "month": 3},
        "Commemorate Women\u2019s History Month",
        "This month, WashUMedODEI celebrates Women\u2019s History Month! Recognizing and "
        "celebrating women\u2019s contributions in medicine is important because it helps to "
        "shatter gender bias and stereotypes in the field. By highlighting the achievements "
        "of women doctors, researchers, and pioneers, we can inspire future generations of "
        "women to pursue careers in medicine and ensure that their contributions are "
        "acknowledged and valued. This recognition also helps us to acknowledge the systemic "
        "barriers that women have faced in medicine and work towards creating a more "
        "inclusive and diverse healthcare industry.",
        links=(("Women's History Month (Library of Congress)", "https://www.womenshistorymonth.gov/"),),
    ),
    ObservanceDef(
        "holi",
        "Holi",
        {"kind": "holidays", "country": "IN", "name": "Holi", "days": 1},
        "Happy Holi!",
        "Holi, the Hindu festival of colors, welcomes spring and celebrates the triumph of "
        "good over evil. Friends and families gather to share food and throw colored powder, "
        "and many members of our community mark the day with loved ones.",
    ),
    ObservanceDef(
        "ramadan",
        "Ramadan",
        {"kind": "hijri", "month": 9, "day": 1, "until": [10, 1]},
        "Ramadan Mubarak!",
        "Ramadan is the ninth month of the Islamic calendar, a time of fasting from dawn to "
        "sunset, prayer, reflection and charity. Many colleagues, students and patients are "
        "observing it: consider scheduling meetings and meals with fasting in mind, and "
        "remember that clinical guidance for fasting patients may be needed. Dates follow "
        "the Umm al-Qura calendar; local moon sighting can shift them by a day.",
        note=EVE,
    ),
    ObservanceDef(
        "eid-al-fitr",
        "Eid al-Fitr",
        {"kind": "hijri", "month": 10, "day": 1, "days": 1},
        "Eid Mubarak!",
        "Eid al-Fitr marks the end of Ramadan with prayer, charity and celebration with "
        "family and friends. Dates follow the Umm al-Qura calendar; local moon sighting can "
        "shift them by a day.",
        note=EVE,
    ),
    ObservanceDef(
        "arab-american-heritage-month",
        "Arab American Heritage Month",
        {"kind": "month", "month": 4},
        "Arab American Heritage Month",
        "April is National Arab American Heritage Month, celebrating the history, culture "
        "and contributions of Americans with roots in the Arab world, including the many "
        "Arab American clinicians and scientists in medicine and public health.",
    ),
    ObservanceDef(
        "passover",
        "Passover",
        {"kind": "hebrew", "month": 1, "day": 15, "days": 8},
        "Chag Pesach Sameach",
        "Passover (Pesach) commemorates the Exodus of the Israelites from slavery in Egypt. "
        "It begins with the Seder meal at sundown and lasts eight days in the diaspora, with "
        "dietary observances that colleagues and patients may keep throughout.",
        note=EVE,
    ),
    ObservanceDef(
        "aanhpi-heritage-month",
        "Asian American, Native Hawaiian and Pacific Islander Heritage Month",
        {"kind": "month", "month": 5},
        "AANHPI Heritage Month",
        "May is Asian American, Native Hawaiian and Pacific Islander Heritage Month, "
        "honoring the generations of AANHPI people who have enriched America\u2019s history "
        "and its medicine. It is also a moment to look at the health disparities that "
        "aggregated data can hide within these diverse communities.",
        links=(("AANHPI Heritage Month (Library of Congress)", "https://www.asianpacificheritage.gov/"),),
    ),
    ObservanceDef(
        "jewish-american-heritage-month",
        "Jewish American Heritage Month",
        {"kind": "month", "month": 5},
        "Jewish American Heritage Month",
        "May is Jewish American Heritage Month, recognizing more than 360 years of Jewish "
        "contributions to American life, science and medicine.",
        links=(("Jewish American Heritage Month (Library of Congress)", "https://www.jewishheritagemonth.gov/"),),
    ),
    ObservanceDef(
        "eid-al-adha",
        "Eid al-Adha",
        {"kind": "hijri", "month": 12, "day": 10, "days": 1},
        "Eid al-Adha Mubarak",
        "Eid al-Adha, the Festival of Sacrifice, falls during the Hajj pilgrimage and honors "
        "Ibrahim\u2019s devotion with prayer, sharing of food with family and those in need. "
        "Dates follow the Umm al-Qura calendar; local moon sighting can shift them by a day.",
        note=EVE,
    ),
    ObservanceDef(
        "pride-month",
        "Pride Month",
        {"kind": "month", "month": 6},
        "Celebrating Pride Month",
        "June is Pride Month, commemorating the 1969 Stonewall uprising and celebrating "
        "lesbian, gay, bisexual, transgender and queer people. Affirming care and inclusive "
        "training environments improve health outcomes for LGBTQ+ patients and colleagues.",
    ),
    ObservanceDef(
        "juneteenth",
        "Juneteenth",
        {"kind": "date", "month": 6, "day": 19},
        "Juneteenth: Freedom Day",
        "Juneteenth commemorates June 19, 1865, when enslaved people in Galveston, Texas, "
        "learned of their freedom, two and a half years after the Emancipation Proclamation. "
        "It became a federal holiday in 2021.",
    ),
    ObservanceDef(
        "disability-pride-month",
        "Disability Pride Month",
        {"kind": "month", "month": 7},
        "Disability Pride Month",
        "July is Disability Pride Month, marking the anniversary of the Americans with "
        "Disabilities Act, signed on July 26, 1990. We celebrate disabled people in medicine "
        "and recommit to accessible care, learning and workplaces.",
    ),
    ObservanceDef(
        "hispanic-heritage-month",
        "National Hispanic Heritage Month",
        {"kind": "range", "start": [9, 15], "end": [10, 15]},
        "National Hispanic Heritage Month",
        "From September 15 to October 15 we celebrate the histories, cultures and "
        "contributions of Americans whose ancestors came from Spain, Mexico, the Caribbean "
        "and Central and South America. September 15 is the independence day of several "
        "Central American nations.",
        links=(("Hispanic Heritage Month (Library of Congress)", "https://www.hispanicheritagemonth.gov/"),),
    ),
    ObservanceDef(
        "rosh-hashanah",
        "Rosh Hashanah",
        {"kind": "hebrew", "month": 7, "day": 1, "days": 2},
        "Shana Tova",
        "Rosh Hashanah, the Jewish New Year, begins the High Holy Days, a time of reflection "
        "and renewal observed over two days with prayer and festive meals.",
        note=EVE,
    ),
    ObservanceDef(
        "yom-kippur",
        "Yom Kippur",
        {"kind": "hebrew", "month": 7, "day": 10, "days": 1},
        "Yom Kippur",
        "Yom Kippur, the Day of Atonement, is the holiest day of the Jewish year, observed "
        "with a 25-hour fast and prayer. Please keep it in mind when scheduling.",
        note=EVE,
    ),
    ObservanceDef(
        "filipino-american-history-month",
        "Filipino American History Month",
        {"kind": "month", "month": 10},
        "Filipino American History Month",
        "October is Filipino American History Month, marking the 1587 landing of Filipinos "
        "at Morro Bay, California. Filipino American nurses and physicians have long been a "
        "vital part of the U.S. health care workforce.",
    ),
    ObservanceDef(
        "lgbtq-history-month",
        "LGBTQ History Month",
        {"kind": "month", "month": 10},
        "LGBTQ History Month",
        "October is LGBTQ History Month, founded in 1994 by a Missouri high school teacher "
        "and including National Coming Out Day on October 11. We honor LGBTQ+ people whose "
        "advocacy changed medicine and public health.",
    ),
    ObservanceDef(
        "indigenous-peoples-day",
        "Indigenous Peoples' Day",
        {"kind": "nth_weekday", "month": 10, "weekday": 0, "n": 2},
        "Indigenous Peoples\u2019 Day",
        "On the second Monday of October we honor the Indigenous peoples of this land, "
        "their histories and their living cultures, and we acknowledge the Native nations "
        "whose homelands include the St. Louis region.",
    ),
    ObservanceDef(
        "diwali",
        "Diwali",
        {"kind": "holidays", "country": "IN", "name": "Diwali", "days": 1},
        "Happy Diwali!",
        "Diwali, the festival of lights, is celebrated by Hindus, Sikhs and Jains with lamps, "
        "sweets and time with family, marking the victory of light over darkness. "
        "Festivities usually span five days around the main day.",
    ),
    ObservanceDef(
        "native-american-heritage-month",
        "Native American Heritage Month",
        {"kind": "month", "month": 11},
        "Native American Heritage Month",
        "November is Native American Heritage Month, celebrating the cultures, traditions "
        "and contributions of American Indian and Alaska Native peoples, and a time to "
        "reflect on health equity for tribal communities.",
        links=(("Native American Heritage Month (Library of Congress)", "https://www.nativeamericanheritagemonth.gov/"),),
    ),
)  # fmt: skip

BUILTIN_BY_SLUG: dict[str, ObservanceDef] = {d.slug: d for d in BUILTINS}
