"""Links: an item without a valid http(s) link has no link in either part; check says so."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer.cli import cli
from mailer.compose.checks import check_snapshot, has_errors
from mailer.compose.links import web_link
from mailer.compose.render import render_digest
from mailer.compose.samples import EVENTS, NEWS, demo_edition
from mailer.config import Settings
from mailer.content.models import NewsItem, Source
from mailer.delivery.models import Campaign
from tests.compose_helpers import SETTINGS, demo_snapshot, odei_list

# Every item of the test edition shown (no section cap in the way).
EVERY_ITEM = SETTINGS.replace(news_limit=50, events_limit=50)
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
    snap = render_digest(_edition_with_bad_links(), odei_list(), EVERY_ITEM)
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
    snap = render_digest(_edition_with_bad_links(), odei_list(), EVERY_ITEM)
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


def test_digest_check_and_send_on_stored_items_with_bad_links(
    session: Session, settings: Settings, cli_env: dict[str, str], tmp_path: Path
) -> None:
    """Items as ingest may have stored them (empty, relative, script links) in a real database."""
    from tests.schedule_fixtures import digest_list

    digest_list(session, slug="weekly", readers=1)
    source = Source(kind="news", name="ODEI News", url="https://diversity.wustl.edu/feed/")
    session.add(source)
    session.flush()
    for i, url in enumerate(["", "/news/relative/", "javascript:alert(1)", "https://ok.example/"]):
        session.add(
            NewsItem(
                source_id=source.id,
                guid=f"item-{i}",
                title=f"Story {i}",
                url=url,
                summary_html="<p>Words.</p>",
                published_at=dt.datetime(2025, 3, 1, 15, i, tzinfo=dt.UTC),
            )
        )
    session.commit()
    runner = CliRunner(env=cli_env)
    checked = runner.invoke(cli, ["digest", "check", "--list", "weekly", "--date", "2025-03-03"])
    assert checked.exit_code == 0, checked.output
    flat = re.sub(r"[\s│┃]+", "", checked.output)
    assert "Story1" in flat and "isrelative;shownwithoutalink" in flat
    assert "javascript:alert(1)" in flat and "Story0" in flat
    sent = runner.invoke(
        cli, ["digest", "send", "--list", "weekly", "--date", "2025-03-03", "--no-wait"]
    )
    assert sent.exit_code == 0, sent.output
    session.expire_all()
    [campaign] = session.scalars(select(Campaign)).all()
    hrefs = [a.get("href") for a in lxml.html.document_fromstring(campaign.html).iter("a")]
    assert "" not in hrefs and "/news/relative/" not in hrefs and "https://ok.example/" in hrefs
    assert "javascript:" not in campaign.html and "Read it: \n" not in campaign.text
    assert len(campaign.meta["dropped_links"]) == 3
    session.rollback()
    # A check of the stored edition still names them.
    again = runner.invoke(cli, ["digest", "check", "--list", "weekly", "--date", "2025-03-03"])
    assert "stored campaign" in again.output and "Story1" in re.sub(r"[\s│┃]+", "", again.output)
