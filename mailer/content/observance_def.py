"""One observance of the built-in calendar: its rule and its fallback feature text."""

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
UMM_AL_QURA = "Dates follow the Umm al-Qura calendar; local moon sighting can shift them by a day."
