"""Ingesting real-world-shaped feeds from a loopback HTTP server into both databases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from content_http import DATA, FeedServer, Route
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.content.ingest import FetchOptions, ingest_all, ingest_source
from mailer.content.manual import set_hidden
from mailer.content.models import NewsItem, Source
from mailer.content.sources import SourceError, add_source

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    srv = FeedServer()
    yield srv
    srv.close()


def _add(session_factory: sessionmaker[Session], kind: str, url: str, name: str) -> int:
    with session_factory.begin() as session:
        return add_source(session, kind=kind, url=url, name=name).id


def _items(session: Session, source_id: int) -> dict[str, NewsItem]:
    rows = session.scalars(select(NewsItem).where(NewsItem.source_id == source_id))
    return {r.guid: r for r in rows}


def test_rss_atom_and_json_feed_stored_clean(
    server: FeedServer, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    rss = _add(
        session_factory,
        "news",
        server.serve_file("/feed/", "feeds/odei-news.rss", "application/rss+xml; charset=UTF-8"),
        "ODEI news",
    )
    atom = _add(
        session_factory,
        "news",
        server.serve_file("/news/feed.atom", "feeds/odei-events-news.atom", "application/atom+xml"),
        "Medicine news",
    )
    jsonf = _add(
        session_factory,
        "news",
        server.serve_file("/feed.json", "feeds/academic-pathways.json", "application/feed+json"),
        "Academic Pathways",
    )
    reports = ingest_all(session_factory, settings, now=NOW)
    assert [(r.name, r.status, r.new, r.updated, r.unchanged) for r in reports] == [
        ("ODEI news", "ok", 3, 0, 0),
        ("Medicine news", "ok", 2, 0, 0),
        ("Academic Pathways", "ok", 2, 0, 0),
    ]
    # What we told the publisher about ourselves.
    agent = server.requests[0][1]["User-Agent"]
    assert agent.startswith("odei-mailer/") and "https://news.example.org" in agent
    assert server.requests[0][1]["Accept"].startswith("application/rss+xml, application/atom+xml")

    with session_factory() as session:
        items = _items(session, rss)
        ramadan = items["https://diversity.example.org/?p=4120"]
        assert ramadan.title == "Happy Ramadan!"
        assert ramadan.author == "ODEI Staff"
        # -0600 in the feed, UTC in the database.
        assert ramadan.published_at == dt.datetime(2026, 2, 18, 15, 15, tzinfo=UTC)
        base = server.url("")
        html = ramadan.summary_html
        assert "<script" not in html and "alert" not in html
        assert "onclick" not in html and "onerror" not in html and "javascript:" not in html
        assert f'href="{base}/ramadan-guide/"' in html  # relative link resolved
        assert f'src="{base}/wp-content/uploads/crescent.png"' in html
        assert ramadan.image_url.endswith("ramadan-300x200.jpg") and ramadan.image_alt
        # No guid: keyed by link. Entities decoded in the title, long text capped.
        snma = items["https://diversity.example.org/news/snma-black-history-arts-week-4/"]
        assert snma.title == "SNMA PRESENTS\u2026Black History & The Arts Week 4"
        assert snma.summary_html.endswith("led by people\u2026")
        assert len(snma.summary_html.split()) == 80

        items = _items(session, atom)
        scholars = items["tag:medicine.example.edu,2026:news/summer-scholars"]
        assert scholars.title == "Summer scholars present research in the lab"
        # xml:base + relative hrefs resolved against the feed.
        assert scholars.url == "https://medicine.example.edu/news/2026/summer-scholars.html"
        assert 'href="https://medicine.example.edu/people/folarin-hines"' in scholars.summary_html
        assert scholars.published_at == dt.datetime(2026, 2, 25, 16, tzinfo=UTC)
        ppd = items["tag:medicine.example.edu,2026:news/ppd-sessions"]
        assert ppd.url == "https://medicine.example.edu/odei/programming"
        assert ppd.published_at == dt.datetime(2026, 2, 20, 15, 30, tzinfo=UTC)  # <updated> only

        items = _items(session, jsonf)
        apps = items["2026-02-26-applications"]
        assert apps.url == "https://pathways.example.org/2026/applications-open"
        assert "<iframe" not in apps.summary_html and "<strong>summer research</strong>" in (
            apps.summary_html
        )
        assert apps.published_at == dt.datetime(2026, 2, 26, 20, tzinfo=UTC)
        uim = items["2026-02-19-uim"]
        assert uim.summary_html == (
            "<p>An intentional infrastructure for UiM applicants &amp; the STEM workforce.</p>"
        )
        source = session.get(Source, rss)
        assert source is not None and source.last_status == "ok" and source.last_ok_at == NOW


def test_reingest_uses_304_and_never_duplicates(
    server: FeedServer, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    body = (DATA / "feeds/odei-news.rss").read_bytes()
    server.routes["/feed/"] = Route(
        body, etag='"v1"', last_modified="Wed, 18 Feb 2026 15:20:00 GMT"
    )
    sid = _add(session_factory, "news", server.url("/feed/"), "ODEI news")
    assert ingest_source(session_factory, settings, sid, now=NOW).new == 3

    second = ingest_source(session_factory, settings, sid, now=NOW)
    assert second.status == "not_modified" and second.line().endswith(
        "not modified since last fetch"
    )
    headers = server.requests[-1][1]
    assert headers["If-None-Match"] == '"v1"'
    assert headers["If-Modified-Since"] == "Wed, 18 Feb 2026 15:20:00 GMT"

    # The publisher edits one title, adds an item, and the ETag changes.
    edited = body.replace(b"<title>Happy Ramadan!</title>", b"<title>Ramadan Mubarak!</title>")
    edited = edited.replace(
        b"<item>",
        b"<item><title>Eid al-Fitr prayer times</title>"
        b"<link>https://diversity.example.org/news/eid/</link>"
        b"<pubDate>Fri, 20 Mar 2026 06:00:00 -0500</pubDate></item><item>",
        1,
    )
    server.routes["/feed/"] = Route(edited, etag='"v2"')
    third = ingest_source(session_factory, settings, sid, now=NOW)
    assert (third.new, third.updated, third.unchanged) == (1, 1, 2)
    # An editor hides one item; the feed is served again without validators:
    # everything unchanged, nothing duplicated, the hidden item stays hidden.
    with session_factory.begin() as session:
        set_hidden(
            session, "news", _items(session, sid)["https://diversity.example.org/?p=4120"].id
        )
    server.routes["/feed/"] = Route(edited)
    fourth = ingest_source(session_factory, settings, sid, now=NOW)
    assert (fourth.new, fourth.updated, fourth.unchanged) == (0, 0, 4)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(NewsItem)) == 4
        items = _items(session, sid)
        titles = {i.title for i in items.values()}
        assert "Ramadan Mubarak!" in titles and "Happy Ramadan!" not in titles
        assert items["https://diversity.example.org/?p=4120"].hidden
    # A server with Last-Modified only gets If-Modified-Since back and answers 304.
    server.routes["/feed/"] = Route(edited, last_modified="Fri, 20 Mar 2026 11:00:00 GMT")
    assert ingest_source(session_factory, settings, sid, now=NOW).unchanged == 4
    fifth = ingest_source(session_factory, settings, sid, now=NOW)
    assert fifth.status == "not_modified"
    assert "If-None-Match" not in server.requests[-1][1]


def _big_feed(n: int) -> bytes:
    items = "".join(
        f"<item><title>Item {i}</title><link>https://x.example/{i}</link></item>" for i in range(n)
    )
    head = '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    return f"{head}{items}</channel></rss>".encode()


def test_broken_sources_are_recorded_and_do_not_stop_others(
    server: FeedServer, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    data = DATA / "feeds"
    server.routes["/good"] = Route((data / "odei-news.rss").read_bytes())
    server.routes["/was-good"] = Route(
        (data / "academic-pathways.json").read_bytes(), "application/json"
    )
    sids = {
        name: _add(session_factory, "news", server.url(path), name)
        for name, path in [
            ("server error", "/500"),
            ("slow", "/slow"),
            ("malformed", "/malformed"),
            ("html page", "/html"),
            ("ten thousand", "/huge"),
            ("was good", "/was-good"),
            ("good", "/good"),
            ("missing", "/404"),
        ]
    }
    server.routes["/500"] = Route(b"oops", "text/plain", status=500)
    server.routes["/slow"] = Route((data / "odei-news.rss").read_bytes(), delay=1.5)
    server.routes["/malformed"] = Route((data / "malformed.rss").read_bytes())
    server.routes["/html"] = Route(
        (data / "not-a-feed.html").read_bytes(), "text/html; charset=utf-8"
    )
    server.routes["/huge"] = Route(_big_feed(10_000))

    # First run: "was good" is fine and its two items are stored.
    ingest_source(session_factory, settings, sids["was good"], now=NOW)
    # Then its publisher breaks it.
    server.routes["/was-good"] = Route(
        b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "application/json"
    )

    options = FetchOptions(timeout=0.5, max_items=500)
    reports = {r.name: r for r in ingest_all(session_factory, settings, now=NOW, options=options)}
    assert reports["good"].status == "ok" and reports["good"].new == 3
    # An unescaped "&" and cut off mid-item, but feedparser's lenient parser reads both
    # items: kept, with
    # the warning recorded (news is never removed, so a partial read loses nothing).
    assert reports["malformed"].status == "ok" and reports["malformed"].new == 2
    assert "warning: malformed XML at line" in reports["malformed"].line()
    errors = {name: r.error for name, r in reports.items() if r.status == "failing"}
    assert set(errors) == set(sids) - {"good", "malformed"}
    assert errors["server error"].startswith("HTTP 500")
    assert errors["missing"].startswith("HTTP 404")
    assert errors["slow"].startswith("timed out after 0.5 s")
    assert "'text/html' is not an RSS, Atom or JSON feed" in errors["html page"]
    assert "10000 items, more than the 500" in errors["ten thousand"]
    assert errors["was good"].startswith("malformed JSON")

    with session_factory() as session:
        source = session.get(Source, sids["was good"])
        assert source is not None
        assert source.last_status == "failing" and source.last_error.startswith("malformed JSON")
        assert source.last_ok_at == NOW
        assert len(_items(session, sids["was good"])) == 2  # nothing ingested before is lost
        malformed = session.get(Source, sids["malformed"])
        assert malformed is not None and malformed.last_status == "ok"
        assert malformed.last_warning.startswith("malformed XML at line")
        for name in ("server error", "slow", "html page", "ten thousand"):
            assert _items(session, sids[name]) == {}


def test_size_cap(
    server: FeedServer, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    server.routes["/big"] = Route(_big_feed(3000))
    sid = _add(session_factory, "news", server.url("/big"), "big")
    report = ingest_source(
        session_factory, settings, sid, now=NOW, options=FetchOptions(max_bytes=64 * 1024)
    )
    assert report.status == "failing"
    assert report.error.startswith("response is larger than the 64 KiB cap")


def test_source_validation(session: Session) -> None:
    with pytest.raises(SourceError, match="url: 'ftp://x' must be an http"):
        add_source(session, kind="news", url="ftp://x", name="x")
    with pytest.raises(SourceError, match="kind: 'blog'"):
        add_source(session, kind="blog", url="https://x.example/", name="x")
    cal = add_source(session, kind="events", url="webcal://cal.example.org/odei.ics", name="ODEI")
    assert cal.url == "https://cal.example.org/odei.ics"
    with pytest.raises(SourceError, match="already a events source named 'ODEI'"):
        add_source(session, kind="events", url="https://y.example/", name="ODEI")
