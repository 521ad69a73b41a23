"""News feeds: bytes of RSS 2.0, Atom 1.0 or JSON Feed 1.x -> clean items.

RSS and Atom are parsed by feedparser, which copes with the web's loose
feeds (CDATA, entities, xml:base, and ill-formed XML, which it reads with a
lenient parser and flags: we keep such a feed's items and warn). The released
feedparser (6.0) does not read JSON Feed, so that format, which is plain JSON
with a published schema, is read with the standard library into the same
:class:`FeedItem`. Ids are kept as written; links are made absolute against
the feed's URL and must be http(s) (:mod:`mailer.content.links`); dates
feedparser cannot read go to :mod:`mailer.content.dates`. Every summary then
passes our own sanitiser (feedparser's is not the one we vouch for), and is
cut at a word boundary.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import feedparser

from mailer.content.dates import lenient_date
from mailer.content.edition import UNTITLED
from mailer.content.links import web_link
from mailer.content.markup import sanitize_summary, strip_tags, truncate_html_words

SUMMARY_WORDS = 80
MAX_ITEMS = 500
_UTF8_BOM = b"\xef\xbb\xbf"


class FeedError(ValueError):
    """The document is not a feed we can read; the message says what is wrong."""


@dataclass(frozen=True)
class FeedItem:
    guid: str
    title: str
    url: str
    summary_html: str
    author: str = ""
    published_at: dt.datetime | None = None  # aware UTC; None when the feed gives none
    updated_at: dt.datetime | None = None
    image_url: str = ""
    image_alt: str = ""


def looks_like_json(body: bytes, content_type: str = "") -> bool:
    return "json" in content_type or body.removeprefix(_UTF8_BOM).lstrip()[:1] == b"{"


@dataclass(frozen=True)
class ParsedFeed:
    items: list[FeedItem]
    # What was wrong but read anyway (kept on the source for the admin to see).
    warnings: list[str] = field(default_factory=list)


def parse_feed(
    body: bytes,
    base_url: str,
    *,
    content_type: str = "",
    max_items: int = MAX_ITEMS,
    summary_words: int = SUMMARY_WORDS,
) -> ParsedFeed:
    """Parse a whole feed document; raise :class:`FeedError` if it is unreadable or too big."""
    warnings: list[str] = []
    if looks_like_json(body, content_type):
        entries = _json_entries(body, base_url, warnings)
    else:
        entries = _xml_entries(_trim_prolog(body), content_type, warnings)
    if len(entries) > max_items:
        raise FeedError(
            f"the feed has {len(entries)} items, more than the {max_items} we accept from "
            "one source; ask its owner for a feed of recent items"
        )
    return ParsedFeed([_clean(e, base_url, summary_words) for e in entries], warnings)


def _trim_prolog(body: bytes) -> bytes:
    """Drop a UTF-8 byte order mark and blank lines before the first ``<``.

    Real servers (WordPress plugins that echo a newline, editors that save a
    BOM) put them before ``<?xml``; browsers and feed readers accept that, but
    an XML parser must not, so feedparser would fall back to its loose parser.
    UTF-16 and UTF-32 marks are left for feedparser's encoding detection.
    """
    trimmed = body.removeprefix(_UTF8_BOM).lstrip(b" \t\r\n")
    return trimmed if trimmed.startswith(b"<") else body


def _xml_entries(body: bytes, content_type: str, warnings: list[str]) -> list[dict[str, Any]]:
    # No content-location: relative links are resolved by us against the fetch URL
    # (``_clean``), but an entry's id must stay as written (feedparser would resolve
    # a bare "12345" against it, so a feed that moved would duplicate its items).
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(body, response_headers=headers, resolve_relative_uris=True)
    if not parsed.get("version"):
        raise FeedError("not an RSS or Atom feed (no <rss>, <feed> or <rdf:RDF> root element)")
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        line = getattr(exc, "getLineNumber", lambda: None)()
        what = f"malformed XML{f' at line {line}' if line else ''}: {exc}"
        # A wrong charset declaration that feedparser worked around is harmless.
        harmless = isinstance(
            exc, feedparser.CharacterEncodingOverride | feedparser.NonXMLContentType
        )
        if not parsed.entries and not harmless:
            raise FeedError(what)
        if not harmless:
            # feedparser's loose parser read it anyway, as readers' apps do: keep the
            # items and tell the admin.
            warnings.append(f"{what} (read with feedparser's lenient parser)")
    return [_from_feedparser(entry, warnings) for entry in parsed.entries]


def _struct_to_utc(value: Any) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromtimestamp(calendar.timegm(value), tz=dt.UTC)


def _entry_date(entry: Any, key: str, warnings: list[str]) -> dt.datetime | None:
    """feedparser's parsed date, else dateutil's reading of the raw text, else None."""
    parsed = _struct_to_utc(dict.get(entry, f"{key}_parsed"))
    if parsed is not None:
        return parsed
    raw = dict.get(entry, key)
    if not raw:
        return None
    return lenient_date(str(raw), warnings)


def _from_feedparser(entry: Any, warnings: list[str]) -> dict[str, Any]:
    summary = ""
    if entry.get("content"):
        # Atom <content> / RSS content:encoded: prefer HTML over plain text.
        contents = sorted(entry.content, key=lambda c: "html" not in c.get("type", ""))
        summary = contents[0].get("value", "")
    if entry.get("summary"):
        summary = entry.summary  # the teaser, when the feed has one, reads better
    image, alt = "", ""
    for media in entry.get("media_thumbnail", []) + entry.get("media_content", []):
        if media.get("url") and media.get("medium", "image") == "image":
            image = media["url"]
            break
    if not image:
        for enc in entry.get("enclosures", []):
            if enc.get("type", "").startswith("image/") and enc.get("href"):
                image = enc["href"]
                break
    title_detail = entry.get("title_detail") or {}
    title = entry.get("title", "")
    if "html" in title_detail.get("type", ""):
        title = strip_tags(title)
    return {
        "guid": entry.get("id") or entry.get("link") or "",
        "title": title,
        "url": entry.get("link", ""),
        "summary": summary,
        "author": entry.get("author", ""),
        # dict.get: FeedParserDict.get maps a missing "updated" to "published" (with a warning).
        "published": _entry_date(entry, "published", warnings)
        or _entry_date(entry, "updated", warnings),
        "updated": _entry_date(entry, "updated", []),
        "image": image,
        "image_alt": alt,
    }


def _parse_iso(value: Any, where: str, warnings: list[str]) -> dt.datetime | None:
    """An RFC 3339 date, else what dateutil reads; a bad one drops only this date."""
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return lenient_date(str(value), warnings, where)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _json_entries(body: bytes, base_url: str, warnings: list[str]) -> list[dict[str, Any]]:
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(f"malformed JSON: {exc}") from None
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        raise FeedError("not a JSON Feed (its 'version' must be https://jsonfeed.org/version/1.1)")
    items = doc.get("items")
    if not isinstance(items, list):
        raise FeedError("JSON Feed: 'items' must be a list")
    feed_home = doc.get("home_page_url") or base_url
    entries = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise FeedError(f"JSON Feed: item {n} is not an object")
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        author = ", ".join(a.get("name", "") for a in authors if isinstance(a, dict))
        summary = item.get("content_html") or ""
        if item.get("summary"):
            summary = item["summary"]
        elif not summary and item.get("content_text"):
            summary = "<p>" + _escape(item["content_text"]) + "</p>"
        entries.append(
            {
                "guid": str(item.get("id") or item.get("url") or ""),
                "title": _escape(item.get("title", "")),
                "url": web_link(str(item.get("url") or item.get("external_url") or ""), feed_home),
                "summary": summary,
                "author": author,
                "published": _parse_iso(
                    item.get("date_published"), f"item {n} date_published", warnings
                ),
                "updated": _parse_iso(item.get("date_modified"), f"item {n} date_modified", []),
                "image": item.get("image") or item.get("banner_image") or "",
                "image_alt": "",
            }
        )
    return entries


def _escape(text: str) -> str:
    import html

    return html.escape(str(text), quote=False)


def _clean(entry: dict[str, Any], base_url: str, summary_words: int) -> FeedItem:
    url = web_link(entry["url"], base_url)
    title = strip_tags(entry["title"]) or UNTITLED
    guid = entry["guid"].strip() or url
    if not guid:
        # No id and no link: the title and date are all that identify it.
        basis = f"{title}|{entry['published']}".encode()
        guid = "sha1:" + hashlib.sha1(basis).hexdigest()
    summary = truncate_html_words(sanitize_summary(entry["summary"], base_url), summary_words)
    image = web_link(entry["image"], base_url)
    return FeedItem(
        guid=guid[:1000],
        title=title[:500],
        url=url[:2000],
        summary_html=summary,
        author=strip_tags(entry["author"])[:200],
        published_at=entry["published"],
        updated_at=entry["updated"],
        image_url=image[:2000],
        # Feeds rarely describe their images; the title is the most honest alt text.
        image_alt=(entry["image_alt"] or title)[:500] if image else "",
    )
