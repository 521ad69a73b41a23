"""What counts as an item's link: one absolute http(s) address, or none at all.

Feeds carry empty links, relative ones with nothing to resolve them against,
and ``javascript:``, ``mailto:`` or ``ftp:`` ones. An email can only follow an
absolute http(s) link, and a wrong one is worse than none, so every link an
item stores (feed items, calendar URLs, images) passes :func:`web_link`; what
fails is stored as ``""`` (the model's "no link"), and compose leaves it out.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

WEB_SCHEMES = ("http", "https")


def web_link(value: str | None, base: str | None = None) -> str:
    """``value`` made absolute against ``base``, if that gives an http(s) URL; else ""."""
    link = (value or "").strip()
    if not link:
        return ""
    if base:
        link = urljoin(base, link)
    try:
        parts = urlsplit(link)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return ""
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
        return ""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in link):
        return ""  # a control character (a line break) is never part of an address
    return link
