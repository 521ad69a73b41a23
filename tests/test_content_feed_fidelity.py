"""News is news, read what real readers read, stable identity, links: feeds served on loopback.

Real-world inputs live in tests/data/feeds (README.md there names their sources).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner
from content_http import DATA, FeedServer, Route
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailer.commands import sources as sources_command
from mailer.compose.render import digest_headline, render_digest
from mailer.config import Settings
from mailer.content.edition import EditionContent
from mailer.content.feeds import parse_feed
from mailer.content.ingest import ingest_source
from mailer.content.models import NewsItem, Source
from mailer.content.sources import add_source
from subscribers.models import MailingList
from tests.helpers import edition_content

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 2, 12, tzinfo=UTC)
TODAY = dt.date(2026, 12, 2)
FEEDS = DATA / "feeds"


@pytest.fixture
def server() -> Iterator[FeedServer]:
    srv = FeedServer()
    yield srv
    srv.close()


def _source(sf: sessionmaker[Session], server: FeedServer, path: str, name: str = "feed") -> int:
    with sf.begin() as session:
        return add_source(session, kind="news", url=server.url(path), name=name).id


def _items(sf: sessionmaker[Session], source_id: int) -> dict[str, NewsItem]:
    with sf() as session:
        rows = session.scalars(select(NewsItem).where(NewsItem.source_id == source_id))
        return {r.guid: r for r in rows}


def _edition(sf: sessionmaker[Session], settings: Settings, on: dt.date) -> EditionContent:
    with sf.begin() as session:
        ml = session.scalars(select(MailingList)).first()
        if ml is None:
            ml = MailingList(slug="odei-weekly", name="ODEI Weekly", timezone="America/Chicago")
            session.add(ml)
            session.flush()
        return edition_content(session, ml, on, settings)


def rss(*items: str) -> bytes:
    head = '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>t</title>'
    return (head + "".join(items) + "</channel></rss>").encode()


def item(guid: str, title: str | None = "", date: str = "") -> str:
    parts = [f"<guid isPermaLink='false'>{guid}</guid>", f"<link>https://x.example/{guid}</link>"]
    if title is not None:
        parts.append(f"<title>{title or guid}</title>")
    if date:
        parts.append(f"<pubDate>{date}</pubDate>")
    return "<item>" + "".join(parts) + "<description>Words.</description></item>"


# -- News is news -------------------------------------------------------------------------


def test_undated_items_on_a_first_ingest_are_the_baseline_later_ones_count_when_seen(
    server: FeedServer, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    server.routes["/feed"] = Route(
        rss(
            item("about-us"),  # undated: pages a CMS lists in its feed
            item("contact"),
            item("dated", "Heritage dinner on Friday", "Tue, 01 Dec 2026 15:00:00 GMT"),
        )
    )
    sid = _source(session_factory, server, "/feed")
    report = ingest_source(session_factory, settings, sid, now=NOW)
    assert (report.status, report.new) == ("ok", 3)
    assert "2 undated item(s) taken as the source's baseline" in report.line()
    stored = _items(session_factory, sid)
    assert stored["about-us"].baseline and stored["contact"].baseline
    assert not stored["dated"].baseline
    assert [n.title for n in _edition(session_factory, settings, TODAY).news] == [
        "Heritage dinner on Friday"
    ]

    # A week later the feed has a new undated item: news from when it was first seen.
    later = NOW + dt.timedelta(days=6)
    server.routes["/feed"] = Route(
        rss(item("about-us"), item("contact"), item("new-undated", "Scholarship winners named"))
    )
    assert ingest_source(session_factory, settings, sid, now=later).new == 1
    fresh = _items(session_factory, sid)["new-undated"]
    assert not fresh.baseline and fresh.published_at == later
    news = _edition(session_factory, settings, later.date()).news
    assert [n.title for n in news] == ["Scholarship winners named", "Heritage dinner on Friday"]


def test_dates_in_the_sites_language_are_read_and_unreadable_ones_are_unknown(
    server: FeedServer, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    server.serve_file("/pt", "feeds/portuguese-2018.rss", "application/rss+xml")
    sid = _source(session_factory, server, "/pt")
    assert ingest_source(session_factory, settings, sid, now=NOW).status == "ok"
    stored = _items(session_factory, sid)
    base = "https://diversidade.example.org.br/?p="
    # "Seg, 24 Set 2018 10:00:00 -0300" and "Qui, 20 Set 2018": 2018, not "now".
    assert stored[base + "812"].published_at == dt.datetime(2018, 9, 24, 13, tzinfo=UTC)
    assert stored[base + "807"].published_at == dt.datetime(2018, 9, 20, tzinfo=UTC)
    assert stored[base + "2"].baseline  # "em breve" ("soon"): unknown, never this week
    assert _edition(session_factory, settings, TODAY).news == ()
    with session_factory() as session:
        source = session.get(Source, sid)
        assert source is not None and "'em breve' is unreadable" in source.last_warning


def test_items_dated_ahead_wait_for_their_date(
    server: FeedServer, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    server.routes["/feed"] = Route(
        rss(
            item("now", "Out today", "Wed, 02 Dec 2026 09:00:00 GMT"),
            item("soon", "Embargoed until Monday", "Mon, 07 Dec 2026 14:00:00 GMT"),
        )
    )
    sid = _source(session_factory, server, "/feed")
    ingest_source(session_factory, settings, sid, now=NOW)
    assert [n.title for n in _edition(session_factory, settings, TODAY).news] == ["Out today"]
    monday = [n.title for n in _edition(session_factory, settings, dt.date(2026, 12, 7)).news]
    assert monday[0] == "Embargoed until Monday"


def test_an_untitled_item_never_leads_nor_makes_the_subject(
    server: FeedServer, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    server.routes["/feed"] = Route(
        rss(
            item("untitled", None, "Wed, 02 Dec 2026 10:00:00 GMT"),  # newest, no <title>
            item("titled", "Kwanzaa celebration at the Commons", "Tue, 01 Dec 2026 10:00:00 GMT"),
        )
    )
    sid = _source(session_factory, server, "/feed")
    ingest_source(session_factory, settings, sid, now=NOW)
    content = _edition(session_factory, settings, TODAY)
    assert [n.titled for n in content.news] == [True, False]
    assert digest_headline(content.__class__(**{**content.__dict__, "features": ()})) == (
        "Kwanzaa celebration at the Commons"
    )
    with session_factory() as session:
        ml = session.scalars(select(MailingList)).one()
        snap = render_digest(content, ml, settings)
    assert "(untitled)" not in snap.subject


# -- Read what real readers read ------------------------------------------------------------


@pytest.mark.parametrize(
    "prefix", [b"\n\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n  "], ids=["blank", "bom", "bom-blank"]
)
def test_whitespace_or_a_bom_before_the_xml_declaration_is_accepted(
    prefix: bytes,
    server: FeedServer,
    session_factory: sessionmaker[Session],
    settings: Settings,
) -> None:
    server.routes["/feed/"] = Route(prefix + (FEEDS / "odei-news.rss").read_bytes())
    sid = _source(session_factory, server, "/feed/")
    report = ingest_source(session_factory, settings, sid, now=NOW)
    assert (report.status, report.new, report.error) == ("ok", 3, "")
    with session_factory() as session:
        source = session.get(Source, sid)
        assert source is not None and source.last_warning == ""


def test_a_json_feed_with_a_bom_served_as_text_is_read() -> None:
    body = b"\xef\xbb\xbf\n" + (FEEDS / "academic-pathways.json").read_bytes()
    feed = parse_feed(body, "https://pathways.example.org/feed.json", content_type="text/plain")
    assert len(feed.items) == 2 and feed.warnings == []


def test_a_flagged_feed_that_still_reads_is_stored_with_a_warning(
    server: FeedServer,
    session_factory: sessionmaker[Session],
    settings: Settings,
    cli_env: dict[str, str],
) -> None:
    server.serve_file("/ill", "feeds/feedparser-corrupted-ampersands.xml", "application/xml")
    sid = _source(session_factory, server, "/ill", "ill-formed")
    report = ingest_source(session_factory, settings, sid, now=NOW)
    assert (report.status, report.new) == ("ok", 1), report.error
    stored = _items(session_factory, sid)
    assert list(stored) == ["http://link/get?a=1&b=2"]
    with session_factory() as session:
        source = session.get(Source, sid)
        assert source is not None and source.last_warning.startswith("malformed XML")
    cli = click.Group("mailer", commands=[sources_command.command])
    listing = CliRunner().invoke(
        cli, ["sources", "list"], env={**cli_env, "COLUMNS": "250"}, catch_exceptions=False
    )
    assert "warning: malformed XML" in listing.output


def test_one_bad_json_feed_date_drops_only_that_date_and_bad_links_are_dropped(
    server: FeedServer, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    server.serve_file("/feed.json", "feeds/bad-links.json", "application/feed+json")
    sid = _source(session_factory, server, "/feed.json")
    report = ingest_source(session_factory, settings, sid, now=NOW)
    assert (report.status, report.new) == ("ok", 7), report.error
    stored = _items(session_factory, sid)
    assert stored["good"].url == "https://pathways.example.org/2026/good"
    assert stored["good"].baseline  # "not a date", first ingest: undated baseline
    assert stored["empty"].published_at == dt.datetime(2026, 11, 30, 10, tzinfo=UTC)
    # No valid http(s) link: stored as "" (no link), never javascript:/mailto:/ftp:.
    for guid in ("empty", "javascript", "mailto", "ftp", "no-host"):
        assert stored[guid].url == "", guid
    assert stored["relative"].url == server.url("/2026/relative")
    with session_factory() as session:
        source = session.get(Source, sid)
        assert source is not None and "'not a date' is unreadable" in source.last_warning


# -- Stable identity --------------------------------------------------------------------------


def test_ids_stay_as_written_and_a_permanent_redirect_moves_the_source(
    server: FeedServer, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    body = (FEEDS / "moved-atom-ids.atom").read_bytes()
    server.routes["/news/feed.atom"] = Route(body, "application/atom+xml")
    sid = _source(session_factory, server, "/news/feed.atom")
    assert ingest_source(session_factory, settings, sid, now=NOW).new == 4
    ids = {
        "12345",
        "tag:medicine.example.edu,2026:news/tag-id",
        "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a",
        "news/relative-id",
    }
    assert set(_items(session_factory, sid)) == ids
    # Links are still made absolute against where the feed was fetched.
    assert _items(session_factory, sid)["12345"].url == server.url("/news/2026/12/bare-id.html")

    # The publisher moves the feed and answers 301 at the old address.
    new_url = server.url("/v2/feed.atom")
    server.routes["/v2/feed.atom"] = Route(body, "application/atom+xml")
    server.routes["/news/feed.atom"] = Route(b"", status=301, headers={"Location": new_url})
    report = ingest_source(session_factory, settings, sid, now=NOW)
    assert (report.status, report.new) == ("ok", 0)
    assert f"moved permanently to {new_url}" in report.line()
    assert set(_items(session_factory, sid)) == ids
    with session_factory() as session:
        source = session.get(Source, sid)
        assert source is not None and source.url == new_url
    server.requests.clear()
    assert ingest_source(session_factory, settings, sid, now=NOW).status in ("ok", "not_modified")
    assert [path for path, _ in server.requests] == ["/v2/feed.atom"]


def test_a_temporary_redirect_keeps_the_address(
    server: FeedServer, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    server.routes["/v2/feed.atom"] = Route((FEEDS / "moved-atom-ids.atom").read_bytes())
    server.routes["/feed"] = Route(
        b"", status=302, headers={"Location": server.url("/v2/feed.atom")}
    )
    sid = _source(session_factory, server, "/feed")
    assert ingest_source(session_factory, settings, sid, now=NOW).new == 4
    with session_factory() as session:
        source = session.get(Source, sid)
        assert source is not None and source.url == server.url("/feed")


# -- Clean summaries ------------------------------------------------------------------------


def test_summaries_lose_tracking_pixels_keep_direction_and_sit_below_their_title(
    server: FeedServer, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    server.serve_file("/feed", "feeds/wordpress-com-summary.rss", "application/rss+xml")
    sid = _source(session_factory, server, "/feed")
    assert ingest_source(session_factory, settings, sid, now=NOW).new == 1
    (stored,) = _items(session_factory, sid).values()
    assert "pixel.wp.com" not in stored.summary_html
    assert '<p dir="rtl" lang="ar">' in stored.summary_html
    assert stored.summary_html.startswith("<p><strong>Iftar schedule</strong></p>")
    content = _edition(session_factory, settings, TODAY)
    with session_factory() as session:
        ml = session.scalars(select(MailingList)).one()
        snap = render_digest(content, ml, settings)
    assert "pixel.wp.com" not in snap.html
    assert 'dir="rtl"' in snap.html and 'lang="ar"' in snap.html
    assert "<h2>Iftar schedule</h2>" not in snap.html
