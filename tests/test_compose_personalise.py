"""Per-recipient filling: one substitution pass, escaped for HTML and for URLs."""

from __future__ import annotations

import lxml.html
import pytest

from mailer.compose.personalise import personalise
from mailer.compose.snapshot import PLACEHOLDERS
from tests.compose_helpers import demo_snapshot

VALUES = {
    "name": 'Ana <b>"Ní"</b> & Co',
    "email": "ana@example.org",
    "unsubscribe_url": "https://news.example.org/u/abc.def?x=1&y=2",
    "preferences_url": 'https://news.example.org/p/a b"><script>',
}


def test_values_are_escaped_for_html_and_raw_in_text() -> None:
    html, text = personalise(demo_snapshot(), VALUES)
    assert not any(p in html or p in text for p in PLACEHOLDERS.values())
    assert "Hello Ana &lt;b&gt;&quot;Ní&quot;&lt;/b&gt; &amp; Co," in html
    assert 'Hello Ana <b>"Ní"</b> & Co,' in text
    doc = lxml.html.document_fromstring(html)
    hrefs = doc.xpath("//a/@href")
    assert "https://news.example.org/u/abc.def?x=1&y=2" in hrefs
    assert "https://news.example.org/p/a%20b%22%3E%3Cscript%3E" in hrefs
    assert not doc.xpath("//script")
    assert "Unsubscribe: https://news.example.org/u/abc.def?x=1&y=2" in text


def test_a_value_that_looks_like_a_placeholder_is_not_substituted_again() -> None:
    values = {**VALUES, "name": PLACEHOLDERS["email"]}
    _, text = personalise(demo_snapshot(), values)
    assert f"Hello {PLACEHOLDERS['email']}," in text


def test_newlines_in_values_are_flattened_and_missing_values_refused() -> None:
    _, text = personalise(demo_snapshot(), {**VALUES, "name": "Ana\r\nBcc: x@y"})
    assert "Hello Ana Bcc: x@y," in text
    with pytest.raises(KeyError, match="unsubscribe_url"):
        personalise(demo_snapshot(), {"name": "A", "email": "a@b", "preferences_url": "x"})


def test_a_blank_name_gets_the_greeting_fallback() -> None:
    html, text = personalise(demo_snapshot(), {**VALUES, "name": "  "}, fallback_name="friend")
    assert "Hello friend," in html and "Hello friend," in text
    _, text = personalise(demo_snapshot(), VALUES, fallback_name="friend")
    assert 'Hello Ana <b>"Ní"</b> & Co,' in text
