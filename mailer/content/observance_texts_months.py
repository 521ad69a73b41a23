"""Heritage and awareness months (and one awareness week) of the built-in calendar."""

from __future__ import annotations

from mailer.content.observance_def import ObservanceDef

MONTHS: tuple[ObservanceDef, ...] = (
    ObservanceDef(
        "national-mentoring-month",
        "National Mentoring Month",
        {"kind": "month", "month": 1},
        "National Mentoring Month",
        "January is National Mentoring Month, launched in 2002 by MENTOR and the Harvard "
        "T.H. Chan School of Public Health. Mentors open doors in medicine, above all for "
        "students and trainees who are the first in their families to enter it: thank one "
        "who opened a door for you, or become one through our pathway programs.",
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
        "arab-american-heritage-month",
        "Arab American Heritage Month",
        {"kind": "month", "month": 4},
        "Arab American Heritage Month",
        "April is National Arab American Heritage Month, celebrating the history, culture "
        "and contributions of Americans with roots in the Arab world, including the many "
        "Arab American clinicians and scientists in medicine and public health.",
    ),
    ObservanceDef(
        "minority-health-month",
        "National Minority Health Month",
        {"kind": "month", "month": 4},
        "National Minority Health Month",
        "April is National Minority Health Month, led by the HHS Office of Minority Health. "
        "It grew from National Negro Health Week, which Booker T. Washington founded in "
        "1915, and asks us to close the gaps in health and in access to care that racial "
        "and ethnic minority communities still face.",
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
        "mental-health-awareness-month",
        "Mental Health Awareness Month",
        {"kind": "month", "month": 5},
        "Mental Health Awareness Month",
        "May has been Mental Health Awareness Month since Mental Health America began it in "
        "1949. Medicine asks a great deal of its students, trainees and staff: look after "
        "one another, and know that confidential support is available to everyone here.",
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
        "caribbean-american-heritage-month",
        "Caribbean American Heritage Month",
        {"kind": "month", "month": 6},
        "Caribbean American Heritage Month",
        "June is National Caribbean American Heritage Month, proclaimed every year since "
        "2006. We celebrate Americans with roots in the Caribbean, from Alexander Hamilton "
        "to the many Caribbean-born nurses and physicians who care for patients today.",
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
        "minority-mental-health-month",
        "Minority Mental Health Awareness Month",
        {"kind": "month", "month": 7},
        "Bebe Moore Campbell National Minority Mental Health Awareness Month",
        "July honors the author and advocate Bebe Moore Campbell, who worked to end the "
        "stigma of mental illness in Black and other underrepresented communities; the U.S. "
        "House recognized the month in 2008. Culturally responsive care and a diverse "
        "mental health workforce help close gaps in access and treatment.",
    ),
    ObservanceDef(
        "sickle-cell-awareness-month",
        "National Sickle Cell Awareness Month",
        {"kind": "month", "month": 9},
        "National Sickle Cell Awareness Month",
        "September is National Sickle Cell Awareness Month. Sickle cell disease affects "
        "about 100,000 Americans, most of them of African descent, and its patients too "
        "often meet delays and doubt when they seek care for pain. Research, blood donation "
        "and respectful treatment all make a difference.",
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
        "deaf-awareness-month",
        "Deaf Awareness Month",
        {"kind": "month", "month": 9},
        "Deaf Awareness Month",
        "September is Deaf Awareness Month, and its last full week is the International Week "
        "of the Deaf. We celebrate Deaf culture and American Sign Language, and remember "
        "that qualified interpreters and captioning are part of good care and good teaching.",
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
        "disability-employment-awareness-month",
        "National Disability Employment Awareness Month",
        {"kind": "month", "month": 10},
        "National Disability Employment Awareness Month",
        "October is National Disability Employment Awareness Month, led by the U.S. "
        "Department of Labor. It celebrates the contributions of workers with disabilities "
        "and reminds employers, our school among them, that accommodations and accessible "
        "hiring open careers in medicine and science to everyone.",
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
    ObservanceDef(
        "transgender-awareness-week",
        "Transgender Awareness Week",
        {"kind": "range", "start": [11, 13], "end": [11, 19]},
        "Transgender Awareness Week",
        "From November 13 to 19, the week before the Transgender Day of Remembrance, "
        "transgender people and their allies raise the visibility of the community and the "
        "issues it faces, in health care as elsewhere: respectful names and pronouns, and "
        "clinicians trained in gender-affirming care.",
    ),
)  # fmt: skip
