"""Sanitising untrusted HTML and rendering staff Markdown."""

from __future__ import annotations

import pytest

from mailer.content.markup import (
    render_markdown,
    sanitize_html,
    strip_tags,
    truncate_html_words,
    truncate_text_words,
)


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<p>Hi<script>alert(1)</script></p>", "<p>Hi</p>"),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="noopener noreferrer">x</a>'),
        ('<a href=" JaVaScRiPt:alert(1)">x</a>', '<a rel="noopener noreferrer">x</a>'),
        (
            '<img src="x.png" onerror="steal()" alt="A">',
            '<img src="https://e.org/news/x.png" alt="A">',
        ),
        ('<p onclick="x()" style="color:red">t</p>', "<p>t</p>"),
        ("<style>p{}</style><iframe src=//evil></iframe>ok", "ok"),
        ('<a href="data:text/html,hi">d</a>', '<a rel="noopener noreferrer">d</a>'),
        (
            '<a href="../about/">About</a>',
            '<a href="https://e.org/about/" rel="noopener noreferrer">About</a>',
        ),
        (
            '<a href="mailto:odei@example.org">mail</a>',
            '<a href="mailto:odei@example.org" rel="noopener noreferrer">mail</a>',
        ),
    ],
)
def test_sanitize_html(dirty: str, clean: str) -> None:
    assert sanitize_html(dirty, base_url="https://e.org/news/feed") == clean


def test_relative_links_kept_without_base() -> None:
    assert sanitize_html('<a href="/x">x</a>') == '<a href="/x" rel="noopener noreferrer">x</a>'


def test_render_markdown_escapes_raw_html() -> None:
    html = render_markdown(
        "**Register** by [March 6](https://example.org/r).\n\n<script>x</script>"
    )
    assert html.startswith('<p><strong>Register</strong> by <a href="https://example.org/r"')
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert render_markdown("[click](javascript:alert(1))") == "<p>[click](javascript:alert(1))</p>"
    assert render_markdown("   ") == ""


def test_truncate_at_word_boundary_closing_tags() -> None:
    html = "<p>One <strong>two three</strong> four</p><p>five six</p>"
    assert truncate_html_words(html, 10) == html
    assert truncate_html_words(html, 2) == "<p>One <strong>two\u2026</strong></p>"
    assert truncate_html_words(html, 4) == "<p>One <strong>two three</strong> four\u2026</p>"
    assert truncate_html_words("<p>caf&eacute; au lait</p>", 1) == "<p>caf\u00e9\u2026</p>"
    assert truncate_text_words("a b c", 2) == "a b\u2026"


def test_strip_tags() -> None:
    assert strip_tags("Black History &amp; <em>The Arts</em>\n Week&nbsp;4") == (
        "Black History & The Arts Week 4"
    )
