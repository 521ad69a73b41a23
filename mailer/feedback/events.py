"""What every feedback channel produces: one small event per affected address.

Bounce mailboxes (DSN, non-standard bounces), feedback loops (ARF), mailto
unsubscribes and provider webhooks all turn into ``FeedbackEvent``s, and one
function (``mailer.feedback.apply.apply_feedback``) turns events into records,
suppressions and unsubscribes. A channel only has to say what happened.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

#: Characters of a raw report kept on its record: a DSN with its headers fits; a
#: complaint quoting a whole digest is cut (the classification read its start).
RAW_LIMIT = 64_000


class Kind(StrEnum):
    HARD = "hard"  # the address does not exist: suppress now
    SOFT = "soft"  # mailbox full, greylisting, timeouts: count, suppress after a few
    POLICY = "policy"  # blocked for the sender's reputation or authentication: never the reader
    COMPLAINT = "complaint"  # marked as spam: unsubscribe from everything and suppress
    UNSUBSCRIBE = "unsubscribe"  # asked to leave (mailto, provider's own link)


@dataclass
class FeedbackEvent:
    kind: Kind
    address: str = ""
    delivery_id: int | None = None
    message_id: str = ""
    status_code: str = ""
    diagnostic: str = ""
    source: str = ""
    # For unsubscribes that name a subscriber and list by a signed token.
    subscriber_id: int | None = None
    list_id: int | None = None
    received_at: dt.datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)
    # Other addresses the report gives for the same recipient (a DSN's Final-Recipient
    # beside its Original-Recipient): the one that maps to a subscriber is used.
    also: tuple[str, ...] = ()
    # A provider's webhook whose signature (or credentials) we checked: it speaks for us.
    # Mailbox events are never "signed"; they prove themselves by VERP or Message-ID.
    signed: bool = False
    # The report as received (a bounce message, a provider's JSON for this event):
    # kept on the record (capped at ``RAW_LIMIT``) for admins to read.
    raw: str = ""
