"""Fit content HTML (feed summaries, announcements, features) into a 600 px email.

Content arrives sanitised but shaped for web pages: images 1200 px wide,
images without alt text. Classic Outlook sizes images by their ``width``
attribute and ignores ``max-width``, so a wide image breaks the column there;
screen readers read out the file name of an image without ``alt``. This
module clamps image widths to the column, lets every image shrink on phones,
and marks undescribed images as decorative (``alt=""``, or their title),
counting them so ``check`` can say so.
"""

from __future__ import annotations

import dataclasses

import lxml.html
from lxml import etree

from mailer.content.edition import EditionContent

#: The content column: 600 px less 32 px padding each side.
COLUMN_PX = 536


def _int(value: str | None) -> int | None:
    try:
        return int(str(value).strip().removesuffix("px"))
    except (TypeError, ValueError):
        return None


def fit_fragment(fragment: str, max_width: int = COLUMN_PX) -> tuple[str, int]:
    """The fragment with images fitted to ``max_width``; and how many lacked alt text."""
    if not fragment or "<img" not in fragment.lower():
        return fragment, 0
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    undescribed = 0
    for img in root.iter("img"):
        if img.get("alt") is None:
            undescribed += 1
            img.set("alt", (img.get("title") or "").strip())
        width, height = _int(img.get("width")), _int(img.get("height"))
        if width and width >= max_width:
            if height:
                img.set("height", str(round(height * max_width / width)))
            img.set("width", str(max_width))
            # Full column: scale with it, also as a blocked-image placeholder.
            style = f"display:block;width:100%;max-width:{max_width}px;height:auto;border:0;"
        else:
            # Smaller, or no width (a photo or a WordPress emoji): never blow it up;
            # Outlook shows one without a width at its natural size.
            style = "max-width:100%;height:auto;border:0;"
        img.set("style", style)
    parts = [root.text or ""] + [
        etree.tostring(child, encoding="unicode", method="html") for child in root
    ]
    return "".join(parts), undescribed


def fit_edition(content: EditionContent) -> tuple[EditionContent, int]:
    """Every HTML field of an edition fitted; and the count of images without alt text."""
    missing = 0

    def fit(html: str) -> str:
        nonlocal missing
        fitted, count = fit_fragment(html)
        missing += count
        return fitted

    fitted = dataclasses.replace(
        content,
        features=tuple(
            dataclasses.replace(f, body_html=fit(f.body_html)) for f in content.features
        ),
        news=tuple(dataclasses.replace(n, summary_html=fit(n.summary_html)) for n in content.news),
        announcements=tuple(
            dataclasses.replace(a, body_html=fit(a.body_html)) for a in content.announcements
        ),
    )
    return fitted, missing
