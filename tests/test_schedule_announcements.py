"""Standalone announcements at their time: one campaign per target list, once; stages absent."""

from __future__ import annotations

import datetime as dt
import logging
import mailbox
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailer.compose.snapshot import PLACEHOLDERS, Snapshot
from mailer.config import Settings
from mailer.content.edition import AnnouncementEntry
from mailer.content.models import Announcement
from mailer.db import AuditLog
from mailer.delivery.models import Campaign, CampaignStatus
from mailer.delivery.worker import drain
from mailer.scheduling import adapters
from mailer.scheduling.announcements import pending_standalone, run_announcement
from subscribers.models import MailingList
from tests.schedule_fixtures import digest_list

SEND_AT = dt.datetime(2027, 2, 1, 15, tzinfo=dt.UTC)
P = PLACEHOLDERS


def render_for_test(
    entry: AnnouncementEntry, mailing_list: MailingList, settings: Settings
) -> Snapshot:
    """Stands in for compose's render_announcement, which this branch does not have yet."""
    subject = f"{mailing_list.name}: {entry.title}"
    html = (
        f"<!DOCTYPE html><html lang='en'><head><title>{subject}</title></head><body>"
        f"<p>Hi {P['name']},</p>{entry.body_html}"
        f"<p><a href='{P['unsubscribe_url']}'>Unsubscribe</a></p></body></html>"
    )
    text = f"Hi {P['name']},\n\n{entry.title}\n\nUnsubscribe: {P['unsubscribe_url']}\n"
    return Snapshot(subject, entry.title, html, text)


@pytest.fixture
def renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        adapters, "RENDER_ANNOUNCEMENT", ("tests.test_schedule_announcements", "render_for_test")
    )


def announcement(session: Session, *lists: MailingList, send_at: dt.datetime = SEND_AT) -> int:
    a = Announcement(
        author_email="staff@example.org",
        title="Black History Month: Desegregation History Wall unveiling",
        body_md="Join us at the **Desegregation History Wall** on the Medical Campus.",
        mode="standalone",
        status="approved",
        send_at=send_at,
        lists=list(lists),
    )
    session.add(a)
    session.commit()
    return a.id


def _campaigns(session: Session) -> list[tuple[str, str, str]]:
    session.expire_all()
    rows = [
        (c.edition_key, c.status, c.status_reason)
        for c in session.scalars(select(Campaign).order_by(Campaign.edition_key))
    ]
    session.commit()
    return rows


def test_sent_at_its_time_to_each_list_once(
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    outbox: Path,
    renderer: None,
) -> None:
    weekly = digest_list(session, slug="weekly", readers=3)
    staff = digest_list(session, slug="staff", readers=2)
    aid = announcement(session, weekly, staff)
    with time_machine.travel(SEND_AT - dt.timedelta(minutes=5), tick=False):
        assert run_announcement(session_factory, settings, aid).action == "not-due"
    with time_machine.travel(SEND_AT + dt.timedelta(seconds=3), tick=False):
        run = run_announcement(session_factory, settings, aid)
        again = run_announcement(session_factory, settings, aid)
    assert run.action == "sent", run
    assert run.campaigns == {
        "staff": "started (2 recipients)",
        "weekly": "started (3 recipients)",
    }
    assert again.action == "not-approved"  # it is sent now
    rows = _campaigns(session)
    assert [(k, s) for k, s, _ in rows] == [
        (f"announcement:{aid}:staff", CampaignStatus.SENDING),
        (f"announcement:{aid}:weekly", CampaignStatus.SENDING),
    ]
    session.expire_all()
    assert session.get(Announcement, aid).status == "sent"
    assert pending_standalone(session) == []
    session.commit()
    drain(session_factory, settings)
    messages = list(mailbox.Maildir(outbox, create=False))
    assert len(messages) == 5
    assert len({m["To"] for m in messages}) == 5
    html = next(p for p in messages[0].walk() if p.get_content_type() == "text/html")
    assert b"<strong>Desegregation History Wall</strong>" in html.get_payload(decode=True)


def test_beyond_grace_each_list_is_skipped_with_the_reason(
    session: Session, session_factory: sessionmaker[Session], settings: Settings, renderer: None
) -> None:
    weekly = digest_list(session)
    aid = announcement(session, weekly)
    with time_machine.travel(SEND_AT + dt.timedelta(hours=9), tick=False):
        run = run_announcement(session_factory, settings, aid)
    assert run.action == "skipped"
    [(key, status, reason)] = _campaigns(session)
    assert key == f"announcement:{aid}:weekly" and status == CampaignStatus.SKIPPED
    assert "9.0 h past its send time" in reason and "6 h grace" in reason
    assert session.scalar(select(AuditLog).where(AuditLog.action == "announcement.skipped"))
    assert pending_standalone(session) == []  # reconcile will not schedule it again
    session.commit()


def test_without_a_renderer_nothing_is_sent_and_the_log_says_what_is_missing(
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(adapters, "RENDER_ANNOUNCEMENT", ("mailer.compose.render", "nowhere"))
    monkeypatch.setattr(adapters, "_warned", set())
    weekly = digest_list(session)
    aid = announcement(session, weekly)
    with (
        caplog.at_level(logging.ERROR),
        time_machine.travel(SEND_AT + dt.timedelta(minutes=1), tick=False),
    ):
        run = run_announcement(session_factory, settings, aid)
    assert run.action == "no-renderer"
    assert "mailer.compose.render has no nowhere()" in caplog.text
    assert _campaigns(session) == []
    session.expire_all()
    assert session.get(Announcement, aid).status == "approved"  # sent once compose lands
    session.commit()


def test_absent_stages_are_named_and_present_ones_called() -> None:
    with pytest.raises(adapters.StageMissing, match=r"mailer\.nothing_here\.ingest_all"):
        adapters.resolve(("mailer.nothing_here", "ingest_all"))
    assert adapters.call_stage(("mailer.nothing_here", "process_mailbox")) is None
    assert adapters.call_stage(("math", "hypot"), 3, 4) == 5.0
