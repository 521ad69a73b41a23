"""Which failures are the reader's fault and which are ours (RFC 3463 enhanced status codes).

5.1.1/5.1.2/5.1.3/5.1.10/5.2.1 mean the address is gone: suppress it now.
4.x.x and 5.2.2 (mailbox full) may pass: count them. 5.7.x and 4.7.x are
policy blocks (authentication, reputation, content): the sender must fix
something, and suppressing the reader would punish the wrong person.
Where a server gives no enhanced code, its words decide, conservatively.
"""

from __future__ import annotations

import re

from mailer.feedback.events import Kind

HARD_CODES = frozenset({"5.1.1", "5.1.2", "5.1.3", "5.1.10", "5.2.1"})
STATUS_RE = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
SMTP_RE = re.compile(r"(?<!\d)([45]\d\d)(?:[ -]|$)")
_POLICY_WORDS = re.compile(
    r"spam|blocked|block ?list|blacklist|reputation|dmarc|spf|dkim|policy|"
    r"not authorized|rate limit|too many|unauthenticated",
    re.IGNORECASE,
)
_GONE_WORDS = re.compile(
    r"user unknown|unknown user|no such user|does not exist|doesn't exist|"
    r"recipient not found|mailbox unavailable|address rejected|invalid recipient|"
    r"account (?:has been )?disabled|no mailbox|unrouteable address|"
    r"recipient address rejected|mailbox not found",
    re.IGNORECASE,
)


def find_status(text: str) -> str:
    """The first RFC 3463 code (``5.1.1``) in a text, or ``""``."""
    match = STATUS_RE.search(text or "")
    return ".".join(match.groups()) if match else ""


def classify(status: str, diagnostic: str = "", *, permanent: bool | None = None) -> Kind:
    """Hard, soft or policy, from the enhanced status code and the server's words.

    ``permanent`` is what a detector without codes (flufl.bounce) concluded.
    """
    status = (status or find_status(diagnostic)).strip()
    if status:
        klass, subject, _detail = status.split(".", 2)
        if subject == "7":
            return Kind.POLICY
        if klass == "5" and status in HARD_CODES:
            return Kind.HARD
        if klass == "4" or status == "5.2.2":
            return Kind.SOFT
        # Other permanent codes (5.0.0, 5.4.x, 5.5.x ...) often hide "user unknown".
        if _POLICY_WORDS.search(diagnostic):
            return Kind.POLICY
        return Kind.HARD if _GONE_WORDS.search(diagnostic) else Kind.SOFT
    if _POLICY_WORDS.search(diagnostic or ""):
        return Kind.POLICY
    smtp = SMTP_RE.search(diagnostic or "")
    if smtp and smtp.group(1).startswith("4"):
        return Kind.SOFT
    if _GONE_WORDS.search(diagnostic or "") or (permanent and not smtp):
        return Kind.HARD
    if smtp and smtp.group(1) in {"550", "551", "553"}:
        return Kind.HARD
    return Kind.HARD if permanent else Kind.SOFT
