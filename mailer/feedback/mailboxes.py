"""Bounce mailboxes: a local Maildir, or IMAP/POP3 given by URL.

``open_mailbox("imaps://user:pass@host/INBOX")`` (also ``imap://``,
``pop3://``, ``pop3s://``, ``maildir:/path`` or a plain path) gives an object
that lists messages and, once the caller has *committed* what it learnt,
moves each one aside with ``done(key)``: to the ``processed`` sub-folder of a
Maildir, to the ``Processed`` IMAP folder (copy, then delete), or, for POP3,
which has no folders, into a local archive Maildir before it is deleted on the
server. Nothing is deleted before it is recorded; a crash in between means a
message is read twice, never lost.
"""

from __future__ import annotations

import contextlib
import imaplib
import mailbox
import poplib
import re
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit


class MailboxError(RuntimeError):
    """The mailbox cannot be opened or read; the message says which and why."""


class FeedbackMailbox(Protocol):
    def messages(self) -> Iterator[tuple[str, bytes]]: ...
    def done(self, key: str, *, failed: bool = False, reason: str = "") -> None: ...
    def close(self) -> None: ...


class MaildirBox:
    def __init__(self, path: str) -> None:
        if not Path(path, "cur").is_dir() and not Path(path, "new").is_dir():
            raise MailboxError(f"{path} is not a Maildir (no cur/ or new/ folder)")
        self.box = mailbox.Maildir(path, factory=None, create=False)

    def _folder(self, name: str) -> mailbox.Maildir:
        if name in self.box.list_folders():
            return self.box.get_folder(name)
        return self.box.add_folder(name)

    def messages(self) -> Iterator[tuple[str, bytes]]:
        for key in sorted(self.box.keys()):
            yield key, self.box.get_bytes(key)

    def done(self, key: str, *, failed: bool = False, reason: str = "") -> None:
        folder = self._folder("failed" if failed else "processed")
        # Written (and fsynced by rename) first ...
        folder.add(
            annotated(self.box.get_bytes(key), reason) if reason else self.box.get_message(key)
        )
        self.box.remove(key)  # ... then taken out of the inbox

    def close(self) -> None:
        self.box.close()


class ImapBox:
    def __init__(self, url: str, *, processed_folder: str = "Processed") -> None:
        parts = urlsplit(url)
        secure = parts.scheme == "imaps"
        port = parts.port or (993 if secure else 143)
        host = parts.hostname or "localhost"
        self.folder = unquote(parts.path.lstrip("/")) or "INBOX"
        self.processed = processed_folder
        try:
            if secure:
                # imaplib's default TLS context checks no certificate: ask for the real check.
                self.conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    host, port, ssl_context=ssl.create_default_context(), timeout=60
                )
            else:
                self.conn = imaplib.IMAP4(host, port, timeout=60)
            self.conn.login(unquote(parts.username or ""), unquote(parts.password or ""))
            typ, data = self.conn.select(_quote(self.folder))
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailboxError(f"IMAP {parts.hostname}:{port}: {exc}") from None
        if typ != "OK":
            raise MailboxError(f"IMAP folder {self.folder!r}: {data!r}")
        self.conn.create(_quote(processed_folder))  # NO if it exists: fine
        self.conn.create(_quote("Failed"))
        self._expunge = False

    def messages(self) -> Iterator[tuple[str, bytes]]:
        typ, data = self.conn.uid("SEARCH", "ALL")
        if typ != "OK":
            raise MailboxError(f"IMAP SEARCH failed: {data!r}")
        for uid in (data[0] or b"").split():
            typ, fetched = self.conn.uid("FETCH", uid.decode(), "(RFC822)")
            if typ != "OK":
                continue
            for item in fetched:
                if isinstance(item, tuple):
                    yield uid.decode(), item[1]
                    break

    def done(self, key: str, *, failed: bool = False, reason: str = "") -> None:
        # IMAP copies the message unchanged; the reason is in the audit log (bounces.unreadable).
        target = "Failed" if failed else self.processed
        typ, data = self.conn.uid("COPY", key, _quote(target))
        if typ != "OK":
            raise MailboxError(f"IMAP COPY of {key} to {target!r} failed: {data!r}")
        self.conn.uid("STORE", key, "+FLAGS", "(\\Deleted)")
        self._expunge = True

    def close(self) -> None:
        try:
            if self._expunge:
                self.conn.expunge()
            self.conn.logout()
        except (OSError, imaplib.IMAP4.error):
            pass


class Pop3Box:
    def __init__(self, url: str, *, archive: str) -> None:
        parts = urlsplit(url)
        secure = parts.scheme == "pop3s"
        port = parts.port or (995 if secure else 110)
        try:
            if secure:
                # poplib's default TLS context checks no certificate: ask for the real check.
                self.conn: poplib.POP3 = poplib.POP3_SSL(
                    parts.hostname or "", port, timeout=60, context=ssl.create_default_context()
                )
            else:
                self.conn = poplib.POP3(parts.hostname or "", port, timeout=60)
            self.conn.user(unquote(parts.username or ""))
            self.conn.pass_(unquote(parts.password or ""))
        except (OSError, poplib.error_proto) as exc:
            raise MailboxError(f"POP3 {parts.hostname}:{port}: {exc}") from None
        for sub in ("cur", "new", "tmp"):
            Path(archive, sub).mkdir(parents=True, exist_ok=True)
        self.archive = MaildirBox(archive)
        self._raw: dict[str, bytes] = {}

    def messages(self) -> Iterator[tuple[str, bytes]]:
        _resp, listing, _octets = self.conn.list()
        for line in listing:
            number = line.split()[0].decode()
            _resp, lines, _octets = self.conn.retr(int(number))
            raw = b"\r\n".join(lines) + b"\r\n"
            self._raw[number] = raw
            yield number, raw

    def done(self, key: str, *, failed: bool = False, reason: str = "") -> None:
        folder = self.archive._folder("failed" if failed else "processed")
        raw = self._raw.pop(key)
        folder.add(annotated(raw, reason) if reason else raw)
        self.conn.dele(int(key))  # takes effect at QUIT, after the archive copy exists

    def close(self) -> None:
        with contextlib.suppress(OSError, poplib.error_proto):
            self.conn.quit()


#: The header that says why a message was kept aside (on the copy in ``failed``).
REASON_HEADER = "X-Mailer-Unreadable"


def annotated(raw: bytes, reason: str) -> bytes:
    """The message with a first header line saying why it was kept aside (one line, ASCII)."""
    line = " ".join(reason.split()).encode("ascii", "replace")[:900]
    eol = b"\r\n" if b"\r\n" in raw[:4096] else b"\n"
    return REASON_HEADER.encode() + b": " + line + eol + raw


def _quote(name: str) -> str:
    return (
        name if re.fullmatch(r"[A-Za-z0-9_.\-/]+", name) else '"' + name.replace('"', '\\"') + '"'
    )


def open_mailbox(location: str, *, archive: str = "bounce-archive") -> FeedbackMailbox:
    """The mailbox at a URL (imap, imaps, pop3, pop3s, maildir:) or a Maildir path."""
    scheme = urlsplit(location).scheme
    if scheme in ("imap", "imaps"):
        return ImapBox(location)
    if scheme in ("pop3", "pop3s"):
        return Pop3Box(location, archive=archive)
    if scheme == "maildir":
        return MaildirBox(location.split(":", 1)[1])
    if scheme and len(scheme) > 1:
        # Name the scheme only: the URL may carry a password, and this lands in logs.
        raise MailboxError(
            f"unknown mailbox scheme {scheme!r}: use a Maildir path or imap(s)://, pop3(s):// URL"
        )
    return MaildirBox(location)
