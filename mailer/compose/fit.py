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

from mailer.compose.links import dropped, link_problem, unwrap_bad_links, web_link
from mailer.content.edition import EditionContent, Link

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


@dataclasses.dataclass
class FitReport:
    """What fitting changed that ``check`` should mention."""

    images_without_alt: int = 0
    dropped_links: list[str] = dataclasses.field(default_factory=list)


def fit_html(html: str, label: str, report: FitReport) -> str:
    """A content fragment with images fitted and links that cannot be followed unwrapped."""
    fitted, count = fit_fragment(html or "")
    report.images_without_alt += count
    fitted, bad = unwrap_bad_links(fitted)
    report.dropped_links += [
        f"{label}: link {href!r} in the text is {link_problem(href)}; "
        "its words are kept without the link"
        for href in bad
    ]
    return fitted


def _link(url: object, label: str, report: FitReport) -> str:
    note = dropped(label, url)
    if note:
        report.dropped_links.append(note)
    return web_link(url)


def fit_edition(content: EditionContent) -> tuple[EditionContent, FitReport]:
    """Every HTML field of an edition fitted, and every item link a web link or ''."""
    report = FitReport()
    fitted = dataclasses.replace(
        content,
        features=tuple(
            dataclasses.replace(
                f,
                body_html=fit_html(f.body_html, f"feature {f.name!r}", report),
                links=tuple(
                    Link(link.label, url)
                    for link in f.links
                    if (url := _link(link.url, f"feature {f.name!r}", report))
                ),
                image_url=web_link(f.image_url),
            )
            for f in content.features
        ),
        news=tuple(
            dataclasses.replace(
                n,
                url=_link(n.url, f"news item {n.title!r}", report),
                summary_html=fit_html(n.summary_html, f"news item {n.title!r}", report),
                image_url=web_link(n.image_url),
            )
            for n in content.news
        ),
        events=tuple(
            dataclasses.replace(e, url=_link(e.url, f"event {e.title!r}", report))
            for e in content.events
        ),
        announcements=tuple(
            dataclasses.replace(
                a, body_html=fit_html(a.body_html, f"announcement {a.title!r}", report)
            )
            for a in content.announcements
        ),
    )
    return fitted, report
