"""RFC 3464 delivery status notifications: one event per failed or delayed recipient.

Read as MTAs write them, not as the RFC hopes: the blank line between field
blocks may hold spaces (the email parser then folds the next block into the
previous one, and the notification looked empty), the per-message block may
be missing, ``Status`` may carry a comment (``4.4.1 (Persistent transient
failure)``), and ``Diagnostic-Code`` is an SMTP reply behind a type
(``smtp; 550 5.1.1 ...``). Success (``Action: delivered``, class 2) is not
a failure. Both recipient fields are kept: ``Original-Recipient`` is the
address we sent to, so it comes first, and the one that maps to a
subscriber is chosen where the event is applied.
"""

from __future__ import annotations

import email.parser
import email.policy
import re
from email.message import Message
from typing import Any

from mailer.feedback.classify import classify
from mailer.feedback.events import FeedbackEvent, Kind
from mailer.feedback.rules import find_status

_SEPARATOR = re.compile(r"\n[ \t]*\n")
_STATUS = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_NOT_FAILURES = ("delivered", "relayed", "expanded")


def _blocks(part: Message) -> list[Message]:
    """The field blocks of a message/delivery-status part, split on whitespace-only lines."""
    payload: Any = part.get_payload()
    if isinstance(payload, list):
        text = "\n\n".join(b.as_string() for b in payload if isinstance(b, Message))
    else:
        text = str(payload or "")
    text = text.replace("\r\n", "\n")
    parser = email.parser.HeaderParser(policy=email.policy.compat32)
    return [parser.parsestr(chunk.strip("\n") + "\n") for chunk in _SEPARATOR.split(text)]


def status_field(value: str) -> str:
    """``4.4.1 (Persistent transient failure)`` -> ``4.4.1``; anything else -> ``""``."""
    match = _STATUS.match(value or "")
    return f"{match[1]}.{int(match[2])}.{int(match[3])}" if match else ""


def _address(value: str) -> str:
    """``rfc822; <ana@example.org>`` -> ``ana@example.org``."""
    return value.split(";", 1)[-1].strip().strip("<>").strip()


def _field(block: Message, name: str) -> str:
    return " ".join(str(block.get(name, "") or "").split())


def recipient_event(block: Message) -> FeedbackEvent | None:
    """The event one per-recipient block reports, or None (success, or not a recipient block)."""
    final = _address(_field(block, "Final-Recipient"))
    original = _address(_field(block, "Original-Recipient"))
    if not (final or original):
        return None
    action = _field(block, "Action").lower()
    if action in _NOT_FAILURES:
        return None  # success; anything else ("failed", "delayed", "failure" ...) is not
    raw_diagnostic = _field(block, "Diagnostic-Code")
    diagnostic = (
        raw_diagnostic.split(";", 1)[-1].strip() if ";" in raw_diagnostic else raw_diagnostic
    )
    raw_status = _field(block, "Status")
    status = status_field(raw_status)
    if not status:
        # "Status: 553 Exceeded maximum inbound message size": a reply where a code belongs.
        diagnostic = diagnostic or raw_status
        status = find_status(diagnostic)
    if status.startswith("2"):
        return None  # success
    kind = classify(status, diagnostic, permanent=action != "delayed")
    if action == "delayed" and kind == Kind.HARD:
        kind = Kind.SOFT
    address = original or final
    also = tuple(a for a in (final,) if a and a.lower() != address.lower())
    return FeedbackEvent(kind, address, status_code=status, diagnostic=diagnostic[:1000], also=also)


def dsn_events(msg: Message) -> list[FeedbackEvent]:
    """One event per recipient and outcome (some MTAs repeat a block per expansion)."""
    events: dict[tuple[str, str, str], FeedbackEvent] = {}
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in _blocks(part):
            event = recipient_event(block)
            if event is not None:
                events.setdefault((event.address.lower(), event.kind, event.status_code), event)
    return list(events.values())
