"""Read one message from the bounce mailbox and say what it means.

In order of trust:
1. our VERP address in the envelope headers (``Delivered-To`` and friends):
   it names the delivery, signed, so nobody can suppress a stranger;
2. an ARF feedback report (RFC 5965): a complaint, traced to the delivery by
   the original message's VERP Return-Path, List-Unsubscribe token or
   Message-ID, because providers usually redact the complainer's address;
3. an RFC 3464 DSN's per-recipient fields (``mailer.feedback.dsn``);
4. flufl.bounce's detectors for the many non-standard bounces in the wild,
   with our small rules (``mailer.feedback.rules``) reading their words.
An unsubscribe mail (the mailto of List-Unsubscribe) carries our signed token
in its Subject. Autoreplies (out of office, vacation) count for nothing.
Parsing only says what a message claims; whether it is ours, and so may act,
is decided where events are applied (``mailer.feedback.apply``).
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
from email.message import Message
from email.utils import getaddresses
from typing import Any

from flufl.bounce import all_failures

from mailer.delivery.verp import parse_verp
from mailer.feedback.classify import classify, find_status
from mailer.feedback.dsn import dsn_events
from mailer.feedback.events import FeedbackEvent, Kind
from mailer.feedback.rules import diagnostic_for, failed_recipients, report_text
from subscribers.tokens import TokenError, TokenSigner

log = logging.getLogger(__name__)

ENVELOPE_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To")
_TOKEN_RE = re.compile(r"[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+")
_AUTOREPLY_SUBJECT = re.compile(
    r"^(out of (the )?office|automatic reply|auto(matic)?[- ]?reply|autoreply|vacation|"
    r"abwesenheit|absence|away from)",
    re.IGNORECASE,
)
_DAEMON = re.compile(r"mailer-daemon|postmaster|mail-daemon|microsoftexchange|mdaemon")
_BODY_MESSAGE_ID = re.compile(r"^Message-ID:\s*(<[^>\s]+>)", re.IGNORECASE | re.MULTILINE)
_BODY_VERP = re.compile(r"bounces\+\d+\.[A-Za-z2-7]{10}@[A-Za-z0-9.\-]+")
_UNSUB_PATH = re.compile(r"/u/([A-Za-z0-9_\-.]+)")


def load(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def _addresses(msg: Message, names: tuple[str, ...]) -> list[str]:
    values: list[str] = []
    for name in names:
        values.extend(str(v) for v in msg.get_all(name, []))
    return [addr for _, addr in getaddresses(values) if addr]


def verp_delivery(msg: Message, secret: str) -> int | None:
    for address in _addresses(msg, (*ENVELOPE_HEADERS, "Return-Path")):
        delivery_id = parse_verp(secret, address)
        if delivery_id is not None:
            return delivery_id
    return None


def is_autoreply(msg: Message) -> bool:
    """Out-of-office and vacation replies: a person's software, not a delivery failure.

    Bounces carry ``Auto-Submitted: auto-replied`` too (Postfix, Exim), so
    that header counts only when the sender is not a mail system.
    """
    if msg.get("X-Autoreply") or msg.get("X-Autorespond"):
        return True
    if str(msg.get("Precedence", "")).strip().lower() == "auto_reply":
        return True
    if _AUTOREPLY_SUBJECT.match(str(msg.get("Subject", "")).strip()):
        return True
    auto = str(msg.get("Auto-Submitted", "")).strip().lower()
    sender = " ".join(_addresses(msg, ("From",))).lower()
    return auto.startswith("auto-replied") and not _DAEMON.search(sender)


def report_type(msg: Message) -> str:
    if msg.get_content_type() != "multipart/report":
        return ""
    return str(msg.get_param("report-type", "") or "").lower()


def _original(msg: Message) -> Message | None:
    """The returned original message (or just its headers) inside a report."""
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "message/rfc822-headers", "text/rfc822-headers"):
            payload: Any = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
            if isinstance(payload, str):
                return email.message_from_string(payload, policy=email.policy.compat32)
    return None


def _trace_original(
    original: Message | None, secret: str, signer: TokenSigner
) -> tuple[int | None, str, int | None, int | None]:
    """(delivery id, Message-ID, subscriber id, list id) from our own headers in the original."""
    if original is None:
        return None, "", None, None
    delivery_id = verp_delivery(original, secret)
    message_id = str(original.get("Message-ID", "")).strip()
    subscriber_id = list_id = None
    for match in _UNSUB_PATH.finditer(str(original.get("List-Unsubscribe", ""))):
        try:
            data = signer.read("unsubscribe", match.group(1))
        except TokenError:
            continue
        subscriber_id, list_id = data.subscriber_id, data.list_id
        break
    return delivery_id, message_id, subscriber_id, list_id


def _arf_events(msg: Message) -> list[FeedbackEvent]:
    for part in msg.walk():
        if part.get_content_type() != "message/feedback-report":
            continue
        payload: Any = part.get_payload()
        report: Any = payload[0] if isinstance(payload, list) and payload else None
        if report is None and isinstance(payload, str):
            report = email.message_from_string(payload.lstrip(), policy=email.policy.compat32)
        feedback_type = str(report.get("Feedback-Type", "abuse")).strip() if report else "abuse"
        recipient = str(report.get("Original-Rcpt-To", "")).strip() if report else ""
        if "redacted" in recipient.lower() or "@" not in recipient:
            recipient = ""
        return [
            FeedbackEvent(
                Kind.COMPLAINT,
                recipient.strip("<>"),
                diagnostic=f"feedback-type: {feedback_type}",
                extra={"user_agent": str(report.get("User-Agent", "")) if report else ""},
            )
        ]
    return []


def _flufl_events(msg: Message) -> list[FeedbackEvent]:
    """Non-standard bounces: flufl.bounce finds the addresses, our rules read the words."""
    try:
        found = all_failures(msg)
        temporary: set[Any] = set(found[0])
        permanent: set[Any] = set(found[1])
    except Exception:  # a detector tripping on a strange message (no From:) must not lose it
        log.warning(
            "flufl.bounce failed on a message; reading it with our own rules", exc_info=True
        )
        temporary, permanent = set(), set()
    text = report_text(msg)
    if not temporary and not permanent:
        # Our own small rules, where none of flufl.bounce's detectors answers.
        for address in failed_recipients(text):
            _diagnostic, code = diagnostic_for(text, address)
            (temporary if code.startswith("4") else permanent).add(address)
    events = []
    for raw, permanent_flag in [(a, False) for a in temporary] + [(a, True) for a in permanent]:
        address = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        diagnostic, code = diagnostic_for(text, address)
        kind = classify(code, diagnostic, permanent=permanent_flag)
        if not permanent_flag and kind == Kind.HARD:
            kind = Kind.SOFT  # a warning: delivery is still being tried
        events.append(FeedbackEvent(kind, address, status_code=code, diagnostic=diagnostic[:1000]))
    return events


def _text(msg: Message) -> str:
    chunks = []
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                chunks.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    return "\n".join(chunks)


def unsubscribe_token(msg: Message, signer: TokenSigner) -> tuple[int, int] | None:
    """(subscriber id, list id) from a mail to the List-Unsubscribe mailto, if it is one."""
    for candidate in _TOKEN_RE.findall(str(msg.get("Subject", ""))):
        try:
            data = signer.read("unsubscribe", candidate)
        except TokenError:
            continue
        if data.list_id is not None:
            return data.subscriber_id, data.list_id
    return None


def parse_message(msg: Message, secret: str, *, source: str = "mailbox") -> list[FeedbackEvent]:
    """Every feedback event in one message from the bounce or unsubscribe mailbox."""
    signer = TokenSigner(secret)
    kind_of_report = report_type(msg)
    original = _original(msg)
    delivery_id, message_id, subscriber_id, list_id = _trace_original(original, secret, signer)
    if kind_of_report == "feedback-report":
        events = _arf_events(msg)
    else:
        unsub = unsubscribe_token(msg, signer)
        if unsub is not None:
            return [
                FeedbackEvent(
                    Kind.UNSUBSCRIBE,
                    subscriber_id=unsub[0],
                    list_id=unsub[1],
                    diagnostic="mailto unsubscribe",
                    source=f"{source}:mailto",
                )
            ]
        if is_autoreply(msg) and kind_of_report != "delivery-status":
            return []
        events = dsn_events(msg)
        if not events:
            events = _flufl_events(msg)
    envelope = verp_delivery(msg, secret)
    if original is None and events:
        # Exim, Yahoo and others quote the original as text: look for our traces there.
        body = _text(msg)
        found = _BODY_MESSAGE_ID.search(body)
        message_id = message_id or (found.group(1) if found else "")
        for candidate in _BODY_VERP.findall(body):
            delivery_id = delivery_id or parse_verp(secret, candidate)
    for event in events:
        event.source = source
        event.delivery_id = envelope or delivery_id
        event.message_id = message_id
        if event.kind == Kind.COMPLAINT:
            event.subscriber_id, event.list_id = subscriber_id, list_id
    if envelope is not None and not events and not is_autoreply(msg):
        # Ours, but unreadable: the VERP address alone says a delivery failed.
        diagnostic = " ".join(report_text(msg).split())[:500]
        events = [
            FeedbackEvent(
                classify(find_status(diagnostic), diagnostic),
                delivery_id=envelope,
                status_code=find_status(diagnostic),
                diagnostic=diagnostic,
                source=source,
                message_id=message_id,
            )
        ]
    return events
