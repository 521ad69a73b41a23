"""Sample editions built from the office's own homepage text, for previews and tests.

``demo_edition`` is a realistic week (the Women's History Month feature, the
three news items of the homepage, a few events); ``maximal_edition`` is the
largest edition we promise to keep under Gmail's 102 KB clip (10 news items,
10 events, 3 announcements). ``mailer digest preview --sample`` renders them,
so an office can design its templates before any content is ingested.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from mailer.content.edition import (
    AnnouncementEntry,
    ComingUpEntry,
    EditionContent,
    EventEntry,
    FeatureEntry,
    Link,
    NewsEntry,
)
from mailer.content.markup import render_markdown
from mailer.content.observance_texts import BUILTIN_BY_SLUG
from mailer.content.seed import NEWS as SEED_NEWS

SITE = "https://diversity.wustl.edu"
CHICAGO = ZoneInfo("America/Chicago")

_WHM = BUILTIN_BY_SLUG["womens-history-month"]
WOMENS_HISTORY_MONTH = FeatureEntry(
    slug=_WHM.slug,
    name="Women’s History Month",  # typographic apostrophe, as the templates show it
    title=_WHM.title,
    body_html=render_markdown(_WHM.body_md),
    starts_on=dt.date(2025, 3, 1),
    ends_on=dt.date(2025, 3, 31),
    links=(Link("Read our office’s full mission and vision", f"{SITE}/about/"),),
)

# The home page's news items (``mailer.content.seed.NEWS``), pinned to the week of 3 March 2025.
_PUBLISHED = (
    dt.datetime(2025, 2, 28, 15, 0, tzinfo=dt.UTC),
    dt.datetime(2025, 2, 26, 18, 30, tzinfo=dt.UTC),
    dt.datetime(2025, 2, 25, 16, 0, tzinfo=dt.UTC),
)
_IMAGES = {
    "desegregation-history-wall": (
        f"{SITE}/wp-content/uploads/history-wall.jpg",
        "A group of people examines a timeline documenting the medical campus history "
        "of segregation and desegregation.",
    ),
}
NEWS = tuple(
    NewsEntry(
        id=number,
        title=title,
        url=f"{SITE}/news/{guid}/",
        summary_html=f"<p>{summary}</p>",
        published_at=published,
        source_name="ODEI News",
        image_url=_IMAGES.get(guid, ("", ""))[0],
        image_alt=_IMAGES.get(guid, ("", ""))[1],
    )
    for number, ((guid, title, summary, _dated), published) in enumerate(
        zip(SEED_NEWS, _PUBLISHED, strict=True), start=1
    )
)


def _at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, 3, day, hour, minute, tzinfo=CHICAGO).astimezone(dt.UTC)


EVENTS = (
    EventEntry(
        id=1,
        title="Women in Medicine panel: pioneers and pathways",
        starts_at=_at(5, 12),
        ends_at=_at(5, 13),
        all_day=False,
        location="Eric P. Newman Education Center, Room 240",
        url=f"{SITE}/events/women-in-medicine-panel/",
        description=(
            "Faculty and trainees share how women doctors and researchers shaped "
            "WashU Medicine, and what still stands in the way."
        ),
    ),
    EventEntry(
        id=2,
        title="Restorative justice circle",
        starts_at=_at(6, 16),
        ends_at=_at(6, 17, 30),
        all_day=False,
        location="Becker Library, 2nd floor",
        url=f"{SITE}/events/restorative-justice-circle/",
        description="An open circle in the Programming and Professional Development series.",
    ),
    EventEntry(
        id=3,
        title="Academic Pathway Programs open house",
        starts_at=dt.datetime(2025, 3, 8, tzinfo=dt.UTC),  # all-day: 00:00 UTC of the date
        ends_at=None,
        all_day=True,
        location="Medical Campus",
        url=f"{SITE}/events/pathway-open-house/",
    ),
)

COMING_UP = (
    ComingUpEntry(
        slug="ramadan", name="Ramadan", starts_on=dt.date(2025, 3, 1), ends_on=dt.date(2025, 3, 30)
    ),
    ComingUpEntry(
        slug="holi", name="Holi", starts_on=dt.date(2025, 3, 14), ends_on=dt.date(2025, 3, 14)
    ),
)

ANNOUNCEMENT = AnnouncementEntry(
    id=1,
    title="Nominations open for the Dean’s Impact Award",
    body_html=(
        "<p>Do you know a colleague whose work makes WashU Medicine a more welcoming place? "
        "Nominate them for the Dean’s Impact Award by <strong>March 21</strong>.</p>"
        f'<p><a href="{SITE}/awards/">Read the criteria and nominate</a></p>'
    ),
)


def demo_edition(list_id: int = 1, list_slug: str = "odei-weekly") -> EditionContent:
    """The edition of Monday, March 3, 2025 as the demo shows it."""
    return EditionContent(
        list_id=list_id,
        list_slug=list_slug,
        list_name="ODEI Weekly",
        edition_date=dt.date(2025, 3, 3),
        timezone="America/Chicago",
        features=(WOMENS_HISTORY_MONTH,),
        coming_up=COMING_UP,
        news=NEWS,
        events=EVENTS,
    )


def maximal_edition(list_id: int = 1, list_slug: str = "odei-weekly") -> EditionContent:
    """The largest edition we size for: 10 news items, 10 events, 3 announcements."""
    news = tuple(
        NewsEntry(
            id=i + 1,
            title=f"{base.title} (part {i + 1})",
            url=f"{base.url}{i + 1}/",
            summary_html=base.summary_html,
            published_at=base.published_at - dt.timedelta(hours=i),
            source_name=base.source_name,
            image_url=base.image_url,
            image_alt=base.image_alt,
        )
        for i, base in ((i, NEWS[i % len(NEWS)]) for i in range(10))
    )
    events = tuple(
        EventEntry(
            id=i + 1,
            title=f"{base.title} (session {i + 1})",
            starts_at=base.starts_at + dt.timedelta(days=i // 3),
            ends_at=base.ends_at + dt.timedelta(days=i // 3) if base.ends_at else None,
            all_day=base.all_day,
            location=base.location,
            url=f"{base.url}{i + 1}/",
            description=(base.description or WOMENS_HISTORY_MONTH.title) * 2,
        )
        for i, base in ((i, EVENTS[i % len(EVENTS)]) for i in range(10))
    )
    # The last one carries a long bare link, as staff paste them: it must wrap on a phone.
    long_url = (
        "https://forms.office.com/Pages/ResponsePage.aspx?"
        "id=Xk3NQ9v2aUeRz0pLwT7yHn8bFqJm4sDc1GhE5oKiV6AzBxYtWuRlPqMnOj"
    )
    bodies = [ANNOUNCEMENT.body_html] * 2 + [
        ANNOUNCEMENT.body_html + f'<p>The form: <a href="{long_url}">{long_url}</a></p>'
    ]
    announcements = tuple(
        AnnouncementEntry(id=i + 1, title=f"{ANNOUNCEMENT.title} ({i + 1} of 3)", body_html=body)
        for i, body in enumerate(bodies)
    )
    return dataclasses.replace(
        demo_edition(list_id, list_slug), news=news, events=events, announcements=announcements
    )
