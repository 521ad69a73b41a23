"""What goes into one edition of one list: the hand-off from content to compose.

These plain frozen dataclasses are the whole contract between the stages:
compose renders an ``EditionContent`` and never queries content tables, so a
preview and the send of the same edition show the same thing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class FeatureEntry:
    """An observance being marked on the edition's date (a heritage month, a holy day)."""

    slug: str
    name: str
    title: str
    body_html: str  # sanitised HTML
    starts_on: dt.date
    ends_on: dt.date
    image_url: str = ""
    image_alt: str = ""
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class ComingUpEntry:
    """An observance starting soon, shown as one line."""

    slug: str
    name: str
    starts_on: dt.date
    ends_on: dt.date


#: The title stored for a feed item that has none (RSS 2.0 allows it).
UNTITLED = "(untitled)"


@dataclass(frozen=True)
class NewsEntry:
    id: int
    title: str
    url: str  # absolute http(s), or "" for none
    summary_html: str  # sanitised HTML
    published_at: dt.datetime  # aware UTC
    source_name: str = ""
    image_url: str = ""
    image_alt: str = ""
    # Ids of the list's topics the item carries (its source's and its own); empty: none.
    topics: frozenset[int] = frozenset()

    @property
    def titled(self) -> bool:
        """An untitled item is never the lead story nor the subject's headline."""
        return bool(self.title.strip()) and self.title != UNTITLED


@dataclass(frozen=True)
class EventEntry:
    id: int
    title: str
    starts_at: dt.datetime  # aware; shown in the list's time zone
    ends_at: dt.datetime | None
    all_day: bool
    location: str = ""
    url: str = ""
    description: str = ""
    topics: frozenset[int] = frozenset()
    # The event's identity at its source ("<UID>@<recurrence-id>" for an occurrence),
    # stable across editions: the UID of its calendar file.
    guid: str = ""


@dataclass(frozen=True)
class AnnouncementEntry:
    id: int
    title: str
    body_html: str  # rendered from Markdown and sanitised
    topics: frozenset[int] = frozenset()


@dataclass(frozen=True)
class EditionContent:
    list_id: int
    list_slug: str
    list_name: str
    edition_date: dt.date  # in the list's time zone
    timezone: str
    features: tuple[FeatureEntry, ...] = ()
    coming_up: tuple[ComingUpEntry, ...] = ()
    news: tuple[NewsEntry, ...] = ()
    events: tuple[EventEntry, ...] = ()
    announcements: tuple[AnnouncementEntry, ...] = ()
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_empty(self) -> bool:
        return not (self.features or self.news or self.events or self.announcements)

    def item_ids(self) -> dict[str, list[int | str]]:
        """What went in, stored on the campaign for audit and 'not yet included' checks."""
        return {
            "features": [f.slug for f in self.features],
            "news": [n.id for n in self.news],
            "events": [e.id for e in self.events],
            "announcements": [a.id for a in self.announcements],
        }


@dataclass(frozen=True)
class EditionHistory:
    """What choosing an edition needs to know of the list's campaigns.

    Delivery owns campaigns and looks this up (``delivery.campaigns.edition_history``);
    content only reads it, so content imports nothing from delivery.
    ``previous_made_at`` and ``previous_news``: when the latest digest before this
    one that was sent (or is sending) was made, and the news it carried (None and
    empty for a first edition). ``this_edition``: campaigns of this very edition, so
    choosing it again after it was made counts the announcements it carries.
    """

    previous_made_at: dt.datetime | None = None
    previous_news: frozenset[int] = frozenset()
    this_edition: frozenset[int] = frozenset()
