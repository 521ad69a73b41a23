"""The edition fits, whatever the sources do: caps, item bounds and a size budget."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy

import lxml.html

from mailer.compose.budget import MESSAGE_BUDGET_BYTES, message_bytes
from mailer.compose.checks import GMAIL_CLIP_BYTES, check_snapshot, has_errors
from mailer.compose.render import render_digest
from mailer.compose.samples import ANNOUNCEMENT, NEWS, demo_edition
from mailer.compose.snapshot import PLACEHOLDERS, Snapshot
from mailer.content.edition import AnnouncementEntry, EditionContent, EventEntry, NewsEntry
from mailer.delivery.message import MessageBuilder, Recipient
from tests.compose_helpers import SETTINGS, odei_list

EVENTS_PAGE = "https://news.example.org/lists/odei-weekly/events"
LONG_WORDS = "Community health equity symposium on restorative justice and belonging "


def flood(news: int = 500, events: int = 500, announcements: int = 0) -> EditionContent:
    """An edition as a runaway feed and calendar would make it: many long items."""
    summary = "".join(
        f"<p>{LONG_WORDS * 12}<a href='https://diversity.wustl.edu/n/{i}'>more</a></p>"
        for i in range(30)
    )
    start = dt.datetime(2025, 3, 3, 14, 0, tzinfo=dt.UTC)
    return dataclasses.replace(
        demo_edition(),
        news=tuple(
            NewsEntry(
                id=i + 1,
                title=f"{i + 1}: " + LONG_WORDS * 20,
                url=f"https://diversity.wustl.edu/news/{i + 1}/" + "x" * 300,
                summary_html=summary,
                published_at=NEWS[0].published_at - dt.timedelta(minutes=i),
                source_name="ODEI News " + "y" * 200,
            )
            for i in range(news)
        ),
        events=tuple(
            EventEntry(
                id=i + 1,
                title=f"Event {i + 1}: " + LONG_WORDS * 20,
                starts_at=start + dt.timedelta(minutes=30 * i),
                ends_at=start + dt.timedelta(minutes=30 * i + 60),
                all_day=False,
                location="Room " + LONG_WORDS * 10,
                url=f"https://diversity.wustl.edu/events/{i + 1}/",
                description=LONG_WORDS * 50,
            )
            for i in range(events)
        ),
        announcements=tuple(
            AnnouncementEntry(i + 1, f"{ANNOUNCEMENT.title} {i + 1}", ANNOUNCEMENT.body_html * 20)
            for i in range(announcements)
        ),
    )


def _sizes(snap: Snapshot) -> tuple[int, int]:
    """The whole MIME message one reader gets, and its decoded HTML part."""
    builder = MessageBuilder(snap, odei_list(), SETTINGS, campaign_id=7)
    message = builder.build(
        Recipient(1, 1, "alexandra.montgomery-washington@example.org", "Alexandra Montgomery")
    )
    parsed = email.message_from_bytes(message.raw, policy=email.policy.default)
    html = parsed.get_body(("html",))
    assert html is not None
    return len(message.raw), len(html.get_content().encode("utf-8"))


def test_500_news_and_500_events_fit_under_gmails_clip() -> None:
    snap = render_digest(flood(), odei_list(), SETTINGS)
    whole, html = _sizes(snap)
    assert whole <= message_bytes(snap) <= MESSAGE_BUDGET_BYTES
    assert html < whole < GMAIL_CLIP_BYTES
    findings = check_snapshot(snap)
    assert not has_errors(findings), findings
    assert "html-size" not in {f.rule for f in findings}
    # Caps: news_limit (8) newest first, events_limit (12) soonest first.
    assert snap.meta["items"]["news"] == list(range(1, SETTINGS.news_limit + 1))
    assert snap.meta["items"]["events"] == list(range(1, SETTINGS.events_limit + 1))
    # The rest of the window is one link away, in both parts; unsubscribe still there.
    doc = lxml.html.document_fromstring(snap.html)
    more = doc.xpath(f"//a[@href='{EVENTS_PAGE}']")
    assert more and more[0].text_content().startswith("488 more events")
    assert f"488 more events in the next two weeks: {EVENTS_PAGE}" in snap.text
    assert PLACEHOLDERS["unsubscribe_url"] in snap.html
    # Bounded items: no title longer than the bound, long summaries cut.
    assert max(len(h.text_content()) for h in doc.iter("h3")) <= 160


def test_a_smaller_events_limit_moves_more_behind_the_link() -> None:
    settings = SETTINGS.replace(events_limit=3)
    snap = render_digest(flood(news=1, events=20), odei_list(), settings)
    assert snap.meta["items"]["events"] == [1, 2, 3]
    assert "17 more events" in snap.text and snap.meta["more_events"] == 17


def test_no_more_link_when_every_event_is_shown() -> None:
    snap = render_digest(demo_edition(), odei_list(), SETTINGS)
    assert EVENTS_PAGE not in snap.html and "more event" not in snap.text


def test_the_budget_trims_further_when_caps_are_set_high() -> None:
    settings = SETTINGS.replace(news_limit=500, events_limit=500)
    snap = render_digest(flood(announcements=40), odei_list(), settings)
    whole, _ = _sizes(snap)
    assert whole <= message_bytes(snap) <= MESSAGE_BUDGET_BYTES
    assert not has_errors(check_snapshot(snap))
    items = snap.meta["items"]
    trimmed = snap.meta["trimmed"]
    # Caps above SECTION_MAX (50) are read as 50; the budget cut further.
    assert trimmed["news"] + trimmed["events"] > 0
    assert len(items["news"]) + len(items["events"]) < 100
    # What stays is the newest news and the soonest events (prefixes of each section).
    assert items["news"] == list(range(1, len(items["news"]) + 1))
    assert items["events"] == list(range(1, len(items["events"]) + 1))
    assert f"{500 - len(items['events'])} more events" in snap.text


def test_announcements_left_out_by_the_budget_are_not_claimed() -> None:
    content = flood(news=0, events=0, announcements=120)
    snap = render_digest(content, odei_list(), SETTINGS)
    assert _sizes(snap)[0] <= message_bytes(snap) <= MESSAGE_BUDGET_BYTES
    shown = snap.meta["items"]["announcements"]
    assert 0 < len(shown) < 120 and shown == list(range(1, len(shown) + 1))
