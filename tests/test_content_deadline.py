"""Every source is bounded: a publisher that drips one byte every two seconds cannot hold ingest.

The servers are real (loopback sockets); the deadline is the setting
MAILER_FETCH_DEADLINE, shortened for the test.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner
from content_http import DATA, FeedServer, Route
from sqlalchemy.orm import Session, sessionmaker

from mailer.commands import content, sources
from mailer.config import Settings, set_settings
from mailer.content.fetch import FetchError, FetchOptions, fetch
from mailer.content.ingest import ingest_all
from mailer.content.models import Source
from mailer.content.sources import add_source

DEADLINE = 2.0
RSS = (DATA / "feeds/odei-news.rss").read_bytes()


@pytest.fixture
def server() -> Iterator[FeedServer]:
    srv = FeedServer()
    yield srv
    srv.close()


def _sources(server: FeedServer, sf: sessionmaker[Session]) -> dict[str, int]:
    server.routes["/drip-body"] = Route(RSS, drip=0.5)
    server.routes["/drip-all"] = Route(RSS, drip=0.5, drip_headers=True)
    server.routes["/good"] = Route(RSS)
    with sf.begin() as session:
        return {
            name: add_source(session, kind="news", url=server.url(path), name=name).id
            for name, path in (
                ("drips its body", "/drip-body"),
                ("drips everything", "/drip-all"),
                ("good", "/good"),
            )
        }


def test_a_dripping_source_fails_at_its_deadline_and_the_others_are_fetched(
    server: FeedServer, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    ids = _sources(server, session_factory)
    started = time.monotonic()
    reports = ingest_all(session_factory, settings.replace(fetch_deadline=DEADLINE))
    elapsed = time.monotonic() - started
    # Two dripping sources, fetched side by side and each cut at its deadline; the
    # per-read timeout (20 s) never fires.
    assert elapsed < DEADLINE + 3, elapsed
    by_name = {r.name: r for r in reports}
    assert by_name["good"].status == "ok" and by_name["good"].new == 3
    for name in ("drips its body", "drips everything"):
        assert by_name[name].status == "failing"
        assert by_name[name].error.startswith("took longer than the 2 s deadline"), by_name[name]
    with session_factory() as session:
        source = session.get(Source, ids["drips its body"])
        assert source is not None and source.last_status == "failing"
        assert "deadline" in source.last_error


def test_content_ingest_command_obeys_the_setting_and_sources_list_shows_why(
    server: FeedServer, session_factory: sessionmaker[Session], cli_env: dict[str, str]
) -> None:
    _sources(server, session_factory)
    cli = click.Group("mailer", commands=[content.command, sources.command])
    env = {**cli_env, "MAILER_FETCH_DEADLINE": "1.5"}
    set_settings(None)  # the command loads its settings from this environment
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["content", "ingest"], env=env, catch_exceptions=False)
    assert time.monotonic() - started < 1.5 + 3
    assert result.exit_code == 1, result.output
    assert "drips its body: FAILED: took longer than the 1.5 s deadline" in result.output
    listing = CliRunner().invoke(
        cli, ["sources", "list"], env={**env, "COLUMNS": "250"}, catch_exceptions=False
    )
    assert "took longer than the 1.5 s deadline" in listing.output


def test_a_tls_handshake_that_drips_is_cut_too() -> None:
    """A server that accepts the connection and answers the TLS hello a byte at a time."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                while not stop.wait(0.5):
                    conn.send(b"\x16")  # the first byte of a TLS record, then nothing useful

    threading.Thread(target=serve, daemon=True).start()
    url = f"https://127.0.0.1:{listener.getsockname()[1]}/feed"
    started = time.monotonic()
    try:
        with pytest.raises(FetchError, match=r"took longer than the 1\.5 s deadline"):
            fetch(
                url,
                etag="",
                last_modified="",
                settings=Settings(),
                options=FetchOptions(deadline=1.5),
            )
        assert time.monotonic() - started < 1.5 + 2
    finally:
        stop.set()
        listener.close()
