"""The ingest and bounce jobs call the real stages and log what happened, source by source."""

from __future__ import annotations

import datetime as dt
import logging
import mailbox
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from bounce_helpers import sent_to
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailer.commands.digest import command as digest_command
from mailer.config import Settings
from mailer.content.models import NewsItem, Source
from mailer.content.sources import add_source
from mailer.scheduling import jobs
from mailer.scheduling.digests import catch_up
from subscribers.models import Suppression
from tests.content_http import FeedServer
from tests.schedule_fixtures import add_news, digest_list

BOUNCES = Path(__file__).parent / "data" / "bounces"


@pytest.fixture
def server() -> Iterator[FeedServer]:
    srv = FeedServer()
    yield srv
    srv.close()


@pytest.fixture
def runtime() -> Iterator[None]:
    """Each test installs its own job runtime; none is left behind for the next test."""
    yield
    jobs.install(None)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_ingest_job_stores_news_and_warns_about_a_failing_source(
    server: FeedServer,
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    runtime: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = server.serve_file("/feed/", "feeds/odei-news.rss", "application/rss+xml")
    add_source(session, kind="news", url=good, name="ODEI news")
    add_source(session, kind="news", url=f"http://127.0.0.1:{closed_port()}/feed", name="Gone away")
    session.commit()
    jobs.install(jobs.Runtime(session_factory, settings))
    with caplog.at_level(logging.INFO, logger="mailer.scheduling.jobs"):
        jobs.ingest()
    records = [(r.levelno, r.getMessage()) for r in caplog.records if r.name.endswith("jobs")]
    assert (logging.INFO, "ingest: ODEI news: 3 new, 0 updated, 0 unchanged") in records
    [failed] = [m for level, m in records if level == logging.WARNING]
    assert failed.startswith("ingest: Gone away: FAILED:")
    assert (logging.INFO, "ingest: 2 sources, 1 failing") in records
    session.expire_all()
    assert len(session.scalars(select(NewsItem)).all()) == 3
    gone = session.scalars(select(Source).where(Source.name == "Gone away")).one()
    assert gone.last_status == "failing"
    session.commit()


def test_bounce_job_reads_the_configured_mailbox_like_the_cli(
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    runtime: None,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Priya's bounce quotes the Message-ID we sent her: it is ours, and acts.
    sent_to(session, ("priya.patel@wustl.example", "<173000000001.41.2715@mailer.example.org>"))
    where = tmp_path / "bounces"
    box = mailbox.Maildir(where, create=True)
    box.add((BOUNCES / "postfix_user_unknown.eml").read_bytes())
    box.add((BOUNCES / "postfix_deferred.eml").read_bytes())
    jobs.install(jobs.Runtime(session_factory, settings.replace(bounce_mailbox=str(where))))
    with caplog.at_level(logging.INFO, logger="mailer.scheduling.jobs"):
        jobs.bounces()
        jobs.bounces()  # the messages were moved aside: nothing is read twice
    lines = [r.getMessage() for r in caplog.records if r.name.endswith("jobs")]
    assert lines[0].startswith("bounces: 2 messages: 2 events (")
    assert "suppressed 1" in lines[0]
    assert lines[1].startswith("bounces: 0 messages")
    assert len(box) == 0 and len(box.get_folder("processed")) == 2
    session.expire_all()
    assert list(session.scalars(select(Suppression.address))) == ["priya.patel@wustl.example"]
    session.commit()


def test_bounce_job_logs_an_unreadable_mailbox_and_returns(
    session_factory: sessionmaker[Session],
    settings: Settings,
    runtime: None,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    (tmp_path / "not-a-maildir").mkdir()
    where = str(tmp_path / "not-a-maildir")
    jobs.install(jobs.Runtime(session_factory, settings.replace(bounce_mailbox=where)))
    with caplog.at_level(logging.ERROR, logger="mailer.scheduling.jobs"):
        jobs.bounces()
    assert "bounces: cannot read MAILER_BOUNCE_MAILBOX:" in caplog.text
    assert "is not a Maildir" in caplog.text


def test_digest_send_for_a_skipped_week_prints_the_recorded_reason(
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    cli_env: dict[str, str],
) -> None:
    digest_list(session)
    add_news(session, dt.datetime(2027, 3, 12, 15, tzinfo=dt.UTC))
    session.commit()
    with time_machine.travel(dt.datetime(2027, 3, 15, 19, tzinfo=dt.UTC), tick=False):
        [run] = catch_up(session_factory, settings)
    assert run.action == "skipped"
    result = CliRunner(env=cli_env).invoke(
        digest_command, ["send", "--list", "weekly", "--date", "2027-03-15"]
    )
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "is skipped: not sent: the scheduler was not running at Mon 2027-03-15 07:00 CDT" in out
    assert "beyond the 6 h grace (digest_grace_hours)" in out
