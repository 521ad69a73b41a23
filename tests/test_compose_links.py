"""Links: an item without a valid http(s) link has no link in either part; check says so."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import lxml.html
import pytest

from mailer.compose.checks import check_snapshot, has_errors
from mailer.compose.links import web_link
from mailer.compose.render import render_digest
from mailer.compose.samples import EVENTS, NEWS, demo_edition
from tests.compose_helpers import SETTINGS, demo_snapshot, odei_list

# What feeds and calendars really put where a link should be (None: no link element).
BAD_LINKS: list[Any] = [
    None,
    "",
    "   ",
    "/news/relative-path/",
    "news/also-relative",
    "javascript:alert(1)",
    "ftp://files.example.org/report.pdf",
    "mailto:someone@example.org",
    "https://",
    "http:///no-host",
    "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a",
    "tag:diversity.wustl.edu,2025:news/42",
]


@pytest.mark.parametrize("url", BAD_LINKS)
def test_web_link_refuses_what_is_not_absolute_http(url: Any) -> None:
    assert web_link(url) == ""


def test_web_link_keeps_http_and_https() -> None:
    assert (
        web_link(" https://diversity.wustl.edu/news/a/ ") == "https://diversity.wustl.edu/news/a/"
    )
    assert web_link("HTTP://example.org/x") == "HTTP://example.org/x"


def _edition_with_bad_links() -> Any:
    news = tuple(
        dataclasses.replace(NEWS[i % len(NEWS)], id=i + 1, title=f"Story {i + 1}", url=url)
        for i, url in enumerate(BAD_LINKS)
    )
    events = tuple(
        dataclasses.replace(EVENTS[0], id=i + 1, title=f"Event {i + 1}", url=url)
        for i, url in enumerate(BAD_LINKS)
    )
    return dataclasses.replace(demo_edition(), news=news, events=events)


def test_items_without_a_valid_link_have_no_link_in_either_part() -> None:
    snap = render_digest(_edition_with_bad_links(), odei_list(), SETTINGS)
    doc = lxml.html.document_fromstring(snap.html)
    hrefs = [a.get("href") for a in doc.iter("a") if a.get("href") is not None]
    assert "" not in [h.strip() for h in hrefs]
    for url in BAD_LINKS:
        if url and url.strip():
            assert url not in hrefs, url
            assert not re.search(re.escape(url) + r"(\s|$)", snap.text), url
    # Titles are still there, as plain text.
    for i in range(len(BAD_LINKS)):
        assert doc.xpath(f"//h3[normalize-space()='Story {i + 1}']")
        assert doc.xpath(f"//h3[normalize-space()='Event {i + 1}']")
    assert not re.search(r"^(Read it|Details):\s*$", snap.text, re.M), snap.text
    assert "Read it:" not in snap.text and "Details:" not in snap.text
    assert "None" not in snap.text


def test_check_reports_the_dropped_links_as_warnings_naming_the_item() -> None:
    snap = render_digest(_edition_with_bad_links(), odei_list(), SETTINGS)
    findings = check_snapshot(snap)
    assert not has_errors(findings), findings
    links = [f.message for f in findings if f.rule == "links"]
    assert any("Story 4" in m and "/news/relative-path/" in m and "relative" in m for m in links)
    assert any("Story 2" in m and "empty" in m for m in links)
    assert any("Event 6" in m and "javascript:alert(1)" in m for m in links)
    assert any("Story 7" in m and "ftp://" in m for m in links)
    # A missing link (None) is normal for an item, not a finding.
    assert not any("Story 1:" in m for m in links)


def test_bad_links_inside_a_summary_are_unwrapped_and_reported() -> None:
    summary = (
        '<p>See <a href="/relative/page">the page</a>, <a href="">nothing</a>, '
        '<a href="javascript:void(0)">a script</a> and '
        '<a href="https://diversity.wustl.edu/ok/">a good one</a>.</p>'
    )
    news = (dataclasses.replace(NEWS[0], summary_html=summary),)
    snap = render_digest(dataclasses.replace(demo_edition(), news=news), odei_list(), SETTINGS)
    doc = lxml.html.document_fromstring(snap.html)
    hrefs = {a.get("href") for a in doc.iter("a")}
    assert "https://diversity.wustl.edu/ok/" in hrefs
    assert not hrefs & {"/relative/page", "", "javascript:void(0)"}
    assert "the page" in snap.html and "a script" in snap.html
    findings = check_snapshot(snap)
    assert not has_errors(findings)
    assert any(f.rule == "links" and "/relative/page" in f.message for f in findings)


def test_an_empty_href_in_the_message_is_an_error() -> None:
    snap = demo_snapshot()
    broken = dataclasses.replace(
        snap, html=snap.html.replace('href="https://diversity.wustl.edu/about/"', 'href=""', 1)
    )
    assert broken.html != snap.html
    findings = check_snapshot(broken)
    assert any(f.level == "error" and f.rule == "links" and "empty" in f.message for f in findings)
