"""The mechanical fallback: a text part made by html2text from a rendered HTML part.

Every built-in HTML template has a hand-written text twin; this is used only
when a user supplies an HTML template without a ``.txt`` twin of their own,
so the message still has a text part with the same words.
"""

from __future__ import annotations

import re

import html2text

from mailer.compose.snapshot import PLACEHOLDERS


def html_to_text(html: str) -> str:
    converter = html2text.HTML2Text()
    converter.body_width = 72
    converter.ignore_images = False
    converter.ignore_emphasis = True
    converter.inline_links = True
    converter.protect_links = True
    converter.wrap_links = False
    converter.unicode_snob = True
    text = converter.handle(html)
    # html2text escapes underscores and may wrap inside <...>; restore the placeholders.
    for placeholder in PLACEHOLDERS.values():
        escaped = placeholder.replace("_", r"\_")
        text = text.replace(escaped, placeholder)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip() + "\n"
