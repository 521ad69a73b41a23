"""Federal holidays, United Nations days and civic days of remembrance and pride."""

from __future__ import annotations

from mailer.content.observance_def import ObservanceDef


def _day(month: int, day: int) -> dict[str, object]:
    return {"kind": "date", "month": month, "day": day}


def _nth(month: int, weekday: int, n: int, offset: int = 0) -> dict[str, object]:
    rule: dict[str, object] = {"kind": "nth_weekday", "month": month, "weekday": weekday, "n": n}
    return {**rule, "offset": offset} if offset else rule


MON, THU = 0, 3

CIVIC: tuple[ObservanceDef, ...] = (
    ObservanceDef(
        "new-years-day",
        "New Year's Day",
        _day(1, 1),
        "Happy New Year",
        "A federal holiday and a fresh start. Thank you to everyone who keeps our hospitals "
        "and labs running through the holidays.",
    ),
    ObservanceDef(
        "mlk-day",
        "Martin Luther King Jr. Day",
        _nth(1, MON, 3),
        "Honoring Dr. Martin Luther King Jr.",
        "On the third Monday of January we honor Dr. Martin Luther King Jr., who called "
        "injustice in health care the most shocking and inhuman form of inequality. "
        "The day is a national day of service: an invitation to act on health equity "
        "in our clinics, classrooms and the St. Louis community.",
    ),
    ObservanceDef(
        "holocaust-remembrance-day",
        "International Holocaust Remembrance Day",
        _day(1, 27),
        "International Holocaust Remembrance Day",
        "On January 27, the anniversary of the liberation of Auschwitz-Birkenau in 1945, the "
        "United Nations remembers the six million Jews and the millions of others murdered "
        "in the Holocaust. Medicine remembers too: physicians took part in the Nazi crimes, "
        "and the ethics of consent we teach were written in their aftermath.",
    ),
    ObservanceDef(
        "presidents-day",
        "Washington's Birthday (Presidents' Day)",
        _nth(2, MON, 3),
        "Washington\u2019s Birthday",
        "The third Monday of February is the federal holiday officially named Washington\u2019s "
        "Birthday and widely called Presidents\u2019 Day.",
    ),
    ObservanceDef(
        "day-of-remembrance",
        "Day of Remembrance",
        _day(2, 19),
        "Day of Remembrance",
        "On February 19, 1942, Executive Order 9066 led to the forced removal and "
        "incarceration of about 120,000 people of Japanese ancestry, most of them U.S. "
        "citizens. The Day of Remembrance honors them and warns against fear turned into "
        "policy.",
    ),
    ObservanceDef(
        "international-womens-day",
        "International Women's Day",
        _day(3, 8),
        "International Women\u2019s Day",
        "March 8 is International Women\u2019s Day, marked by the United Nations since 1975, "
        "celebrating the social, economic, cultural and political achievements of women and "
        "calling for gender equality, in medicine and science as everywhere.",
    ),
    ObservanceDef(
        "racial-discrimination-day",
        "International Day for the Elimination of Racial Discrimination",
        _day(3, 21),
        "Ending Racial Discrimination",
        "The United Nations proclaimed March 21 in 1966 in memory of the 69 people killed "
        "by police at a peaceful demonstration against apartheid pass laws in Sharpeville, "
        "South Africa, in 1960. Racism harms health: naming it is the first step to ending it.",
    ),
    ObservanceDef(
        "transgender-day-of-visibility",
        "Transgender Day of Visibility",
        _day(3, 31),
        "Transgender Day of Visibility",
        "Founded in 2009 by the Michigan activist Rachel Crandall, March 31 celebrates "
        "transgender and nonbinary people and their contributions, and raises awareness of "
        "the discrimination, including in health care, that many still face.",
    ),
    ObservanceDef(
        "memorial-day",
        "Memorial Day",
        _nth(5, MON, -1),
        "Memorial Day",
        "On the last Monday of May we honor the U.S. service members who died in military "
        "service, among them the medics, nurses and physicians who cared for the wounded.",
    ),
    ObservanceDef(
        "loving-day",
        "Loving Day",
        _day(6, 12),
        "Loving Day",
        "On June 12, 1967, the Supreme Court decided Loving v. Virginia and struck down the "
        "laws against interracial marriage. Loving Day celebrates Mildred and Richard Loving "
        "and the multiracial families of our community.",
    ),
    ObservanceDef(
        "juneteenth",
        "Juneteenth",
        _day(6, 19),
        "Juneteenth: Freedom Day",
        "Juneteenth commemorates June 19, 1865, when enslaved people in Galveston, Texas, "
        "learned of their freedom, two and a half years after the Emancipation Proclamation. "
        "It became a federal holiday in 2021.",
    ),
    ObservanceDef(
        "world-refugee-day",
        "World Refugee Day",
        _day(6, 20),
        "World Refugee Day",
        "June 20 is the United Nations\u2019 World Refugee Day, honoring people forced to "
        "flee their homes. St. Louis has welcomed refugees from Bosnia to Afghanistan, and "
        "many of them are our patients, neighbors and colleagues.",
    ),
    ObservanceDef(
        "independence-day",
        "Independence Day",
        _day(7, 4),
        "Independence Day",
        "The Fourth of July marks the adoption of the Declaration of Independence in 1776 "
        "and its promise that all are created equal, a promise each generation works to "
        "keep.",
    ),
    ObservanceDef(
        "indigenous-peoples-international-day",
        "International Day of the World's Indigenous Peoples",
        _day(8, 9),
        "International Day of the World\u2019s Indigenous Peoples",
        "August 9 is the United Nations\u2019 day for the world\u2019s more than 470 million "
        "Indigenous people, recognizing their rights, languages and knowledge, including "
        "traditional knowledge of health and healing.",
    ),
    ObservanceDef(
        "international-youth-day",
        "International Youth Day",
        _day(8, 12),
        "International Youth Day",
        "August 12 is the United Nations\u2019 International Youth Day, first marked in 2000. "
        "As a new school year begins, we celebrate the young people in our pathway programs "
        "and the mentors who help them see a future in medicine and science.",
    ),
    ObservanceDef(
        "womens-equality-day",
        "Women's Equality Day",
        _day(8, 26),
        "Women\u2019s Equality Day",
        "On August 26, 1920, the 19th Amendment was certified, and women won the right to "
        "vote; Congress designated the day at the urging of Representative Bella Abzug. Many "
        "women of color were kept from the polls for decades after.",
    ),
    ObservanceDef(
        "labor-day",
        "Labor Day",
        _nth(9, MON, 1),
        "Labor Day",
        "The first Monday of September, a federal holiday since 1894, honors the labor "
        "movement and every worker, from environmental services to the operating room, who "
        "keeps our medical campus running.",
    ),
    ObservanceDef(
        "indigenous-peoples-day",
        "Indigenous Peoples' Day",
        _nth(10, MON, 2),
        "Indigenous Peoples\u2019 Day",
        "On the second Monday of October we honor the Indigenous peoples of this land, "
        "their histories and their living cultures, and we acknowledge the Native nations "
        "whose homelands include the St. Louis region.",
    ),
    ObservanceDef(
        "coming-out-day",
        "National Coming Out Day",
        _day(10, 11),
        "National Coming Out Day",
        "October 11, first observed in 1988 on the anniversary of the 1987 National March on "
        "Washington for Lesbian and Gay Rights, celebrates everyone who comes out, and "
        "everyone who makes it safe to do so.",
    ),
    ObservanceDef(
        "intersex-awareness-day",
        "Intersex Awareness Day",
        _day(10, 26),
        "Intersex Awareness Day",
        "October 26 marks the first public protest by intersex people in North America, "
        "in Boston in 1996, outside a meeting of pediatricians. It asks medicine to respect "
        "the bodily autonomy of people born with variations in sex characteristics.",
    ),
    ObservanceDef(
        "veterans-day",
        "Veterans Day",
        _day(11, 11),
        "Veterans Day",
        "November 11, the anniversary of the 1918 Armistice, honors everyone who has served "
        "in the U.S. armed forces, including the veterans among our students, staff and "
        "patients.",
    ),
    ObservanceDef(
        "transgender-day-of-remembrance",
        "Transgender Day of Remembrance",
        _day(11, 20),
        "Transgender Day of Remembrance",
        "On November 20 we remember the transgender people lost to violence. Gwendolyn Ann "
        "Smith began the day in 1999 in memory of Rita Hester, killed in Massachusetts the "
        "year before.",
    ),
    ObservanceDef(
        "thanksgiving",
        "Thanksgiving Day",
        _nth(11, THU, 4),
        "Happy Thanksgiving",
        "The fourth Thursday of November is a day of gratitude with family and friends. For "
        "many Native people it is also a day of mourning; both are part of its history.",
    ),
    ObservanceDef(
        "native-american-heritage-day",
        "Native American Heritage Day",
        _nth(11, THU, 4, offset=1),
        "Native American Heritage Day",
        "The Friday after Thanksgiving, first designated by Congress in 2009, honors the "
        "contributions of American Indian and Alaska Native peoples to the United States.",
    ),
    ObservanceDef(
        "world-aids-day",
        "World AIDS Day",
        _day(12, 1),
        "World AIDS Day",
        "Since 1988, December 1 has been a day to remember the people lost to AIDS and to "
        "support the millions living with HIV. Testing, treatment and prevention work, and "
        "their benefits must reach every community.",
    ),
    ObservanceDef(
        "disability-day",
        "International Day of Persons with Disabilities",
        _day(12, 3),
        "International Day of Persons with Disabilities",
        "Proclaimed by the United Nations in 1992, December 3 promotes the rights and "
        "well-being of the more than one billion people with disabilities, and their full "
        "inclusion in health care, education and work.",
    ),
    ObservanceDef(
        "human-rights-day",
        "Human Rights Day",
        _day(12, 10),
        "Human Rights Day",
        "On December 10, 1948, the United Nations adopted the Universal Declaration of Human "
        "Rights, whose article 25 names medical care among the rights of everyone.",
    ),
)  # fmt: skip
