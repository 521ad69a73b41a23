"""Jinja filters shared by the HTML and text templates.

Dates, event times and HTML fragments are formatted here once, so the HTML
part and its plain-text twin carry the same words (SpamAssassin's
MPART_ALT_DIFF fires when they differ) and events always show in the list's
time zone.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import lxml.html
from lxml import etree

from mailer.compose import calendar
from mailer.content.all_day import shown_days


def longdate(value: dt.date | dt.datetime) -> str:
    """'March 3, 2025' (no zero padding, any platform)."""
    return f"{value:%B} {value.day}, {value.year}"


def dayname_date(value: dt.date | dt.datetime, year: bool = False) -> str:
    """'Tuesday, March 4' (with ', 2025' when asked)."""
    text = f"{value:%A, %B} {value.day}"
    return f"{text}, {value.year}" if year else text


def short_date(value: dt.date | dt.datetime) -> str:
    return f"{value:%B} {value.day}"


def clock(value: dt.datetime) -> str:
    """'9:30 AM', '12:00 PM'."""
    hour = value.hour % 12 or 12
    return f"{hour}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"


def _local(value: dt.datetime, tz: str) -> dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(ZoneInfo(tz))


def event_when(event: Any, tz: str) -> str:
    """When an event happens, in the list's time zone: one short line."""
    if event.all_day:
        # DTEND is exclusive; shown_days is the one place that makes it inclusive.
        first, last = shown_days(event.starts_at, event.ends_at)
        if first == last:
            return f"{dayname_date(first)} (all day)"
        if first.year == last.year and first.month == last.month:
            return f"{short_date(first)}–{last.day}, {last.year} (all day)"
        return f"{short_date(first)} – {short_date(last)}, {last.year} (all day)"
    start = _local(event.starts_at, tz)
    zone = start.tzname() or tz
    if event.ends_at is None:
        return f"{dayname_date(start)}, {clock(start)} {zone}"
    end = _local(event.ends_at, tz)
    if end.date() == start.date():
        return f"{dayname_date(start)}, {clock(start)} – {clock(end)} {zone}"
    return f"{dayname_date(start)}, {clock(start)} – {dayname_date(end)}, {clock(end)} {zone}"


def local_date(value: dt.datetime, tz: str) -> str:
    return short_date(_local(value, tz))


def observance_when(entry: Any) -> str:
    """'begins Friday, February 28' or 'March 1–31'."""
    first, last = entry.starts_on, entry.ends_on
    if first == last:
        return dayname_date(first)
    if first.year == last.year and first.month == last.month:
        return f"{short_date(first)}–{last.day}"
    return f"{short_date(first)} – {short_date(last)}"


_BLOCKS = {
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "blockquote",
    "pre",
    "table",
    "tr",
    "hr",
    "figure",
    "figcaption",
}


def as_text(html: str, width: int = 72) -> str:
    """An HTML fragment (sanitised content) as readable plain text.

    Written for people rather than Markdown: paragraphs separated by blank
    lines, list items with dashes, and every link shown as its URL after its
    label, so the text part has each link the HTML part has.
    """
    if not html or not html.strip():
        return ""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    blocks: list[str] = []
    buf: list[str] = []
    prefix = [""]

    def flush() -> None:
        text = " ".join("".join(buf).split())
        buf.clear()
        if text:
            blocks.append(wrap(text, width, prefix[0], " " * len(prefix[0])))
        prefix[0] = ""

    def walk(el: Any) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in ("script", "style") or el.tag is etree.Comment:
            return
        if tag in _BLOCKS:
            flush()
        if tag == "li":
            parent = el.getparent()
            if parent is not None and parent.tag == "ol":
                prefix[0] = f"{list(parent).index(el) + 1}. "
            else:
                prefix[0] = "- "
        if tag == "br":
            flush()
        if tag == "img":
            alt = (el.get("alt") or "").strip()
            if alt:
                buf.append(f" [{alt}] ")
        if el.text and tag:
            buf.append(el.text)
        for child in el:
            walk(child)
        if tag == "a":
            href = (el.get("href") or "").strip()
            label = " ".join(el.text_content().split())
            shown = href[7:] if href.startswith("mailto:") else href
            if href and shown != label:
                buf.append(f" ({href})" if not href.startswith("mailto:") else f" ({shown})")
        if tag in _BLOCKS:
            flush()
        if el.tail:
            buf.append(el.tail)

    walk(root)
    flush()
    return "\n\n".join(blocks)


def wrap(text: str, width: int = 72, initial: str = "", subsequent: str = "") -> str:
    """Wrap prose for the text part without ever breaking a URL or placeholder."""
    return textwrap.fill(
        " ".join(str(text).split()),
        width=width,
        initial_indent=initial,
        subsequent_indent=subsequent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def underline(text: str, char: str = "=") -> str:
    """A text heading: the line and a rule of the same length beneath it."""
    text = str(text)
    return f"{text}\n{char * len(text)}"


FILTERS: dict[str, Callable[..., Any]] = {
    "longdate": longdate,
    "dayname_date": dayname_date,
    "short_date": short_date,
    "event_when": event_when,
    "local_date": local_date,
    "observance_when": observance_when,
    "as_text": as_text,
    "wrap_text": wrap,
    "underline": underline,
    "ics_url": lambda event, base: calendar.ics_url(base, event),
    "google_calendar_url": lambda event, tz="": calendar.google_url(event, tz),
}
