"""The CLI counterparts of the console's record pages (issue 13, item 9): the same
queries and rules (``feedback.records``, ``suppression_search``, ``audit_log``,
``ingest_source``) through `mailer`, as an operator runs it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result
from content_http import DATA, FeedServer, Route
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import add_campaign, add_list

from mailer.cli import cli
from mailer.content.manual import manual_source
from mailer.content.sources import add_source
from mailer.db import AuditLog, audit
from mailer.delivery.models import Delivery
from subscribers import service
from subscribers.models import BounceRecord


def run(env: dict[str, str], *args: str) -> Result:
    # Wide enough that Rich does not wrap an address inside its table cell.
    wide = {**env, "COLUMNS": "200"}
    return CliRunner().invoke(cli, list(args), env=wide, catch_exceptions=False)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    srv = FeedServer()
    yield srv
    srv.close()


def test_sources_fetch_one_now_and_audit_it(
    cli_env: dict[str, str], server: FeedServer, session_factory: sessionmaker[Session]
) -> None:
    server.routes["/feed/"] = Route((DATA / "feeds/odei-news.rss").read_bytes())
    server.routes["/gone"] = Route(b"", status=410)
    with session_factory.begin() as s:
        add_source(s, kind="news", url=server.url("/feed/"), name="ODEI news")
        gone = add_source(s, kind="news", url=server.url("/gone"), name="Old blog").id
        manual_source(s, "news")
    ok = run(cli_env, "sources", "fetch", "ODEI news")
    assert ok.exit_code == 0 and "ODEI news: 3 new" in ok.output
    failed = run(cli_env, "sources", "fetch", str(gone))
    assert failed.exit_code == 1 and "Old blog: FAILED: HTTP 410" in failed.output
    with session_factory() as s:
        entries = s.scalars(select(AuditLog).where(AuditLog.action == "source.fetch")).all()
        assert [e.detail["status"] for e in entries] == ["ok", "failing"]
    manual = run(cli_env, "sources", "fetch", "manual")
    assert manual.exit_code == 1 and "it has no feed" in manual.output


def test_bounces_list_per_campaign_and_address_and_show_the_raw_report(
    cli_env: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        weekly = add_list(s)
        campaigns = [add_campaign(s, weekly, f"list-1:2026-W1{i}") for i in range(2)]
        ids = []
        for campaign, email in zip(
            campaigns, ("priya@example.org", "kofi@example.net"), strict=True
        ):
            d = Delivery(campaign_id=campaign.id, email=email)
            s.add(d)
            s.flush()
            record = BounceRecord(
                address=email, kind="hard", delivery_id=d.id, raw="Diagnostic-Code: [red]550"
            )
            s.add(record)
            s.flush()
            ids.append(record.id)
        s.commit()
        second = campaigns[1].id
    listed = run(cli_env, "bounces", "list", "--campaign", str(second))
    assert "kofi@example.net" in listed.output and "priya" not in listed.output
    assert "1 records" in listed.output
    by_address = run(cli_env, "bounces", "list", "--address", "PRIYA@example.org")
    assert "priya@example.org" in by_address.output and "kofi" not in by_address.output
    shown = run(cli_env, "bounces", "show", str(ids[0]))
    assert shown.exit_code == 0 and "Diagnostic-Code: [red]550" in shown.output
    assert run(cli_env, "bounces", "show", "99999").exit_code == 1


def test_suppressions_list_searches_any_part_of_the_address(
    cli_env: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        service.suppress(s, "priya.patel@gmail.example", "hard_bounce", actor="mailbox")
        service.suppress(s, "kofi@example.net", "manual", actor="cli")
        s.commit()
    found = run(cli_env, "suppressions", "list", "--search", "GMAIL")
    assert "priya.patel@gmail.example" in found.output and "kofi" not in found.output
    assert "1 suppressed" in found.output


def test_audit_list_filters_like_the_console(
    cli_env: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        audit(s, "ada@x.org", "suppression.add", "a").at = dt.datetime(2026, 3, 3, 5, tzinfo=dt.UTC)
        audit(s, "sam@x.org", "campaign.cancel", "b").at = dt.datetime(2026, 3, 4, tzinfo=dt.UTC)
        s.commit()
    day = run(cli_env, "audit", "list", "--since", "2026-03-02", "--until", "2026-03-02")
    assert "suppression.add" in day.output and "campaign.cancel" not in day.output
    assert "2026-03-02 23:00" in day.output  # the office's zone (America/Chicago)
    family = run(cli_env, "audit", "list", "--action", "campaign", "--actor", "SAM")
    assert "campaign.cancel" in family.output and "suppression" not in family.output
    assert run(cli_env, "audit", "list", "--since", "soon").exit_code == 2
