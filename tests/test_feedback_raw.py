"""The report behind each bounce or complaint is kept on its record, for admins to read."""

from __future__ import annotations

import json
import mailbox
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from test_feedback_webhooks import HOOKS, POSTMARK_BOUNCE, _basic

from mailer.config import Settings
from mailer.feedback.apply import apply_feedback
from mailer.feedback.events import RAW_LIMIT, FeedbackEvent, Kind
from mailer.feedback.mailboxes import open_mailbox
from mailer.feedback.process import process_mailbox
from mailer.feedback.webhooks import parse_postmark_webhook
from subscribers.models import BounceRecord

DATA = Path(__file__).parent / "data" / "bounces"


def test_a_mailbox_bounce_keeps_the_message_it_came_in(
    session_factory: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    message = (DATA / "postfix_user_unknown.eml").read_bytes()
    mailbox.Maildir(tmp_path / "b", create=True).add(message)
    process_mailbox(open_mailbox(str(tmp_path / "b")), session_factory, settings)
    with session_factory() as s:
        (record,) = s.scalars(select(BounceRecord))
    assert record.address == "priya.patel@wustl.example"
    assert "Diagnostic-Code: smtp; 550 5.1.1" in record.raw
    assert (
        record.raw.replace("\r\n", "\n").strip() == message.decode().replace("\r\n", "\n").strip()
    )


def test_a_webhook_event_keeps_the_providers_json(session: Session, settings: Settings) -> None:
    body = json.dumps(POSTMARK_BOUNCE).encode()
    events = parse_postmark_webhook(_basic("postmark", "s3cret-hook-pass"), body, HOOKS)
    apply_feedback(session, events, settings)
    session.commit()
    (record,) = session.scalars(select(BounceRecord))
    assert json.loads(record.raw) == POSTMARK_BOUNCE


def test_a_huge_report_is_cut_to_the_limit(session: Session, settings: Settings) -> None:
    event = FeedbackEvent(Kind.COMPLAINT, "kofi.mensah@example.net", raw="x" * (RAW_LIMIT + 10))
    apply_feedback(session, [event], settings)
    session.commit()
    assert len(session.scalars(select(BounceRecord.raw)).one()) == RAW_LIMIT
