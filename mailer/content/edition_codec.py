"""An ``EditionContent`` as JSON and back: kept with a campaign so its variants agree.

A campaign's variants (one per topic set, ``mailer.compose.variants``) are
rendered from the items its edition chose when it was made. A topic set
first seen mid-send is rendered later, from this stored copy rather than
from a fresh selection that may have seen newer news.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
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

_DATES = {"starts_on", "ends_on", "edition_date"}
_TIMES = {"published_at", "starts_at", "ends_at"}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def to_json(content: EditionContent) -> dict[str, Any]:
    return dict(_plain(content))


def _entry(cls: type[Any], data: dict[str, Any], tz: ZoneInfo) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in names:
            continue
        if key in _DATES and value:
            value = dt.date.fromisoformat(value)
        elif key in _TIMES and value:
            value = dt.datetime.fromisoformat(value).astimezone(tz)
        elif key == "topics":
            value = frozenset(value)
        elif key == "links":
            value = tuple(Link(**link) for link in value)
        values[key] = value
    return cls(**values)


def from_json(data: dict[str, Any]) -> EditionContent:
    tz = ZoneInfo(data["timezone"])
    return EditionContent(
        list_id=data["list_id"],
        list_slug=data["list_slug"],
        list_name=data["list_name"],
        edition_date=dt.date.fromisoformat(data["edition_date"]),
        timezone=data["timezone"],
        features=tuple(_entry(FeatureEntry, f, tz) for f in data.get("features", [])),
        coming_up=tuple(_entry(ComingUpEntry, c, tz) for c in data.get("coming_up", [])),
        news=tuple(_entry(NewsEntry, n, tz) for n in data.get("news", [])),
        events=tuple(_entry(EventEntry, e, tz) for e in data.get("events", [])),
        announcements=tuple(
            _entry(AnnouncementEntry, a, tz) for a in data.get("announcements", [])
        ),
        notes=tuple(data.get("notes", [])),
    )
