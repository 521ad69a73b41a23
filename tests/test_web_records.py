"""The console's record pages: suppressions, bounces and complaints, the audit log and the
content sources (issue 13, item 3). Request level: each action, its audit entry, the
role it needs and its CSRF token."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from content_http import FeedServer, Route
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import WebClient, add_campaign, add_list

from mailer.content.models import NewsItem, Source
from mailer.content.sources import add_source
from mailer.db import AuditLog, audit
from mailer.delivery.models import Delivery
from mailer.users import User
from subscribers import service
from subscribers.models import BounceRecord, Subscriber, Suppression

pytest_plugins = ["web_fixtures"]


def _audit(s: Session, action: str) -> list[AuditLog]:
    return list(s.scalars(select(AuditLog).where(AuditLog.action == action)))


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- suppressions ----------------------------------------------------------------------


@pytest.fixture
def suppressed(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as s:
        service.suppress(
            s, "priya.patel@gmail.example", "hard_bounce", "550 5.1.1", actor="mailbox"
        )
        service.suppress(s, "kofi.mensah@example.net", "complaint", "", actor="sendgrid")
        service.suppress(s, "Wei.Chen@Example.org", "manual", "asked by phone", actor="ada@x.org")
        service.forget(s, "gone.person@example.org", actor="ada@x.org")
        s.commit()


def test_suppressions_show_reason_source_and_date_in_the_office_zone(
    admin_client: WebClient, suppressed: None
) -> None:
    page = admin_client.get("/admin/suppressions/")
    assert page.status_code == 200
    text = _text(page.get_data(as_text=True))
    assert "priya.patel@gmail.example hard_bounce mailbox" in text
    assert "kofi.mensah@example.net complaint sendgrid" in text
    assert "wei.chen@example.org manual ada@x.org" in text
    assert re.search(r"[A-Z][a-z]{2} \d{1,2}, \d{4} \d\d:\d\d C[SD]T", text)  # America/Chicago
    assert "Times are in America/Chicago" in text
    # A forgotten person is a hash, and their row cannot be lifted.
    assert "sha256:" in text and "stays" in text


def test_suppressions_search_by_any_part_of_the_address_and_by_reason(
    admin_client: WebClient, suppressed: None
) -> None:
    found = _text(admin_client.get("/admin/suppressions/?q=GMAIL").get_data(as_text=True))
    assert "priya.patel@gmail.example" in found and "kofi.mensah" not in found
    # % and _ are literal, not wildcards.
    assert "No suppressed address matches" in admin_client.get(
        "/admin/suppressions/?q=%25"
    ).get_data(as_text=True)
    by_reason = _text(admin_client.get("/admin/suppressions/?reason=complaint").get_data(True))
    assert "kofi.mensah@example.net" in by_reason and "priya" not in by_reason
    assert admin_client.get("/admin/suppressions/?reason=nonsense").status_code == 400


def test_suppressions_page_in_pages_newest_first(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        for i in range(55):
            service.suppress(s, f"reader{i:02d}@example.org", "manual", actor="cli")
        s.commit()
    first = admin_client.get("/admin/suppressions/").get_data(as_text=True)
    assert first.index("reader54@") < first.index("reader53@")
    older = re.search(r'href="([^"]*before=\d+)"', first)
    assert older and "reader04@" not in first
    second = admin_client.get(older.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "reader04@" in second and "reader00@" in second and "reader54@" not in second


def test_an_admin_suppresses_an_address_and_it_is_audited(
    admin_client: WebClient, admin: User, session_factory: sessionmaker[Session]
) -> None:
    r = admin_client.post_form(
        "/admin/suppressions/add", {"email": " Ana.Ruiz@WUSTL.example ", "note": "asked"}
    )
    assert r.status_code == 302
    with session_factory() as s:
        row = s.scalar(select(Suppression))
        assert row is not None and (row.address, row.reason, row.note) == (
            "ana.ruiz@wustl.example",
            "manual",
            "asked",
        )
        (entry,) = _audit(s, "suppression.add")
        assert (entry.actor, entry.target) == (admin.email, "ana.ruiz@wustl.example")
    bad = admin_client.post_form("/admin/suppressions/add", {"email": "not an address"})
    assert bad.status_code == 400
    assert "This is not a usable email address" in bad.get_data(as_text=True)


def test_an_admin_lifts_a_suppression_with_a_reason_and_it_is_audited(
    admin_client: WebClient, admin: User, suppressed: None, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        row = s.scalar(select(Suppression).where(Suppression.reason == "hard_bounce"))
        forgotten = s.scalar(select(Suppression).where(Suppression.reason == "forgotten"))
        assert row is not None and forgotten is not None
        row_id, forgotten_id = row.id, forgotten.id
    # No reason: nothing is lifted.
    admin_client.post_form(f"/admin/suppressions/{row_id}/remove", {"note": ""})
    with session_factory() as s:
        assert s.get(Suppression, row_id) is not None
    r = admin_client.post_form(
        f"/admin/suppressions/{row_id}/remove", {"note": "mailbox fixed, checked with IT"}
    )
    assert r.status_code == 302
    with session_factory() as s:
        assert s.get(Suppression, row_id) is None
        (entry,) = _audit(s, "suppression.remove")
        assert (entry.actor, entry.note) == (admin.email, "mailbox fixed, checked with IT")
    refused = admin_client.post_form(f"/admin/suppressions/{forgotten_id}/remove", {"note": "x"})
    assert refused.status_code == 409
    assert (
        admin_client.post_form("/admin/suppressions/999/remove", {"note": "x"}).status_code == 404
    )


def test_suppression_actions_need_the_csrf_token_and_the_admin_role(
    admin_client: WebClient,
    staff_client: WebClient,
    client: WebClient,
    suppressed: None,
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as s:
        row_id = s.scalars(select(Suppression.id)).first()
    forged = admin_client.post("/admin/suppressions/add", data={"email": "x@example.org"})
    assert forged.status_code == 400
    lift = admin_client.post(f"/admin/suppressions/{row_id}/remove", data={"note": "x"})
    assert lift.status_code == 400
    assert staff_client.get("/admin/suppressions/").status_code == 403
    assert (
        staff_client.post_form("/admin/suppressions/add", {"email": "x@example.org"}).status_code
        == 403
    )
    assert client.get("/admin/suppressions/").status_code == 302
    with session_factory() as s:
        assert s.scalar(select(Suppression).where(Suppression.address == "x@example.org")) is None
        assert s.get(Suppression, row_id) is not None


# --- bounces and complaints ------------------------------------------------------------


@pytest.fixture
def feedback(session_factory: sessionmaker[Session]) -> dict[str, int]:
    """Two campaigns on lists in two zones, a bounce of each, and one record of nobody's send."""
    with session_factory() as s:
        weekly = add_list(s, timezone="America/Chicago")
        tokyo = add_list(s, "tokyo-alumni", name="Tokyo alumni", timezone="Asia/Tokyo")
        first = add_campaign(s, weekly, "list-1:2026-W10", subject="ODEI Weekly: March")
        second = add_campaign(s, tokyo, "list-2:2026-W10", subject="Alumni news")
        ids = {"first": first.id, "second": second.id}
        for campaign, email, kind in (
            (first, "Priya.Patel@wustl.example", "hard"),
            (second, "kofi.mensah@example.net", "complaint"),
        ):
            person = Subscriber(email=email, name="")
            s.add(person)
            s.flush()
            d = Delivery(campaign_id=campaign.id, subscriber_id=person.id, email=email)
            s.add(d)
            s.flush()
            record = BounceRecord(
                address=email.lower(),
                kind=kind,
                status_code="5.1.1" if kind == "hard" else "",
                diagnostic="550 5.1.1 user unknown",
                delivery_id=d.id,
                source="mailbox",
                received_at=dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC),
                raw="Subject: Undelivered Mail\n\n<script>alert(1)</script> 550 5.1.1",
            )
            s.add(record)
            s.flush()
            ids[kind] = record.id
        stray = BounceRecord(
            address="stranger@example.com",
            kind="soft",
            verified=False,
            source="mailbox",
            received_at=dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC),
        )
        s.add(stray)
        s.commit()
        ids["stray"] = stray.id
    return ids


def test_bounces_per_campaign_in_that_lists_zone(
    admin_client: WebClient, feedback: dict[str, int]
) -> None:
    everything = _text(admin_client.get("/admin/bounces/").get_data(as_text=True))
    assert "priya.patel@wustl.example" in everything and "stranger@example.com" in everything
    assert "Mar 2, 2026 09:00 CST" in everything  # the Chicago list's campaign
    assert "Mar 3, 2026 00:00 JST" in everything  # the Tokyo list's campaign
    second = _text(
        admin_client.get(f"/admin/bounces/?campaign={feedback['second']}").get_data(True)
    )
    assert "kofi.mensah@example.net" in second and "priya" not in second
    assert "of “Alumni news”" in second
    assert admin_client.get("/admin/bounces/?campaign=99999").status_code == 404
    assert admin_client.get("/admin/bounces/?kind=weird").status_code == 400
    assert admin_client.get("/admin/bounces/?trust=maybe").status_code == 400


def test_bounces_per_address_in_any_spelling_and_by_trust(
    admin_client: WebClient, feedback: dict[str, int]
) -> None:
    one = _text(
        admin_client.get("/admin/bounces/?address=PRIYA.PATEL@WUSTL.example").get_data(True)
    )
    assert "priya.patel@wustl.example" in one and "kofi" not in one and "stranger" not in one
    part = _text(admin_client.get("/admin/bounces/?address=example.").get_data(True))
    assert "kofi.mensah" in part and "stranger" in part and "priya" not in part
    unverified = _text(admin_client.get("/admin/bounces/?trust=unverified").get_data(True))
    assert "stranger@example.com" in unverified and "priya" not in unverified


def test_the_raw_report_is_readable_and_inert(
    admin_client: WebClient, staff_client: WebClient, feedback: dict[str, int]
) -> None:
    page = admin_client.get(f"/admin/bounces/{feedback['hard']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Subject: Undelivered Mail" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "ODEI Weekly: March" in html and "Mar 2, 2026 09:00 CST" in html
    stray = admin_client.get(f"/admin/bounces/{feedback['stray']}").get_data(as_text=True)
    assert "Not kept" in stray and "Mar 2, 2026 09:00 CST" in stray  # the office's zone
    assert admin_client.get("/admin/bounces/99999").status_code == 404
    assert staff_client.get(f"/admin/bounces/{feedback['hard']}").status_code == 403


# --- the audit log ---------------------------------------------------------------------


def test_audit_log_filters_by_actor_action_and_office_day(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        for at, who, action in (
            # 05:30 UTC on the 3rd is still the 2nd in Chicago.
            (dt.datetime(2026, 3, 3, 5, 30, tzinfo=dt.UTC), "ada@x.org", "suppression.add"),
            (dt.datetime(2026, 3, 3, 7, 0, tzinfo=dt.UTC), "sam@x.org", "suppression.remove"),
            (dt.datetime(2026, 3, 4, 15, 0, tzinfo=dt.UTC), "ada@x.org", "campaign.cancel"),
        ):
            audit(s, who, action, "t").at = at
        s.commit()
    ada = _text(admin_client.get("/admin/audit/?actor=ADA@").get_data(True))
    assert "suppression.add" in ada and "campaign.cancel" in ada and "suppression.remove" not in ada
    family = _text(admin_client.get("/admin/audit/?action=suppression").get_data(True))
    assert "suppression.add" in family and "suppression.remove" in family
    assert "campaign.cancel" not in family
    exact = _text(admin_client.get("/admin/audit/?action=suppression.add").get_data(True))
    assert "suppression.remove" not in exact
    day = _text(admin_client.get("/admin/audit/?since=2026-03-02&until=2026-03-02").get_data(True))
    assert "suppression.add" in day and "Mar 2, 2026 23:30 CST" in day
    assert "suppression.remove" not in day and "campaign.cancel" not in day
    assert admin_client.get("/admin/audit/?since=yesterday").status_code == 400
    assert admin_client.get("/admin/audit/?before=-1").status_code == 400


def test_audit_log_pages_backwards(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        for i in range(60):
            audit(s, "cli", "list.update", f"list:{i}")
        s.commit()
    first = admin_client.get("/admin/audit/?action=list.update").get_data(as_text=True)
    assert "list:59" in first and "list:9<" not in first
    older = re.search(r'href="([^"]*before=\d+)"', first)
    assert older and "action=list.update" in older.group(1)
    second = admin_client.get(older.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "list:9<" in second and "list:0<" in second and "list:59" not in second


# --- content sources -------------------------------------------------------------------


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    srv = FeedServer()
    yield srv
    srv.close()


def test_sources_enable_disable_and_fetch_now(
    admin_client: WebClient,
    admin: User,
    feeds: FeedServer,
    session_factory: sessionmaker[Session],
) -> None:
    good = feeds.serve_file("/news.rss", "feeds/odei-news.rss", "application/rss+xml")
    feeds.routes["/gone.ics"] = Route(b"gone", "text/plain", status=404)
    with session_factory.begin() as s:
        news = add_source(s, kind="news", url=good, name="ODEI news").id
        gone = add_source(s, kind="events", url=feeds.url("/gone.ics"), name="Old calendar").id
    page = _text(admin_client.get("/admin/sources/").get_data(as_text=True))
    assert "ODEI news" in page and "never" in page and "Times are in America/Chicago" in page
    r = admin_client.post_form(f"/admin/sources/{news}/fetch", {})
    assert r.status_code == 302
    shown = _text(admin_client.get("/admin/sources/").get_data(as_text=True))
    assert re.search(r"ODEI news: \d+ new", shown)
    with session_factory() as s:
        source = s.get(Source, news)
        assert source is not None and source.last_status == "ok"
        assert s.scalar(select(NewsItem).where(NewsItem.source_id == news)) is not None
        assert [e.actor for e in _audit(s, "source.fetch")] == [admin.email]
    admin_client.post_form(f"/admin/sources/{gone}/fetch", {})
    failing = _text(admin_client.get("/admin/sources/").get_data(as_text=True))
    assert "Old calendar: FAILED" in failing and "404" in failing and "failing" in failing
    assert admin_client.post_form(f"/admin/sources/{gone}/disable", {}).status_code == 302
    with session_factory() as s:
        source = s.get(Source, gone)
        assert source is not None and not source.enabled
        assert [e.actor for e in _audit(s, "source.disable")] == [admin.email]
    assert "disabled" in admin_client.get("/admin/sources/").get_data(as_text=True)
    admin_client.post_form(f"/admin/sources/{gone}/enable", {})
    with session_factory() as s:
        source = s.get(Source, gone)
        assert source is not None and source.enabled


def test_source_actions_need_the_csrf_token_and_the_admin_role(
    admin_client: WebClient, staff_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory.begin() as s:
        sid = add_source(s, kind="news", url="https://example.org/feed", name="Feed").id
    assert admin_client.post(f"/admin/sources/{sid}/disable").status_code == 400
    assert staff_client.post_form(f"/admin/sources/{sid}/disable", {}).status_code == 403
    assert staff_client.get("/admin/sources/").status_code == 403
    with session_factory() as s:
        source = s.get(Source, sid)
        assert source is not None and source.enabled
    # The manual pseudo-source is not a feed: no page acts on it.
    with session_factory.begin() as s:
        from mailer.content.manual import manual_source

        manual = manual_source(s, "news").id
    assert admin_client.post_form(f"/admin/sources/{manual}/fetch", {}).status_code == 404


def test_staff_read_the_sources_without_their_controls(
    staff_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory.begin() as s:
        source = add_source(s, kind="news", url="https://example.org/feed", name="ODEI news")
        source.last_status, source.last_error = "failing", "HTTP 503 from example.org"
    page = staff_client.get("/staff/sources/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "ODEI news" in html and "HTTP 503 from example.org" in html and "failing" in html
    assert "Fetch now" not in html and "/admin/sources/" not in html
