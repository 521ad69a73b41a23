"""The office's home page news (shared/seed/odei-homepage.txt), as seed text.

One copy for everything that shows a realistic week before real content is
ingested: ``mailer demo`` loads it into the database, and compose's sample
editions (``mailer digest preview --sample``) pin it to a fixed week. It lives
in content, upstream of both, so compose needs nothing from the demo.
"""

from __future__ import annotations

import datetime as dt

# (guid, title, summary, published): the dates the texts give. Ramadan 1445 began on
# March 11, 2024 and ended on April 9; "Week 4" of Black History Month 2024 began on
# February 26; the History Wall post announced an install beginning on February 12.
NEWS: list[tuple[str, str, str, dt.datetime]] = [
    (
        "happy-ramadan",
        "Happy Ramadan!",
        "This week marks the beginning of Ramadan this year and ends on April 9th. People all "
        "over the world, here in St. Louis, and many colleagues and patients will celebrate and "
        "observe Ramadan.",
        dt.datetime(2024, 3, 11, 15, 0, tzinfo=dt.UTC),
    ),
    (
        "snma-black-history-arts-week-4",
        "SNMA presents… Black History & The Arts, Week 4",
        "African American art is infused with African, Caribbean, Afro-Latin, and Black-American "
        "lived experiences. In the fields of visual and performing arts, literature, fashion, "
        "folklore, language, film, music, architecture, culinary, and other forms of cultural "
        "expression, the African American influence has been paramount. In 2024, SNMA examines "
        "the varied history and life of African American arts and artisans within St. Louis.",
        dt.datetime(2024, 2, 26, 15, 0, tzinfo=dt.UTC),
    ),
    (
        "desegregation-history-wall",
        "Recognizing our past, shaping our future: Desegregation History Wall install begins",
        "The Office of Diversity, Equity and Inclusion is very excited to share the installation "
        "of a permanent wall display specific to Black History on campus! The wall depicts the "
        "historical experiences of Black and African American individuals on the Medical Campus "
        "and is part of ongoing efforts to ensure that our institutions and communities are "
        "places where all people feel included, are treated fairly and justly, and are "
        "recognized for their meaningful contributions.",
        dt.datetime(2024, 2, 9, 15, 0, tzinfo=dt.UTC),
    ),
]
