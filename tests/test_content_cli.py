"""The content commands, run through click against both databases."""

from __future__ import annotations

import re
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner, Result
from content_http import DATA, FeedServer, Route
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailer.commands import announcements, content, events, news, observances, sources
from mailer.config import Settings
from mailer.content.models import Announcement, Event, NewsItem, Observance, Source
from mailer.db import AuditLog
from subscribers.models import MailingList

cli = click.Group(
    "mailer",
    commands=[m.command for m in (announcements, content, events, news, observances, sources)],
)


def run(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result


@pytest.fixture
def server() -> Iterator[FeedServer]:
    srv = FeedServer()
    yield srv
    srv.close()


def test_sources_add_and_content_ingest(
    server: FeedServer, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    server.routes["/feed/"] = Route((DATA / "feeds/odei-news.rss").read_bytes())
    server.routes["/gone"] = Route(b"", status=410)
    result = run("sources", "add", "news", server.url("/feed/"), "--name", "ODEI news")
    assert result.exit_code == 0, result.output
    assert "ODEI news: 3 new, 0 updated, 0 unchanged" in result.output
    result = run("sources", "add", "news", server.url("/gone"), "--name", "Old blog", "--no-fetch")
    assert result.exit_code == 0
    result = run("content", "ingest")
    assert result.exit_code == 1  # one source failed
    assert "ODEI news: 0 new, 0 updated, 3 unchanged" in result.output
    assert "Old blog: FAILED: HTTP 410" in result.output
    listing = run("sources", "list")
    assert "failing" in listing.output and "ODEI news" in listing.output
    bad = run("sources", "add", "news", "feed.example.org/rss", "--name", "x")
    assert bad.exit_code == 1 and "url: 'feed.example.org/rss' must be an http" in bad.output
    assert run("sources", "disable", "Old blog").exit_code == 0
    assert run("content", "ingest").exit_code == 0
    with session_factory() as session:
        names = {s.name: s.enabled for s in session.scalars(select(Source))}
        assert names == {"ODEI news": True, "Old blog": False}


def test_observances_list_set_and_reset(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    result = run("observances", "list", "--year", "2027")
    assert result.exit_code == 0, result.output
    lines = result.output
    assert re.search(r"Fri Oct 29, 2027\s.*Diwali", lines)
    assert re.search(r"Mon Jan 18, 2027\s.*Martin Luther King Jr. Day", lines)
    assert re.search(r"Mon Feb 08, 2027\s+Mon Mar 08, 2027\s+Ramadan", lines)
    result = run(
        "observances", "set", "womens-history-month",
        "--title", "Women in medicine at WashU",
        "--body", "Meet the **women** who built our school.",
        "--image-url", "https://example.org/whm.jpg",
        "--image-alt", "Portraits of women physicians",
        "--link", "Events=https://example.org/whm",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    shown = run("observances", "show", "womens-history-month").output
    assert "Women in medicine at WashU" in shown and "Meet the women" in shown
    bad = run("observances", "set", "match-day", "--name", "Match Day", "--rule", '{"kind": "x"}')
    assert bad.exit_code == 1 and "rule: rule field 'kind' must be one of" in bad.output
    good = run(
        "observances", "set", "match-day", "--name", "Match Day",
        "--rule", '{"kind": "nth_weekday", "month": 3, "weekday": 4, "n": 3}',
    )  # fmt: skip
    assert good.exit_code == 0
    assert re.search(
        r"Fri Mar 19, 2027\s.*Match Day", run("observances", "list", "--year", "2027").output
    )
    assert run("observances", "reset", "womens-history-month").exit_code == 0
    with session_factory() as session:
        assert [o.slug for o in session.scalars(select(Observance))] == ["match-day"]
        assert session.scalar(
            select(AuditLog.actor).where(AuditLog.action == "observance.set")
        ).startswith("cli")


def test_news_events_announcements_and_preview(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with session_factory.begin() as session:
        session.add(MailingList(slug="odei-news", name="ODEI News", timezone="America/Chicago"))
    result = run(
        "news", "add", "--title", "Desegregation History Wall install begins Feb. 12",
        "--url", "https://diversity.example.org/news/history-wall/",
        "--summary", "A permanent wall display on *Black History* on campus.",
        "--published", "2026-02-27T08:00",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    hidden = run("news", "add", "--title", "Draft item", "--published", "2026-02-27T09:00")
    item_id = re.search(r"News item (\d+)", hidden.output).group(1)  # type: ignore[union-attr]
    assert run("news", "hide", item_id).exit_code == 0
    result = run(
        "events", "add", "--title", "SNMA presents: Black History & The Arts",
        "--start", "2026-03-10T17:30", "--end", "2026-03-10T19:00", "--location", "FLTC 213",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    bad = run("events", "add", "--title", "x", "--start", "next tuesday")
    assert bad.exit_code == 2 and "is not a date and time like" in bad.output
    result = run(
        "announcements", "create", "--title", "Join the Women in Medicine panel",
        "--body", "Register by **March 6**.", "--list", "odei-news", "--submit",
        "--as", "staff@example.org",
    )  # fmt: skip
    assert "(submitted)" in result.output
    ann_id = re.search(r"Announcement (\d+)", result.output).group(1)  # type: ignore[union-attr]
    again = run("announcements", "submit", ann_id)
    assert again.exit_code == 1 and "is submitted; it cannot be submitted" in again.output
    reject = run("announcements", "reject", ann_id, "--note", "")
    assert reject.exit_code == 1 and "note: say why" in reject.output
    approve = run("announcements", "approve", ann_id, "--as", "admin@example.org")
    assert "is now approved" in approve.output
    missing = run("announcements", "create", "--title", "x", "--list", "nope")
    assert missing.exit_code == 1 and "lists: no mailing list 'nope'" in missing.output

    preview = run("content", "preview", "--list", "odei-news", "--date", "2026-03-02")
    assert preview.exit_code == 0, preview.output
    out = preview.output
    headings = ("Features", "Announcements", "News", "Events")
    order = [out.index(f"\n{h}\n") for h in headings]
    assert order == sorted(order)
    assert "Commemorate Women\u2019s History Month" in out and "Ramadan Mubarak!" in out
    # Purim, Holi and International Women's Day fall before the next Monday: featured,
    # so nothing is left for "Coming up" in the next 14 days.
    assert "Happy Holi!" in out and "\nComing up\n" not in out
    assert "Desegregation History Wall" in out and "Draft item" not in out
    assert "Tue Mar 10 17:30 SNMA presents" in out
    with session_factory() as session:
        assert session.scalar(select(Announcement.reviewed_by)) == "admin@example.org"
        assert session.scalar(select(Event.timezone)) == "America/Chicago"
        assert len(list(session.scalars(select(NewsItem)))) == 2
