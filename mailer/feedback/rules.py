"""Reading a bounce's words: small rules in a table, each with one job.

Status codes come only from places built to carry them: DSN fields (read in
``mailer.feedback.dsn``) and SMTP reply lines quoted in the text. A number
elsewhere is not a status: ``Mailman 2.0.12`` in a quoted subject or
``X-Mailer: Mailman v2.0.13`` in the returned original were once taken for
codes. Class 2 is success, never a failure. The diagnostic is the reply line
that carries the code (``553 5.3.0 <user@...>... No such user here``), not
the first line that happens to name the address.

Each rule in ``REPLY_RULES`` reads one line and answers a ``Reply`` or None;
``MARKER_RULES`` say where a bounce's own words end and the returned
original begins. To teach the reader a new MTA, add a rule to a table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message

#: How many lines after the one naming an address its reply line may come.
REPLY_WINDOW = 8


@dataclass(frozen=True)
class Reply:
    """An SMTP reply seen in a bounce: ``550``, ``5.1.1`` (or ``""``), and the line's text."""

    code: str
    status: str
    line: str


def _enhanced(klass: str, subject: str, detail: str) -> str:
    return f"{klass}.{int(subject)}.{int(detail)}"


# A reply code where a reply begins: the start of a line (after transcript marks such as
# <<< or a dash), or after "said:", "response:", "reason:", "smtp;", Exim's "[ip]:" ...
_REPLY_AT = re.compile(
    r"(?:^[\s<>*#\-]*|(?:said|response|reason|reply|error|smtp|diagnostic|returned was)\s*[:;]\s*"
    r"|\]:\s*|#|<<<\s*|>>>\s*)"
    r"(?P<code>4[2-5]\d|5[0-5]\d)(?:[ \-]|$)\s*(?:(?P=code) )?"
    r"(?:#?(?P<k>[45])\.(?P<s>\d{1,3})\.(?P<d>\d{1,3})(?![\d.]))?",
    re.IGNORECASE,
)
# qmail and vpopmail write the enhanced code alone, as "(#5.1.1)".
_QMAIL = re.compile(r"\(#(?P<k>[45])\.(?P<s>\d{1,3})\.(?P<d>\d{1,3})\)")
# A bare enhanced code that opens a line or follows "smtp;" (Exchange, Gmail: "5.1.1 The ...").
_BARE = re.compile(
    r"(?:^\s*|smtp\s*;\s*)(?P<k>[45])\.(?P<s>\d{1,3})\.(?P<d>\d{1,3})(?=\s|$)", re.IGNORECASE
)


def smtp_reply_line(line: str) -> Reply | None:
    """``550 5.1.1 <a@b>... User unknown``; the enhanced code counts only in its class."""
    match = _REPLY_AT.search(line)
    if match is None:
        return None
    status = ""
    if match["k"] and match["k"] == match["code"][0]:
        status = _enhanced(match["k"], match["s"], match["d"])
    return Reply(match["code"], status, line.strip())


def qmail_hash_code(line: str) -> Reply | None:
    """``Sorry, no mailbox here by that name. (#5.1.1)``."""
    match = _QMAIL.search(line)
    if match is None:
        return None
    return Reply("", _enhanced(match["k"], match["s"], match["d"]), line.strip())


def bare_enhanced_code(line: str) -> Reply | None:
    """``5.1.1 The email account that you tried to reach does not exist``."""
    match = _BARE.search(line)
    if match is None:
        return None
    return Reply("", _enhanced(match["k"], match["s"], match["d"]), line.strip())


#: Tried in order on each line; the first answer wins. Class 2 can never match.
REPLY_RULES: tuple[Callable[[str], Reply | None], ...] = (
    smtp_reply_line,
    qmail_hash_code,
    bare_enhanced_code,
)


def reply_in(line: str) -> Reply | None:
    for rule in REPLY_RULES:
        found = rule(line)
        if found is not None:
            return found
    return None


def find_status(text: str) -> str:
    """The first enhanced status code (``5.1.1``) in an SMTP reply in ``text``, or ``""``."""
    for line in (text or "").splitlines():
        found = reply_in(line)
        if found is not None and found.status:
            return found.status
    return ""


def smtp_code(text: str) -> str:
    """The first SMTP reply code (``550``) in ``text``, or ``""``."""
    for line in (text or "").splitlines():
        found = smtp_reply_line(line)
        if found is not None:
            return found.code
    return ""


# -- where the bounce's own words end ----------------------------------------------------

_COPY_FOLLOWS = re.compile(
    r"^\W*(?:below this line is a copy of the message|this is a copy of the (?:original )?message|"
    r"a copy of the original message below this line|start of returned message)",
    re.IGNORECASE,
)
_PART_FOLLOWS = re.compile(
    r"^\W*(?:original message|message text|message headers?|returned message|"
    r"undelivered message)(?: headers?)? (?:follows?|below)\W*$",
    re.IGNORECASE,
)
_BANNER = re.compile(r"^\s*[-=*_|]{2,}\s*original message\s*[-=*_|]{2,}\s*$", re.IGNORECASE)


def copy_follows(line: str) -> bool:
    """qmail: ``--- Below this line is a copy of the message.``; Exim: ``This is a copy ...``."""
    return bool(_COPY_FOLLOWS.match(line))


def part_follows(line: str) -> bool:
    """Sendmail: ``----- Message header follows -----``; ``Original message follows.``."""
    return bool(_PART_FOLLOWS.match(line))


def original_banner(line: str) -> bool:
    """``----- Original message -----`` (Gmail, webmail)."""
    return bool(_BANNER.match(line))


MARKER_RULES: tuple[Callable[[str], bool], ...] = (copy_follows, part_follows, original_banner)


def report_text(msg: Message) -> str:
    """The bounce's own words: its text parts, not the returned original, cut at the marker."""
    chunks: list[str] = []
    _collect(msg, chunks)
    lines: list[str] = []
    for line in "\n".join(chunks).splitlines():
        if any(rule(line) for rule in MARKER_RULES):
            break
        lines.append(line)
    return "\n".join(lines)


def _collect(part: Message, chunks: list[str]) -> None:
    if part.get_content_maintype() == "message" or part.get_content_type() in (
        "text/rfc822-headers",
        "text/rfc822",
    ):
        return  # the returned original (or its headers): not the bounce's words
    if part.is_multipart():
        for sub in part.get_payload():
            if isinstance(sub, Message):
                _collect(sub, chunks)
        return
    if part.get_content_maintype() == "text":
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            text = payload.decode(part.get_content_charset() or "utf-8", "replace")
            if part.get_content_subtype() == "html":
                text = re.sub(r"<br\s*/?>|</p>|</div>", "\n", text, flags=re.IGNORECASE)
                text = re.sub(r"<[^>]+>", " ", text).replace("&nbsp;", " ")
            chunks.append(text)


# -- who failed, where flufl.bounce's detectors give no answer -------------------------

_ANGLE_ADDRESS_LINE = re.compile(r"^<([^<>\s@]+@[^<>\s@]+)>:\s*$")


def qmail_recipient(line: str) -> str:
    """qmail and Yahoo's "Failure Notice": a line holding only ``<user@host>:``."""
    match = _ANGLE_ADDRESS_LINE.match(line.strip())
    return match[1] if match else ""


#: Each reads one line of the bounce's own words and answers a failed address or "".
RECIPIENT_RULES: tuple[Callable[[str], str], ...] = (qmail_recipient,)


def failed_recipients(text: str) -> list[str]:
    found: list[str] = []
    for line in text.splitlines():
        for rule in RECIPIENT_RULES:
            address = rule(line)
            if address and address not in found:
                found.append(address)
    return found


def diagnostic_for(text: str, address: str) -> tuple[str, str]:
    """(diagnostic, status) for one address: the reply line after the line that names it.

    Without such a line, the first reply line of the report (one recipient
    bounces are the rule); without any, the lines around the address.
    """
    lines = text.splitlines()
    wanted = address.lower()
    at = next((i for i, ln in enumerate(lines) if wanted in ln.lower()), None)
    if at is not None:
        for line in lines[at : at + REPLY_WINDOW + 1]:
            found = reply_in(line)
            if found is not None:
                return _with_continuation(lines, found), found.status
    for line in lines:
        found = reply_in(line)
        if found is not None:
            return _with_continuation(lines, found), found.status
    if at is None:
        return "", ""
    window = " ".join(x.strip() for x in lines[at : at + 4] if x.strip())
    return window, ""


def _with_continuation(lines: list[str], found: Reply) -> str:
    """The reply line and the indented lines that continue it (``(in reply to RCPT TO)``)."""
    index = next(i for i, ln in enumerate(lines) if ln.strip() == found.line)
    parts = [found.line]
    for line in lines[index + 1 : index + 4]:
        if not line.strip() or not line[:1].isspace():
            break
        parts.append(line.strip())
    return " ".join(parts)
