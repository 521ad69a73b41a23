"""The embedded default: every message becomes a file in a Maildir folder.

Maildir writes to ``tmp/`` and renames into ``new/``, so a crash never leaves
half a message where a reader would see it, and any mail client (mutt -f,
Thunderbird, Python's ``mailbox``) can open the outbox.
"""

from __future__ import annotations

import mailbox
from collections.abc import Sequence
from pathlib import Path

from mailer.config import Settings
from mailer.delivery.backends.base import Outcome, OutgoingMessage, SendResult


class MaildirBackend:
    max_batch = 1000

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._box: mailbox.Maildir | None = None

    def open(self) -> None:
        self._box = mailbox.Maildir(self.path, create=True)

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        if self._box is None:
            self.open()
        assert self._box is not None
        results = []
        for message in messages:
            # Maildir files use the platform's line endings; mail readers expect LF here.
            self._box.add(message.raw.replace(b"\r\n", b"\n"))
            results.append(SendResult(message.delivery_id, Outcome.SENT))
        return results

    def close(self) -> None:
        self._box = None


def from_url(url: str, settings: Settings) -> MaildirBackend:
    path = url.split(":", 1)[1]
    if path.startswith("//"):
        path = path[2:]
    if not path:
        raise ValueError(f"backend URL {url!r}: maildir needs a folder, e.g. maildir:./outbox")
    return MaildirBackend(path)
