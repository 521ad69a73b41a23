"""Process a bounce mailbox: read, parse, record (committed), then move aside."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from mailer.db import session_scope
from mailer.feedback.apply import apply_feedback
from mailer.feedback.mailboxes import FeedbackMailbox
from mailer.feedback.parse import load, parse_message

log = logging.getLogger(__name__)


@dataclass
class ProcessReport:
    messages: int = 0
    events: int = 0
    suppressed: int = 0
    unsubscribed: int = 0
    ignored_messages: int = 0
    failed: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def process_mailbox(
    box: FeedbackMailbox,
    factory: sessionmaker[Session],
    settings: Any,
    *,
    source: str = "mailbox",
    progress: Callable[[int], None] | None = None,
) -> ProcessReport:
    """One message at a time: a crash loses nothing and repeats at most one message."""
    report = ProcessReport()
    secret = settings.signing_key
    for key, raw in box.messages():
        report.messages += 1
        try:
            events = parse_message(load(raw), secret, source=source)
        except Exception:  # a message we cannot read must not stop the others
            log.exception("cannot parse bounce message %s", key)
            box.done(key, failed=True)
            report.failed += 1
            continue
        if not events:
            report.ignored_messages += 1
        with session_scope(factory) as session:
            applied = apply_feedback(session, events, settings)
        # Only now, with the records committed, is the message moved aside.
        box.done(key)
        report.events += applied.recorded
        report.suppressed += applied.suppressed
        report.unsubscribed += applied.unsubscribed
        for kind, n in applied.by_kind.items():
            report.by_kind[kind] = report.by_kind.get(kind, 0) + n
        if progress is not None:
            progress(report.messages)
    return report
