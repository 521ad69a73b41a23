"""Staff Markdown to safe HTML for the web pages: the one renderer of ``mailer.content.markup``.

markdown-it-py renders (raw HTML in the Markdown is escaped, not passed) and
nh3 sanitises with the allowlist mail clients handle; the web pages, the
digest and the archive use the same function, so what staff see is what
readers get.
"""

from __future__ import annotations

from mailer.content.markup import render_markdown, sanitize_html

sanitise_html = sanitize_html

__all__ = ["render_markdown", "sanitise_html", "sanitize_html"]
