"""Turning untrusted text (feed summaries, staff Markdown) into HTML safe to mail.

Every piece of HTML that reaches an edition, the web UI or the archive goes
through :func:`sanitize_html` once, at the boundary where it enters the
database or the edition: nh3 (the Rust ammonia sanitiser) keeps an allowlist
of tags and attributes, drops ``<script>``/``<style>`` with their content,
every ``on*`` handler and every URL whose scheme is not on the list (so
``javascript:`` and ``data:`` links vanish). Relative links are made absolute
against the page they came from, because an email has no base URL.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import urljoin

import nh3
from markdown_it import MarkdownIt

#: Tags allowed in summaries and announcements: text structure, links, images, tables.
ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del",
        "div", "dl", "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6",
        "hr", "i", "img", "ins", "li", "mark", "ol", "p", "pre", "q", "s", "small",
        "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "time",
        "tr", "u", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "time": {"datetime"},
}
# Any tag may say which way its text runs and in which language (Arabic, Hebrew and
# Urdu read right to left; screen readers pick their voice from lang).
GENERIC_ATTRIBUTES = frozenset({"dir", "lang"})
_DIRECTIONS = frozenset({"ltr", "rtl", "auto"})
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_URL_ATTRIBUTES = {"href", "src"}
# Content of these is dropped, not just the tags.
_DROP_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "template", "noscript"})

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)


def sanitize_html(fragment: str, base_url: str | None = None) -> str:
    """Clean an HTML fragment; resolve relative ``href``/``src`` against ``base_url``.

    Links get ``rel="noopener noreferrer"``. Without a base URL, relative links are
    kept as written (staff content previewed on our own site).
    """
    if not fragment:
        return ""

    def _resolve(tag: str, attr: str, value: str) -> str | None:
        if attr == "dir":
            return value.strip().lower() if value.strip().lower() in _DIRECTIONS else None
        if attr == "lang":
            return value.strip() if _LANGUAGE_TAG.match(value.strip()) else None
        if attr in _URL_ATTRIBUTES:
            value = value.strip()
            if not value:
                return None  # an emptied link would point back at the feed itself
            if base_url:
                value = urljoin(base_url, value)
        return value

    attributes = {k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()}
    attributes["*"] = set(GENERIC_ATTRIBUTES)
    cleaned = nh3.clean(
        drop_tracking_pixels(fragment),
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(_DROP_CONTENT),
        attributes=attributes,
        attribute_filter=_resolve,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    return cleaned.strip()


_PIXEL_MAX = 2  # px: an image this small in either direction shows nothing to a reader
_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""\b(width|height|style)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
_CSS_SIZE = re.compile(
    r"(?:^|;)\s*(?:max-)?(width|height)\s*:\s*(\d+(?:\.\d+)?)\s*(?:px)?\s*(?:;|$)"
)
_CSS_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def _is_pixel(tag: str) -> bool:
    for name, *values in _ATTR.findall(tag):
        value = next((v for v in values if v), "").strip().lower()
        if name.lower() == "style":
            if _CSS_HIDDEN.search(value):
                return True
            sizes = [float(n) for _, n in _CSS_SIZE.findall(value)]
        else:
            number = re.match(r"\d+(?:\.\d+)?", value)
            sizes = [float(number.group())] if number and not value.endswith("%") else []
        if any(size <= _PIXEL_MAX for size in sizes):
            return True
    return False


def drop_tracking_pixels(fragment: str) -> str:
    """Remove images of 0-2 px (width or height, by attribute or CSS) and hidden ones.

    Feeds embed tracking pixels (WordPress.com's stats ``b.gif``, FeedBurner's
    ``~r`` image, mailers' open trackers): they tell a third party who opened our
    digest and when, and show nothing. This runs before nh3, which drops
    ``style`` and with it the evidence.
    """
    if "<img" not in fragment.lower():
        return fragment
    return _IMG_TAG.sub(lambda m: "" if _is_pixel(m.group()) else m.group(), fragment)


_HEADING = re.compile(r"<(/?)h[1-6]\b([^>]*)>", re.IGNORECASE)


def sanitize_summary(fragment: str, base_url: str | None = None) -> str:
    """:func:`sanitize_html` for an item's summary, with its headings demoted.

    A summary sits under its item's own title (an ``<h3>`` in the digest), so a
    heading inside it would outrank the title, and screen readers would list it
    as a section. Each ``<h1>``-``<h6>`` becomes a paragraph in bold,
    ``<p><strong>...</strong></p>``, keeping its ``dir`` and ``lang``.
    """
    demoted = _HEADING.sub(
        lambda m: "</strong></p>" if m.group(1) else f"<p{m.group(2)}><strong>", fragment or ""
    )
    return sanitize_html(demoted, base_url)  # which also cleans what the headings carried


def render_markdown(md: str) -> str:
    """Staff Markdown -> sanitised HTML (raw HTML in the Markdown is escaped, not passed)."""
    if not md or not md.strip():
        return ""
    return sanitize_html(_md.render(md))


def strip_tags(fragment: str) -> str:
    """Plain text of an HTML fragment (titles from feeds sometimes carry markup)."""
    text = nh3.clean(fragment or "", tags=set(), clean_content_tags=set(_DROP_CONTENT))
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


_VOID = frozenset({"br", "hr", "img", "wbr", "col", "area", "input", "source"})


class _Truncator(HTMLParser):
    """Copies HTML until ``limit`` words of text have been seen, then closes open tags."""

    def __init__(self, limit: int) -> None:
        super().__init__(convert_charrefs=True)
        self.limit = limit
        self.words = 0
        self.out: list[str] = []
        self.open: list[str] = []
        self.done = False
        self.truncated = False
        # (length of out, open tags) just after the last text that had a word.
        self.mark: tuple[int, list[str]] = (0, [])

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        self.out.append(self.get_starttag_text() or "")
        if tag not in _VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.done:
            self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if self.done:
            return
        if tag in self.open:
            while self.open:
                top = self.open.pop()
                self.out.append(f"</{top}>")
                if top == tag:
                    break

    def _text(self, data: str) -> None:
        if self.done:
            if data.strip():
                self.truncated = True
            return
        # Entities arrive decoded (convert_charrefs), so "caf&eacute;" is one word.
        kept: list[str] = []
        cut = False
        for piece in re.split(r"(\s+)", data):
            if piece and not piece.isspace():
                if self.words >= self.limit:
                    cut = True
                    break
                self.words += 1
            kept.append(piece)
        text = html.escape("".join(kept), quote=False)
        if not cut:
            self.out.append(text)
            if text.strip():
                self.mark = (len(self.out), list(self.open))
            return
        self.done = self.truncated = True
        if text.strip():
            self.out.append(text.rstrip() + "\u2026")
            return
        # The cut falls at the start of this element: end after the last word
        # instead, dropping the elements opened since.
        end, stack = self.mark
        del self.out[end:]
        self.open = stack
        self.out[end - 1] = self.out[end - 1].rstrip() + "\u2026"

    def handle_data(self, data: str) -> None:
        self._text(data)

    def result(self) -> str:
        return "".join(self.out) + "".join(f"</{t}>" for t in reversed(self.open))


def truncate_html_words(fragment: str, max_words: int) -> str:
    """Cut an HTML fragment after ``max_words`` words, at a word boundary, tags closed.

    An ellipsis marks a cut. Feed summaries are sometimes whole articles; the
    digest wants a teaser and Gmail clips messages over 102 KB.
    """
    if max_words <= 0 or not fragment:
        return fragment
    parser = _Truncator(max_words)
    parser.feed(fragment)
    parser.close()
    if not parser.truncated:
        return fragment
    return sanitize_html(parser.result())


def truncate_text_words(text: str, max_words: int) -> str:
    """Plain-text counterpart of :func:`truncate_html_words`."""
    words = text.split()
    if len(words) <= max_words:
        return text
    return " ".join(words[:max_words]) + "\u2026"
