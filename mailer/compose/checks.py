"""Pre-send checks of a rendered snapshot: what would hurt delivery or reading.

Each rule looks at the snapshot exactly as it will be sent (inlined HTML,
text twin, subject) and reports ``Finding``s. Errors are things Gmail, Yahoo
or Outlook punish or that break the message for some readers (clipped HTML,
images without alt, relative links, no unsubscribe); warnings are worth a
look. ``mailer digest check`` exits non-zero when any error is found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import lxml.html

from mailer.compose import colors
from mailer.compose.links import link_problem
from mailer.compose.snapshot import PLACEHOLDERS, Snapshot

#: Gmail clips a message whose HTML is larger than about 102 KB.
GMAIL_CLIP_BYTES = 102_000
#: Where we start warning, so a busy week does not surprise anyone.
SIZE_WARNING_BYTES = 90_000
#: Longer subjects are cut in most inboxes (about 70 characters on desktop).
SUBJECT_MAX = 70
PREHEADER_MAX = 140
#: Fewer visible words per image than this looks like an image-only mail to filters.
WORDS_PER_IMAGE_MIN = 60
MIN_FONT_PX = 14
#: Sample values the size check puts in place of the per-recipient placeholders.
SAMPLE_VALUES = {
    "name": "Alexandra Montgomery-Washington",
    "email": "alexandra.montgomery-washington@example.org",
    "unsubscribe_url": "https://news.example.org/u/" + "x" * 96,
    "preferences_url": "https://news.example.org/p/" + "x" * 96,
}
BULK_KINDS = {"digest", "announcement"}
_URL_IN_TEXT = re.compile(r"(?:https?://|mailto:)[^\s<>()\"']+")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_FONT_SIZE = re.compile(r"font-size\s*:\s*(\d+(?:\.\d+)?)px", re.I)

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    level: Level
    rule: str
    message: str


def personalised_sample(text: str) -> str:
    """The snapshot with realistic per-recipient values, as one recipient would get it."""
    for key, placeholder in PLACEHOLDERS.items():
        text = text.replace(placeholder, SAMPLE_VALUES[key])
    return text


def _is_placeholder(url: str) -> bool:
    return url in PLACEHOLDERS.values()


def _visible_text(doc: lxml.html.HtmlElement) -> str:
    body = doc.find("body")
    if body is None:
        return ""
    parts: list[str] = []
    for el in body.iter():
        if not isinstance(el.tag, str) or el.tag in ("style", "script"):
            continue
        hidden = any(
            "display:none" in (a.get("style") or "").replace(" ", "")
            for a in [el, *el.iterancestors()]
        )
        if hidden:
            continue
        if el.text:
            parts.append(el.text)
        if el.tail and not any(
            "display:none" in (a.get("style") or "").replace(" ", "") for a in el.iterancestors()
        ):
            parts.append(el.tail)
    return " ".join(" ".join(parts).split())


def text_urls(text: str) -> set[str]:
    """URLs a reader of the text part can see (mailto: shown as the bare address)."""
    return {m.group(0).rstrip(".,;:!?") for m in _URL_IN_TEXT.finditer(text)}


def html_urls(html: str) -> set[str]:
    doc = lxml.html.document_fromstring(html)
    return {
        a.get("href", "").strip()
        for a in doc.iter("a")
        if a.get("href", "").strip() and not a.get("href", "").startswith("#")
    }


def _link_problem(url: str) -> tuple[Level, str] | None:
    if _is_placeholder(url):
        return None
    if url.lower().startswith("mailto:"):
        return None if "@" in url else ("error", f"mailto link without an address: {url!r}")
    if url.lower().startswith("tel:"):
        return None
    problem = link_problem(url)
    if problem:
        return ("error", f"link is {problem}, not absolute https or mailto: {url!r}")
    if urlsplit(url).scheme.lower() == "http":
        return ("warning", f"link is not https: {url}")
    return None


def check_snapshot(snapshot: Snapshot) -> list[Finding]:
    """Every finding for one rendered snapshot, errors first."""
    findings: list[Finding] = []

    def add(level: Level, rule: str, message: str) -> None:
        findings.append(Finding(level, rule, message))

    kind = str(snapshot.meta.get("kind", "digest"))
    html = snapshot.html or ""
    text = snapshot.text or ""

    # Size, measured as one real recipient's HTML part.
    size = len(personalised_sample(html).encode("utf-8"))
    if size > GMAIL_CLIP_BYTES:
        add(
            "error",
            "html-size",
            f"HTML part is {size / 1000:.1f} KB; Gmail clips messages over "
            f"{GMAIL_CLIP_BYTES / 1000:.0f} KB (hiding the unsubscribe link): include fewer items",
        )
    elif size > SIZE_WARNING_BYTES:
        add(
            "warning",
            "html-size",
            f"HTML part is {size / 1000:.1f} KB, close to Gmail's "
            f"{GMAIL_CLIP_BYTES / 1000:.0f} KB clip",
        )

    # Subject and preheader.
    if not snapshot.subject.strip():
        add("error", "subject", "the subject is empty")
    elif len(snapshot.subject) > SUBJECT_MAX:
        add(
            "warning",
            "subject",
            f"subject is {len(snapshot.subject)} characters; inboxes cut it after about "
            f"{SUBJECT_MAX}: {snapshot.subject!r}",
        )
    if not snapshot.preheader.strip():
        add("warning", "preheader", "no preheader: inboxes will show the first body text instead")
    elif len(snapshot.preheader) > PREHEADER_MAX:
        add("warning", "preheader", f"preheader is longer than {PREHEADER_MAX} characters")

    # Text part.
    if not text.strip():
        add("error", "text-part", "no plain-text part: spam filters and text-only readers need one")

    if not html.strip():
        add("error", "html-part", "no HTML part")
        return _sorted(findings)
    try:
        doc = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError) as exc:
        add("error", "html-part", f"the HTML part cannot be parsed: {exc}")
        return _sorted(findings)

    if "{{" in html or "{%" in html or "{{" in text or "{%" in text:
        add("error", "template", "unrendered template syntax ({{ or {%) left in the message")

    # Document-level rules of DESIGN.md section 5.
    if not (doc.get("lang") or "").strip():
        add("error", "lang", "<html> has no lang attribute (screen readers need it)")
    title = doc.find(".//title")
    title_text = " ".join((title.text_content() if title is not None else "").split())
    if title_text != " ".join(snapshot.subject.split()):
        add("error", "title", f"<title> {title_text!r} differs from the subject")
    if not doc.xpath("//meta[@name='color-scheme']"):
        add("warning", "dark-mode", "no color-scheme meta: dark-mode clients will guess colours")
    if doc.xpath("//script"):
        add("error", "script", "the HTML has <script>: mail clients strip it, filters flag it")
    for tag in ("form", "iframe", "object", "embed"):
        if doc.xpath(f"//{tag}"):
            add("warning", "unsupported", f"<{tag}> is not supported by most mail clients")
    for href in doc.xpath("//link[contains(@rel,'stylesheet')]/@href"):
        add(
            "warning",
            "unsupported",
            f"external stylesheet {href} is ignored by most mail clients; put the rules in "
            "partials/_styles.css so they are inlined",
        )
    # Tables without role="presentation" are read as data tables: right for content
    # tables with header cells, wrong for layout.
    layout = [
        t for t in doc.iter("table") if t.get("role") != "presentation" and not t.xpath(".//th")
    ]
    if layout:
        add(
            "warning",
            "tables",
            f'{len(layout)} table(s) without role="presentation" are read out as data tables',
        )
    if not doc.xpath("//h1|//h2|//h3"):
        add("warning", "headings", "no headings: screen-reader users navigate by them")

    # Images.
    images = list(doc.iter("img"))
    missing_alt = [img.get("src", "?") for img in images if img.get("alt") is None]
    for src in missing_alt:
        add("error", "img-alt", f"image without alt text: {src}")
    for img in images:
        src = (img.get("src") or "").strip()
        problem = _link_problem(src) if src and not src.startswith("cid:") else None
        if not src:
            add("error", "img-src", "image without src")
        elif problem:
            add(problem[0], "img-src", problem[1].replace("link", "image"))

    unsized = [i.get("src", "?") for i in images if not (i.get("width") or "").isdigit()]
    if unsized:
        add(
            "warning",
            "img-width",
            f"{len(unsized)} image(s) without a width attribute: classic Outlook shows them "
            f"at their natural size, e.g. {unsized[0]}",
        )

    undescribed = snapshot.meta.get("content_images_without_alt") or 0
    if isinstance(undescribed, int) and undescribed:
        add(
            "warning",
            "img-alt",
            f"{undescribed} image(s) in the content had no alt text and are marked decorative "
            '(alt=""); describe them in the source if they carry meaning',
        )

    # Links. An <a> without href is a named anchor; href="" leads nowhere.
    for a in doc.iter("a"):
        if a.get("href") is None:
            continue
        href = a.get("href", "").strip()
        if not href:
            label = " ".join(a.text_content().split())[:60]
            add("error", "links", f'empty link (href="") on {label!r}')
            continue
        problem = _link_problem(href)
        if problem:
            add(problem[0], "links", problem[1])
    # Links of the content that compose left out (mailer.compose.links): the
    # message is sound, but the source has something to fix.
    notes = snapshot.meta.get("dropped_links")
    for note in notes if isinstance(notes, list) else []:
        add("warning", "links", str(note))

    # Unsubscribe: bulk mail must carry a visible one in both parts.
    if kind in BULK_KINDS:
        unsub = PLACEHOLDERS["unsubscribe_url"]
        html_unsub = any(
            unsub in (a.get("href") or "") or "unsubscribe" in (a.get("href") or "").lower()
            for a in doc.iter("a")
        )
        if not html_unsub:
            add("error", "unsubscribe", "the HTML part has no visible unsubscribe link")
        if text.strip() and unsub not in text and "unsubscribe" not in text.lower():
            add("error", "unsubscribe", "the text part has no unsubscribe link")

    # Image-to-text ratio.
    words = _WORD.findall(_visible_text(doc))
    content_images = [i for i in images if (i.get("width") or "") not in ("1", "0")]
    if content_images and len(words) / len(content_images) < WORDS_PER_IMAGE_MIN:
        add(
            "warning",
            "image-ratio",
            f"{len(words)} words for {len(content_images)} image(s): mostly-image mail "
            "looks like spam and says nothing when images are blocked",
        )

    # Font sizes (the hidden preheader is allowed to be tiny).
    small = set()
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        style = el.get("style") or ""
        if "display:none" in style.replace(" ", ""):
            continue
        for match in _FONT_SIZE.finditer(style):
            if float(match.group(1)) < MIN_FONT_PX:
                small.add(match.group(1))
    if small:
        add(
            "warning",
            "font-size",
            f"text smaller than {MIN_FONT_PX}px ({', '.join(sorted(small))}px) is hard to read",
        )

    # The text twin carries the same links and words.
    if text.strip():
        missing = sorted(
            u
            for u in html_urls(html)
            if u not in text and not (u.startswith("mailto:") and u[7:] in text)
        )
        if missing:
            add(
                "warning",
                "text-links",
                f"{len(missing)} link(s) of the HTML part are not in the text part: "
                + ", ".join(missing[:5]),
            )
        html_words = {w.lower() for w in words}
        text_words = {w.lower() for w in _WORD.findall(text)}
        if html_words:
            shared = len(html_words & text_words) / len(html_words)
            if shared < 0.9:
                add(
                    "warning",
                    "text-words",
                    f"the text part has only {shared:.0%} of the HTML part's words "
                    "(SpamAssassin MPART_ALT_DIFF)",
                )

    # Colour contrast of the palette used.
    palette = snapshot.meta.get("palette")
    if isinstance(palette, dict):
        for role, pair in palette.items():
            try:
                ratio = colors.contrast(pair[0], pair[1])
            except (ValueError, IndexError, TypeError):
                continue
            if ratio < colors.AA:
                add(
                    "error" if role in ("body text", "links") else "warning",
                    "contrast",
                    f"{role}: {pair[0]} on {pair[1]} has contrast {ratio:.1f}:1, "
                    f"below WCAG AA {colors.AA}:1",
                )
    return _sorted(findings)


def _sorted(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.level != "error", f.rule))


def has_errors(findings: list[Finding]) -> bool:
    return any(f.level == "error" for f in findings)
