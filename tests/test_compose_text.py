"""The plain-text part reads well on its own and carries the HTML part's links and words."""

from __future__ import annotations

import re

import lxml.html

from mailer.compose.checks import html_urls, text_urls
from mailer.compose.formatting import as_text
from mailer.compose.render import render_announcement
from mailer.compose.samples import ANNOUNCEMENT
from mailer.compose.snapshot import PLACEHOLDERS
from tests.compose_helpers import SETTINGS, demo_snapshot, maximal_snapshot, odei_list

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def _norm(url: str) -> str:
    return url.removeprefix("mailto:")


def test_every_link_of_the_html_part_is_in_the_text_part_and_back() -> None:
    for snap in (demo_snapshot(), maximal_snapshot()):
        in_html = {_norm(u) for u in html_urls(snap.html)}
        in_text = {_norm(u) for u in text_urls(snap.text)}
        # Placeholders are links in HTML and bare tokens in text.
        in_text |= {p for k, p in PLACEHOLDERS.items() if k.endswith("_url") and p in snap.text}
        assert in_html == in_text, in_html ^ in_text
        assert len(in_html) >= 8


def test_text_part_reads_on_its_own() -> None:
    text = demo_snapshot().text
    assert "<" not in text and "&nbsp;" not in text and "&amp;" not in text
    assert "](" not in text  # no Markdown link syntax: a reader sees plain URLs
    # Headings a reader can scan, in the order of the HTML part.
    headings = [
        "ODEI Weekly\n===========",
        "Commemorate Women’s History Month\n---",
        "News\n----",
        "Upcoming events\n---------------",
        "Coming up\n---------",
    ]
    positions = [text.index(h) for h in headings]
    assert positions == sorted(positions)
    assert "Hello __MAILER_NAME__," in text
    assert "Read it: https://diversity.wustl.edu/news/happy-ramadan/" in text
    assert "Unsubscribe: __MAILER_UNSUBSCRIBE_URL__" in text
    # Prose is wrapped for reading; only lines carrying a URL may run long.
    for line in text.splitlines():
        assert len(line) <= 78 or "://" in line, line
    assert "\n\n\n" not in text


def test_text_part_has_the_html_parts_words() -> None:
    snap = demo_snapshot()
    doc = lxml.html.document_fromstring(snap.html)
    for hidden in doc.xpath("//*[contains(@class,'preheader')]|//style|//title"):
        hidden.drop_tree()
    html_words = {w.lower() for w in _WORD.findall(doc.text_content())}
    text_words = {w.lower() for w in _WORD.findall(snap.text)}
    missing = html_words - text_words
    assert len(missing) / len(html_words) < 0.03, sorted(missing)


def test_as_text_keeps_links_lists_and_paragraphs() -> None:
    html = (
        "<p>Join us <strong>Friday</strong>. "
        '<a href="https://diversity.wustl.edu/events/">See all events</a></p>'
        "<ul><li>Bring a friend</li><li>Write to "
        '<a href="mailto:odei@example.org">odei@example.org</a></li></ul>'
        "<ol><li>First</li><li>Second</li></ol>"
    )
    assert as_text(html) == (
        "Join us Friday. See all events (https://diversity.wustl.edu/events/)\n\n"
        "- Bring a friend\n\n- Write to odei@example.org\n\n1. First\n\n2. Second"
    )
    assert as_text("") == ""


def test_announcement_text_twin() -> None:
    snap = render_announcement(ANNOUNCEMENT, odei_list(), SETTINGS)
    assert "Nominations open for the Dean’s Impact Award\n=====" in snap.text
    assert "Read the criteria and nominate (https://diversity.wustl.edu/awards/)" in snap.text
