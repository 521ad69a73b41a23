"""The transport contract: what the send engine hands a backend and what it gets back.

The engine knows only this module (listmonk's "messenger" idea): a backend is
opened once per worker, given batches of ready messages, and answers one
``SendResult`` per message in the normalised vocabulary below, so retry,
suppression and pause rules live once in the engine and never in a backend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from mailer.compose.personalise import fill


class Outcome(StrEnum):
    SENT = "sent"  # accepted by the next hop
    TRANSIENT = "transient"  # try again later (4xx, 429, 5xx from an API, timeout, dropped)
    PERMANENT = "permanent"  # this recipient will never work (5xx per recipient, API 4xx)
    HARD_BOUNCE = "hard_bounce"  # permanent and the address does not exist (5.1.x): suppress


class BackendError(Exception):
    """The backend as a whole cannot send (bad credentials, unreachable server).

    The engine pauses the campaign with this message before marking anyone
    sent; per-recipient problems are reported as ``SendResult``s instead.
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True, slots=True, eq=False)
class MergeBody:
    """A campaign's HTML and text with a placeholder where each reader's values go.

    One object is shared by every message of a campaign (compared by
    identity). API backends that substitute per recipient (SendGrid's
    substitutions, Mailgun's recipient-variables) send it once per request
    with each reader's values beside it, instead of a thousand filled copies;
    the others fill it per message (``OutgoingMessage.bodies``). The
    placeholders are ``mailer.compose.snapshot.PLACEHOLDERS``.
    """

    html: str
    text: str


@dataclass(slots=True)
class OutgoingMessage:
    """One personalised message, ready for the wire.

    ``raw`` is the complete RFC 5322 message (CRLF line endings) for SMTP and
    Maildir. API backends that take structured JSON use the other fields,
    which carry the same personalised content.
    """

    delivery_id: int
    envelope_from: str  # VERP address: bounces come back here
    recipient: str
    raw: bytes
    subject: str = ""
    from_header: str = ""
    reply_to: str = ""
    html: str = ""
    text: str = ""
    # Headers beyond From/To/Subject/Date/MIME (List-*, Message-ID, Feedback-ID, ...).
    headers: Mapping[str, str] = field(default_factory=dict)
    message_id: str = ""
    # Instead of html/text: the campaign's shared body and this reader's values for
    # its placeholders, escaped for the HTML part and for the text part.
    merge: MergeBody | None = None
    merge_html: Mapping[str, str] = field(default_factory=dict)
    merge_text: Mapping[str, str] = field(default_factory=dict)

    def bodies(self) -> tuple[str, str]:
        """This reader's complete HTML and text, filled from ``merge`` when it is set."""
        if self.merge is None:
            return self.html, self.text
        return fill(self.merge.html, self.merge_html), fill(self.merge.text, self.merge_text)


@dataclass(slots=True)
class SendResult:
    delivery_id: int
    outcome: Outcome
    # The server's reply or the API's error, recorded on the delivery.
    detail: str = ""
    # Provider's message id when it assigns its own.
    provider_id: str = ""
    # Seconds the server asked us to wait (Retry-After), if any.
    retry_after: float | None = None


class Backend(Protocol):
    """A transport. ``open`` once per worker, ``send`` many batches, ``close`` once."""

    #: Largest batch ``send`` accepts (an API's documented limit; 1 for no batching).
    max_batch: int

    def open(self) -> None: ...

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]: ...

    def close(self) -> None: ...
