"""What an SMTP reply means for one delivery: sent, try later, give up, or suppress.

One small table, used by the SMTP backend for RCPT and DATA replies, so the
rule "5.1.x means the address does not exist" lives in one place. The
enhanced status code (RFC 3463) decides when the server gives one; the basic
reply code decides otherwise.
"""

from __future__ import annotations

import re

from mailer.delivery.backends.base import Outcome

# RFC 3463 "class.subject.detail" at the start of the reply text.
_ENHANCED_RE = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})\b")

# 5.1.x says the recipient's address is bad (no such mailbox, no such domain,
# bad syntax, null MX), except 5.1.7 and 5.1.8, which are about OUR sender
# address: suppressing the recipient for those would punish the wrong party.
# 5.2.1 (mailbox disabled) is as final as a missing mailbox.
_SENDER_SIDE = {"5.1.7", "5.1.8"}
_EXTRA_HARD = {"5.2.1"}


def enhanced_status(text: str) -> str | None:
    """The RFC 3463 status at the start of a reply text ("5.1.1"), or None."""
    match = _ENHANCED_RE.match(text)
    return ".".join(match.groups()) if match else None


def classify_reply(code: int, text: str) -> Outcome:
    """Map one SMTP reply (code and text) to the outcome of that delivery."""
    if 200 <= code < 300:
        return Outcome.SENT
    status = enhanced_status(text)
    if 400 <= code < 500 or code < 200:
        return Outcome.TRANSIENT
    if status and status.startswith("4."):
        # A 5xx reply with a 4.x.x status contradicts itself; trust the softer one.
        return Outcome.TRANSIENT
    if status and (
        (status.startswith("5.1.") and status not in _SENDER_SIDE) or status in _EXTRA_HARD
    ):
        return Outcome.HARD_BOUNCE
    return Outcome.PERMANENT


def reply_text(code: int, message: bytes | str) -> str:
    """A server reply as one readable line for the delivery's log ("550 5.1.1 No such user")."""
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(text.split())}".strip()
