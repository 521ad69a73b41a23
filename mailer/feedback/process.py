"""Process a bounce mailbox: read, parse, record (committed), then move aside.

Nothing is lost: a message we cannot read, or in which we find no bounce,
complaint or unsubscribe (and that is not an autoreply), goes to the
mailbox's ``failed`` folder with the reason (a header
on the kept copy, an audit entry ``bounces.unreadable``, and the report).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from mailer.db import audit, session_scope
from mailer.feedback.apply import apply_feedback
from mailer.feedback.mailboxes import FeedbackMailbox, open_mailbox
from mailer.feedback.parse import is_autoreply, load, parse_message, report_type

log = logging.getLogger(__name__)


@dataclass
class ProcessReport:
    messages: int = 0
    events: int = 0
    suppressed: int = 0
    unsubscribed: int = 0
    ignored_messages: int = 0
    failed: int = 0
    unverified: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    # (mailbox key, reason) of each message kept aside in ``failed``.
    kept_aside: list[tuple[str, str]] = field(default_factory=list)

    def line(self) -> str:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.by_kind.items())) or "none"
        return (
            f"{self.messages} messages: {self.events} events ({kinds}); "
            f"suppressed {self.suppressed}, unsubscribed {self.unsubscribed}, "
            f"unverified {self.unverified} (recorded, not acted on), "
            f"ignored {self.ignored_messages} (autoreplies), "
            f"unreadable {self.failed} (kept aside)"
        )


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
            msg = load(raw)
            events = parse_message(msg, secret, source=source)
            text = raw.decode("utf-8", "replace")
            for event in events:
                event.raw = event.raw or text
        except Exception as exc:  # a message we cannot read must not stop the others
            log.exception("cannot parse bounce message %s", key)
            _keep_aside(box, factory, report, key, raw, f"cannot be read: {exc!r}"[:500])
            continue
        if not events:
            if not is_autoreply(msg):
                kind = "report" if report_type(msg) else "message"
                reason = f"no failure, complaint or unsubscribe found in this {kind}"
                _keep_aside(box, factory, report, key, raw, reason)
                continue
            report.ignored_messages += 1
        with session_scope(factory) as session:
            applied = apply_feedback(session, events, settings)
        # Only now, with the records committed, is the message moved aside.
        box.done(key)
        report.events += applied.recorded
        report.suppressed += applied.suppressed
        report.unsubscribed += applied.unsubscribed
        report.unverified += applied.unverified
        for kind, n in applied.by_kind.items():
            report.by_kind[kind] = report.by_kind.get(kind, 0) + n
        if progress is not None:
            progress(report.messages)
    return report


def _keep_aside(
    box: FeedbackMailbox,
    factory: sessionmaker[Session],
    report: ProcessReport,
    key: str,
    raw: bytes,
    reason: str,
) -> None:
    """Record why, then move the message to ``failed`` (annotated where the mailbox allows)."""
    head = raw[:8192].decode("utf-8", "replace")
    subject = next(
        (ln[8:].strip() for ln in head.splitlines() if ln.lower().startswith("subject:")), ""
    )
    with session_scope(factory) as session:
        audit(session, "bounces", "bounces.unreadable", key[:200], reason, subject=subject[:300])
    box.done(key, failed=True, reason=reason)
    report.failed += 1
    report.kept_aside.append((key, reason))


def mailbox_source(location: str) -> str:
    """What the records say the feedback came from: the URL scheme, or ``maildir``."""
    return location.split(":", 1)[0] if "://" in location else "maildir"


def process_location(
    location: str,
    factory: sessionmaker[Session],
    settings: Any,
    *,
    archive: str = "bounce-archive",
    progress: Callable[[int], None] | None = None,
) -> ProcessReport:
    """Open the mailbox at ``location``, process every message, and close it.

    The one path shared by ``mailer bounces process`` and the scheduler's
    ``bounces`` job, so both read a mailbox the same way. Raises
    :class:`~mailer.feedback.mailboxes.MailboxError` when the mailbox cannot
    be opened or read.
    """
    box = open_mailbox(location, archive=archive)
    try:
        return process_mailbox(
            box, factory, settings, source=mailbox_source(location), progress=progress
        )
    finally:
        box.close()
