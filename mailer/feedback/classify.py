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
from mailer.feedback.rules import find_status, smtp_code

__all__ = ["HARD_CODES", "classify", "find_status"]

HARD_CODES = frozenset({"5.1.1", "5.1.2", "5.1.3", "5.1.10", "5.2.1"})
_POLICY_WORDS = re.compile(
    r"spam|blocked|block ?list|blacklist|reputation|dmarc|spf|dkim|policy|"
    r"not authorized|rate limit|too many|unauthenticated|\btls\b|starttls",
    re.IGNORECASE,
)
_GONE_WORDS = re.compile(
    r"user unknown|unknown user|no such (?:user|mailbox|recipient|account|address)|"
    r"does not exist|doesn't exist|recipient not found|mailbox unavailable|address rejected|"
    r"invalid recipient|account (?:has been )?(?:disabled|discontinued)|no mailbox|"
    r"unrouteable address|recipient address rejected|mailbox not found|addressee unknown|"
    r"unknown (?:or illegal )?(?:user|recipient|address)|user not (?:known|found)|"
    r"doesn't have an? [\w.\-]+ account|invalid (?:final delivery )?userid|"
    r"recipient name is not recognized|not a valid (?:user|mailbox|recipient)",
    re.IGNORECASE,
)
# A full mailbox passes; the reader still exists (5.2.2, or words where no code is given).
_FULL_WORDS = re.compile(
    r"quota|mailbox (?:is )?full|mailbox size limit|insufficient (?:disk )?(?:space|storage)|"
    r"exceed(?:s|ed|ing)? (?:the )?(?:maximum|storage|size)",
    re.IGNORECASE,
)


def classify(status: str, diagnostic: str = "", *, permanent: bool | None = None) -> Kind:
    """Hard, soft or policy, from the enhanced status code and the server's words.

    ``permanent`` is what a detector without codes (flufl.bounce) concluded.
    A class 2 code (success) is no evidence of failure and is ignored.
    """
    status = (status or find_status(diagnostic)).strip()
    if status.startswith("2"):
        status = ""
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
    if _FULL_WORDS.search(diagnostic or "") and not _GONE_WORDS.search(diagnostic or ""):
        return Kind.SOFT
    smtp = smtp_code(diagnostic or "")
    if smtp.startswith("4"):
        return Kind.SOFT
    if _GONE_WORDS.search(diagnostic or "") or (permanent and not smtp):
        return Kind.HARD
    if smtp in {"550", "551", "553"}:
        return Kind.HARD
    # A permanent reply whose code and words name no missing user: count it, do not suppress.
    return Kind.SOFT
