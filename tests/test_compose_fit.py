"""Content HTML fitted to the 600 px column: wide images clamped, undescribed ones marked."""

from __future__ import annotations

import dataclasses
from typing import Any

import lxml.html
import pytest

from mailer.compose.checks import check_snapshot
from mailer.compose.fit import COLUMN_PX, fit_fragment
from mailer.compose.personalise import personalise, sample_values
from mailer.compose.render import render_announcement, render_digest
from mailer.compose.samples import ANNOUNCEMENT, demo_edition
from tests.compose_helpers import SETTINGS, odei_list
from tests.test_compose_browser import _offline

WIDE = (
    "<p>The new wall, seen from the atrium.</p>"
    '<p><img src="https://diversity.wustl.edu/wp-content/uploads/wall-1200.jpg" '
    'width="1200" height="800"></p>'
    '<p>Happy Ramadan <img src="https://s.w.org/images/core/emoji/15.0.3/72x72/1f319.png" '
    'alt="🌙" class="emoji"></p>'
    '<table><tr><th scope="col">Day</th><th scope="col">Iftar</th></tr>'
    "<tr><td>March 3</td><td>6:02 PM</td></tr></table>"
)


def _imgs(html: str) -> list[Any]:
    return lxml.html.fragment_fromstring(html, create_parent="div").xpath("//img")


def test_wide_images_are_clamped_and_undescribed_ones_marked() -> None:
    fitted, missing = fit_fragment(WIDE)
    wide, emoji = _imgs(fitted)
    assert (wide.get("width"), wide.get("height"), wide.get("alt")) == (str(COLUMN_PX), "357", "")
    assert "width:100%;max-width:536px" in wide.get("style")
    assert "max-width:100%" in emoji.get("style")
    assert emoji.get("alt") == "🌙" and emoji.get("width") is None  # never blown up
    assert missing == 1
    assert fitted.startswith("<p>The new wall, seen from the atrium.</p>")
    assert '<th scope="col">Day</th>' in fitted


def test_title_becomes_alt_and_text_only_fragments_are_untouched() -> None:
    fitted, missing = fit_fragment('<img src="https://x.example.org/a.png" title="Our team">')
    assert _imgs(fitted)[0].get("alt") == "Our team" and missing == 1
    assert fit_fragment("<p>Just words.</p>") == ("<p>Just words.</p>", 0)


def test_digest_with_web_shaped_content_passes_checks_with_a_warning() -> None:
    content = demo_edition()
    story = dataclasses.replace(content.news[0], summary_html=WIDE)
    content = dataclasses.replace(content, news=(story, *content.news[1:]))
    snap = render_digest(content, odei_list(), SETTINGS)
    findings = check_snapshot(snap)
    assert [f.level for f in findings if f.rule == "img-alt"] == ["warning"]
    assert not [f for f in findings if f.level == "error"], findings
    assert snap.meta["content_images_without_alt"] == 1


def test_announcement_content_is_fitted_too() -> None:
    entry = dataclasses.replace(ANNOUNCEMENT, body_html=ANNOUNCEMENT.body_html + WIDE)
    snap = render_announcement(entry, odei_list(), SETTINGS)
    assert f'width="{COLUMN_PX}"' in snap.html and 'width="1200"' not in snap.html


@pytest.mark.browser
@pytest.mark.parametrize("images", ["loaded", "blocked"])
def test_fitted_content_does_not_overflow_a_phone(browser: Any, images: str) -> None:
    content = demo_edition()
    story = dataclasses.replace(content.news[0], summary_html=WIDE)
    content = dataclasses.replace(content, news=(story,))
    html, _ = personalise(
        render_digest(content, odei_list(), SETTINGS), sample_values(SETTINGS.base_url)
    )
    page = browser.new_page(viewport={"width": 375, "height": 800})
    try:
        page.route("**/*", _offline if images == "loaded" else lambda route: route.abort())
        page.set_content(html, wait_until="load")
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1]
    finally:
        page.close()
