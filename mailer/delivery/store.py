"""What the send engine needs from storage, as one Protocol beside ``Backend``.

The worker loop (mailer.delivery.worker) sees storage only through
``OutboxStore``: claim a batch, record what the backend answered, read and
change a campaign's state, recover what dead workers left, keep a lease. The
SQL implementation is ``mailer.delivery.sqlstore.SqlOutboxStore``; a test can
drive the loop with an in-memory one. Every method is one short transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from mailer.compose.snapshot import Snapshot
from mailer.config import Settings
from mailer.delivery.backends.base import SendResult
from mailer.delivery.outbox import Claimed
from mailer.delivery.recovery import Recovered
from subscribers.models import MailingList

__all__ = ["CampaignProgress", "Claimed", "Edition", "OutboxStore", "Recorded", "Recovered"]


@dataclass(frozen=True, slots=True)
class Edition:
    """What a worker builds a campaign's messages from (loaded once per campaign)."""

    campaign_id: int
    snapshot: Snapshot
    mailing_list: MailingList
    # The campaign has variants per topic set (mailer.delivery.variants): the store is
    # then also a ``VariantStore``, asked before each batch who gets which one.
    variants: bool = False


@dataclass(frozen=True, slots=True)
class Recorded:
    """What recording a batch found: its counts and the campaign's status after it."""

    campaign_id: int
    sent: int
    failed: int
    status: str
    paused: bool = False


@dataclass(frozen=True, slots=True)
class CampaignProgress:
    """A campaign's counts as every worker sees them.

    The counting rule holds at every moment:
    ``sent + failed + skipped + queued + sending == total`` (failed includes bounced).
    """

    status: str
    reason: str
    total: int
    sent: int
    failed: int
    skipped: int
    queued: int
    sending: int
    due: int  # queued rows whose retry time has come

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.skipped


class OutboxStore(Protocol):
    """The send engine's storage. ``worker`` is always the caller's lease instance id."""

    def renew_lease(self, worker: str, ttl: dt.timedelta) -> None: ...

    def drop_lease(self, worker: str) -> None: ...

    def sending_campaigns(self, only: int | None = None) -> list[int]: ...

    def edition(self, campaign_id: int) -> Edition: ...

    def claim(
        self,
        campaign_id: int,
        limit: int,
        worker: str,
        list_id: int | None = None,
        *,
        fresh_only: bool = False,
    ) -> list[Claimed]:
        """Up to ``limit`` due rows, now ``sending`` under ``worker`` and each with its
        Message-ID; only while the campaign is sending. [] when none is due, and then
        the campaign is marked sent if nothing is left. ``fresh_only``: no row resent
        after a crash (the worker claims so while another batch is out)."""
        ...

    def record(
        self,
        campaign_id: int,
        results: Sequence[SendResult],
        message_ids: dict[int, str],
        attempts: dict[int, int],
        worker: str,
        pause: str | None = None,
    ) -> Recorded:
        """Write the answers of rows still ``sending`` under ``worker``; pause the
        campaign with ``pause`` as the reason if given and it is still sending."""
        ...

    def release(
        self, campaign_id: int, delivery_ids: Sequence[int], reason: str, pause: str | None = None
    ) -> str:
        """Put claimed rows back untried (skipped if the campaign was cancelled); pause
        with ``pause`` if given. Returns the campaign's status."""
        ...

    def status(self, campaign_id: int) -> str: ...

    def recover(self, max_crashes: int) -> Recovered:
        """Settle the ``sending`` rows of workers whose lease expired (see outbox)."""
        ...

    def release_own(self, worker: str, keep: Iterable[int]) -> int:
        """Requeue ``worker``'s ``sending`` rows other than ``keep`` (after a lost claim)."""
        ...

    def in_flight_elsewhere(self, campaign_ids: Sequence[int], worker: str) -> int: ...

    def progress(self, campaign_id: int) -> CampaignProgress: ...


class VariantStore(Protocol):
    """What a store offers for a campaign with variants (see mailer.delivery.variants)."""

    def reader_keys(
        self, campaign_id: int, list_id: int, subscriber_ids: Sequence[int]
    ) -> dict[int, str]: ...

    def variant(self, campaign_id: int, key: str, settings: Settings) -> Snapshot | None: ...

    def skip(self, campaign_id: int, delivery_ids: Sequence[int], reason: str) -> None: ...
