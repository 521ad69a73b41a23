"""Staff-written Markdown to safe HTML: markdown-it-py renders, nh3 sanitises.

Raw HTML in the Markdown is not rendered (markdown-it's ``html`` option is
off) and the result is cleaned again by nh3 with a short list of tags that
mail clients handle, http(s)/mailto links only, so nothing a staff account
types can run script in a reader's browser or inbox.

NOTE for the merge: if ``mailer.content`` ships its own renderer for
announcement bodies, this module should become a re-export of it (one rule).
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

TAGS = {
    "a", "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote",
    "h2", "h3", "h4", "code", "pre", "hr",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def render_markdown(text: str) -> str:
    """Safe HTML for ``text``; headings start at h2 (the page or mail owns h1)."""
    html = _md.render(text or "")
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return sanitise_html(html)


def sanitise_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        clean_content_tags={"script", "style"},
    )
