"""Standalone announcements at their time: one campaign per target list, once, rendered."""

from __future__ import annotations

import datetime as dt
import mailbox
from pathlib import Path

import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.content.models import Announcement
from mailer.db import AuditLog
from mailer.delivery.models import Campaign, CampaignStatus
from mailer.delivery.worker import drain
from mailer.scheduling.announcements import pending_standalone, run_announcement
from subscribers.models import MailingList
from tests.schedule_fixtures import digest_list

SEND_AT = dt.datetime(2027, 2, 1, 15, tzinfo=dt.UTC)
TITLE = "Black History Month: Desegregation History Wall unveiling"


def announcement(
    session: Session,
    *lists: MailingList,
    send_at: dt.datetime = SEND_AT,
    body_md: str = "Join us at the **Desegregation History Wall** on the Medical Campus.",
) -> int:
    a = Announcement(
        author_email="staff@example.org",
        title=TITLE,
        body_md=body_md,
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
) -> None:
    weekly = digest_list(session, slug="weekly", readers=3)
    staff = digest_list(session, slug="staff", readers=2)
    aid = announcement(session, weekly, staff)
    weekly_id, staff_id = weekly.id, staff.id
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
        (f"announcement:{aid}:list-{weekly_id}", CampaignStatus.SENDING),
        (f"announcement:{aid}:list-{staff_id}", CampaignStatus.SENDING),
    ]
    session.expire_all()
    assert session.get(Announcement, aid).status == "sent"
    assert pending_standalone(session) == []
    # Compose's own renderer made each list's snapshot, with the staff's Markdown rendered.
    for campaign in session.scalars(select(Campaign)):
        assert TITLE in campaign.subject
        assert TITLE in campaign.html and TITLE in campaign.text
        assert "Desegregation History Wall</strong> on the Medical Campus" in campaign.html
        assert "Join us at the Desegregation History Wall on the Medical Campus" in " ".join(
            campaign.text.split()
        )
        assert "**" not in campaign.text
    session.commit()
    drain(session_factory, settings)
    messages = list(mailbox.Maildir(outbox, create=False))
    assert len(messages) == 5
    assert len({m["To"] for m in messages}) == 5
    html = next(p for p in messages[0].walk() if p.get_content_type() == "text/html")
    assert b"Desegregation History Wall</strong>" in html.get_payload(decode=True)
    text = next(p for p in messages[0].walk() if p.get_content_type() == "text/plain")
    assert TITLE in text.get_payload(decode=True).decode()


def test_beyond_grace_each_list_is_skipped_with_the_reason(
    session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    weekly = digest_list(session)
    aid = announcement(session, weekly)
    weekly_id = weekly.id
    with time_machine.travel(SEND_AT + dt.timedelta(hours=9), tick=False):
        run = run_announcement(session_factory, settings, aid)
    assert run.action == "skipped"
    [(key, status, reason)] = _campaigns(session)
    assert key == f"announcement:{aid}:list-{weekly_id}" and status == CampaignStatus.SKIPPED
    assert "9.0 h past its send time" in reason and "6 h grace" in reason
    assert session.scalar(select(AuditLog).where(AuditLog.action == "announcement.skipped"))
    assert pending_standalone(session) == []  # reconcile will not schedule it again
    session.commit()


def test_staff_markdown_follows_the_one_rule_raw_html_is_not_passed(
    session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    weekly = digest_list(session)
    aid = announcement(
        session,
        weekly,
        body_md='Heritage month talk <script>alert("x")</script> [agenda](javascript:alert(1))',
    )
    with time_machine.travel(SEND_AT + dt.timedelta(minutes=1), tick=False):
        assert run_announcement(session_factory, settings, aid).action == "sent"
    [campaign] = session.scalars(select(Campaign)).all()
    assert "Heritage month talk" in campaign.html
    # Escaped as text, as markup.render_markdown does for everything staff write.
    assert "Heritage month talk &lt;script&gt;" in campaign.html
    assert "<script" not in campaign.html
    assert 'href="javascript:' not in campaign.html
    session.commit()
