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


# Tracking pixels as real feeds carry them: WordPress.com's stats pixel and FeedBurner's
# "~r" pixel (attributes), and a mailer-style 1x1 sized by CSS.
WPCOM_PIXEL = (
    '<img alt="" border="0" src="https://pixel.wp.com/b.gif?host=odei.example.org&amp;'
    'blog=1234&amp;post=567&amp;subd=odei&amp;ref=&amp;feed=1" width="1" height="1" />'
)
FEEDBURNER_PIXEL = (
    '<img src="http://feeds.feedburner.com/~r/OdeiNews/~4/Xy12" height="1" width="1" alt=""/>'
)
CSS_PIXEL = '<img src="https://t.example.com/open.gif" style="width:2px; height: 2px; border:0">'


@pytest.mark.parametrize("pixel", [WPCOM_PIXEL, FEEDBURNER_PIXEL, CSS_PIXEL])
def test_tracking_pixels_are_removed(pixel: str) -> None:
    cleaned = sanitize_html(f"<p>Ramadan begins.</p>{pixel}", base_url="https://e.org/feed")
    assert cleaned == "<p>Ramadan begins.</p>"


def test_real_images_stay_whatever_their_size_attributes() -> None:
    html = '<img src="https://e.org/a.jpg" width="300" height="200" alt="Iftar">'
    assert sanitize_html(html) == html
    assert "b.jpg" in sanitize_html('<img src="https://e.org/b.jpg" alt="No size">')


def test_direction_and_language_survive() -> None:
    html = '<p dir="rtl" lang="ar">رمضان كريم</p><p dir="evil" lang="x y">t</p>'
    assert sanitize_html(html) == '<p dir="rtl" lang="ar">رمضان كريم</p><p>t</p>'
    assert sanitize_html('<span lang="pt-BR">Olá</span>') == '<span lang="pt-BR">Olá</span>'


def test_headings_in_a_summary_are_demoted_below_the_item_title() -> None:
    from mailer.content.markup import sanitize_summary

    html = '<h1>Big</h1><h2 dir="rtl">Section <em>two</em></h2><p>Text</p><h6>small</h6>'
    assert sanitize_summary(html, "https://e.org/feed") == (
        '<p><strong>Big</strong></p><p dir="rtl"><strong>Section <em>two</em></strong></p>'
        "<p>Text</p><p><strong>small</strong></p>"
    )
