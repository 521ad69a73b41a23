"""The link rule of every edition: a link is an absolute http(s) URL with a host, or nothing.

Feeds and calendars put all sorts of things where a link belongs: nothing,
an empty string, a path relative to a page we never saw, ``javascript:``, a
``tag:`` or ``urn:`` id. Such a link cannot be followed from an inbox, so
compose shows the item without a link (no ``<a href="">``, no bare "Read it:"
line) and reports what it dropped, so ``mailer digest check`` can name the
item (a warning: the message itself is sound). The rule itself is
:func:`mailer.content.links.link_problem` (ingest stores by it too); the
rendered message is then checked again by :mod:`mailer.compose.checks`, where
a bad link that still got through (a user template, say) is an error.
"""

from __future__ import annotations

import lxml.html
from lxml import etree

from mailer.content.links import link_problem, web_link

__all__ = ["dropped", "link_problem", "unwrap_bad_links", "web_link"]


def dropped(label: str, url: object) -> str | None:
    """A line for ``check`` about an item's link that was left out; None if nothing to say."""
    problem = link_problem(url)
    if not problem or problem == "missing":
        return None
    return f"{label}: link {url!r} is {problem}; shown without a link"


def unwrap_bad_links(fragment: str) -> tuple[str, list[str]]:
    """The HTML fragment with anchors whose href is not a web link unwrapped (text kept).

    mailto: links in content are kept (an announcement's "write to us"); named
    anchors without href are left alone. Returns the fragment and the hrefs
    that were dropped.
    """
    if not fragment or "<a" not in fragment.lower():
        return fragment, []
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    bad: list[str] = []
    for a in list(root.iter("a")):
        href = a.get("href")
        if href is None or not link_problem(href):
            continue
        if href.strip().lower().startswith("mailto:") and "@" in href:
            continue
        bad.append(href)
        a.drop_tag()
    if not bad:
        return fragment, []
    parts = [root.text or ""] + [
        etree.tostring(child, encoding="unicode", method="html") for child in root
    ]
    return "".join(parts), bad
