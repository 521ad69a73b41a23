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


def link_problem(url: object) -> str:
    """Why ``url`` is not a followable web link ('' when it is one).

    The one rule for links, used by ingest (what is stored) and by compose
    (what is shown, and what ``digest check`` reports).
    """
    if not isinstance(url, str):
        return "missing" if url is None else "not text"
    value = url.strip()
    if not value:
        return "empty"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return "broken by a control character"  # a line break is never part of an address
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return "not a URL"
    scheme = parts.scheme.lower()
    if not scheme:
        return "relative"
    if scheme not in WEB_SCHEMES:
        return f"not http(s) ({scheme}:)"
    if not parts.hostname:
        return "without a host"
    return ""


def web_link(value: object, base: str | None = None) -> str:
    """``value`` (made absolute against ``base``) if that is an http(s) URL with a host; else ""."""
    if not isinstance(value, str) or not value.strip():
        return ""
    link = urljoin(base, value.strip()) if base else value.strip()
    return "" if link_problem(link) else link
