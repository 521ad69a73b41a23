"""``OutboxStore`` on the database (SQLite or PostgreSQL): the outbox's statements,
each method one short transaction through ``session_scope``."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer, sessionmaker

from mailer.compose.snapshot import Snapshot
from mailer.config import Settings
from mailer.db import audit, session_scope, utcnow
from mailer.delivery import instant, lease, outbox, variants
from mailer.delivery.backends.base import SendResult
from mailer.delivery.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    Delivery,
    DeliveryStatus,
)
from mailer.delivery.store import CampaignProgress, Claimed, Edition, Recorded, Recovered
from subscribers.models import MailingList

log = logging.getLogger(__name__)

#: Load a campaign without its snapshot (tens of KB, compressed in PostgreSQL) when
#: only its state and counts are needed, as on every batch.
LIGHT = (defer(Campaign.html), defer(Campaign.text), defer(Campaign.meta))


class SqlOutboxStore:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        max_attempts: int = 5,
        retry_base: float = 30.0,
        msgid_domain: str = "localhost",
    ) -> None:
        self.session_factory = session_factory
        self.max_attempts = max_attempts
        self.retry_base = retry_base
        self.msgid_domain = msgid_domain
        self._bind = session_factory.kw.get("bind")

    @property
    def dialect(self) -> str:
        return str(getattr(getattr(self._bind, "dialect", None), "name", ""))

    # -- leases -----------------------------------------------------------------------

    def renew_lease(self, worker: str, ttl: dt.timedelta) -> None:
        with session_scope(self.session_factory) as session:
            lease.renew(session, worker, ttl)

    def drop_lease(self, worker: str) -> None:
        with session_scope(self.session_factory) as session:
            lease.drop(session, worker)

    # -- campaigns --------------------------------------------------------------------

    def sending_campaigns(self, only: int | None = None) -> list[int]:
        with session_scope(self.session_factory) as session:
            query = select(Campaign.id).where(Campaign.status == CampaignStatus.SENDING)
            if only is not None:
                query = query.where(Campaign.id == only)
            return list(session.scalars(query.order_by(Campaign.id)))

    def edition(self, campaign_id: int) -> Edition:
        with session_scope(self.session_factory) as session:
            campaign = session.get(Campaign, campaign_id)
            assert campaign is not None
            mailing_list = session.get(MailingList, campaign.list_id)
            assert mailing_list is not None
            session.expunge(mailing_list)  # loaded in full (expire_on_commit is off)
            snapshot = Snapshot(campaign.subject, campaign.preheader, campaign.html, campaign.text)
            routed = variants.has_variants(session, campaign_id) or instant.routed(
                session, campaign
            )
            return Edition(campaign_id, snapshot, mailing_list, routed)

    # -- variants (a campaign per topic set, mailer.delivery.variants) ----------------

    def reader_keys(
        self, campaign_id: int, list_id: int, subscriber_ids: Sequence[int]
    ) -> dict[int, str]:
        with session_scope(self.session_factory) as session:
            campaign = session.get(Campaign, campaign_id, options=LIGHT)
            if campaign is not None and campaign.kind == CampaignKind.ANNOUNCEMENT:
                return instant.instant_keys(session, campaign, subscriber_ids)
            meta = session.scalar(select(Campaign.meta).where(Campaign.id == campaign_id)) or {}
            items = meta.get("items") if isinstance(meta, dict) else None
            shown = items.get("announcements", []) if isinstance(items, dict) else []
            return variants.digest_keys(session, list_id, [int(a) for a in shown], subscriber_ids)

    def variant(self, campaign_id: int, key: str, settings: Settings) -> Snapshot | None:
        if key == instant.NOT_FOR_THEM:
            return None
        with session_scope(self.session_factory) as session:
            return variants.load_variant(session, campaign_id, key, settings)

    def skip(self, campaign_id: int, delivery_ids: Sequence[int], reason: str) -> None:
        """Claimed rows that will not be sent (their variant is empty): ``skipped``."""
        if not delivery_ids:
            return
        with session_scope(self.session_factory) as session:
            outbox.skip_claimed(session, campaign_id, delivery_ids, reason)

    def status(self, campaign_id: int) -> str:
        current = select(Campaign.status).where(Campaign.id == campaign_id)
        # One read, no transaction around it: a round trip rather than three.
        assert self._bind is not None
        with self._bind.connect() as conn:
            return str(conn.execution_options(isolation_level="AUTOCOMMIT").scalar(current))

    def progress(self, campaign_id: int) -> CampaignProgress:
        now = utcnow()
        with session_scope(self.session_factory) as session:
            c = session.get(Campaign, campaign_id, options=LIGHT)
            assert c is not None
            open_rows = (Delivery.campaign_id == campaign_id,)
            by_status = dict(
                session.execute(
                    select(Delivery.status, func.count())
                    .where(
                        *open_rows,
                        Delivery.status.in_([DeliveryStatus.QUEUED, DeliveryStatus.SENDING]),
                    )
                    .group_by(Delivery.status)
                ).all()
            )
            due = session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(
                    *open_rows,
                    Delivery.status == DeliveryStatus.QUEUED,
                    (Delivery.next_attempt_at.is_(None)) | (Delivery.next_attempt_at <= now),
                )
            )
            return CampaignProgress(
                c.status,
                c.status_reason,
                c.total_count,
                c.sent_count,
                c.failed_count,
                c.skipped_count,
                int(by_status.get(DeliveryStatus.QUEUED, 0)),
                int(by_status.get(DeliveryStatus.SENDING, 0)),
                int(due or 0),
            )

    # -- the outbox ---------------------------------------------------------------------

    def claim(
        self,
        campaign_id: int,
        limit: int,
        worker: str,
        list_id: int | None = None,
        *,
        fresh_only: bool = False,
    ) -> list[Claimed]:
        with session_scope(self.session_factory) as session:
            # The campaign's state is checked by the claim itself: nothing is claimed
            # unless it is sending (so a pause or cancel takes effect before this batch).
            claimed = outbox.claim(
                session,
                campaign_id,
                limit,
                worker,
                list_id=list_id,
                while_sending=True,
                msgid_domain=self.msgid_domain,
                fresh_only=fresh_only,
            )
            if not claimed:
                campaign = session.get(Campaign, campaign_id, options=LIGHT)
                if campaign is not None:
                    outbox.finish_if_done(session, campaign)  # re-reads the state, locked
            return claimed

    def record(
        self,
        campaign_id: int,
        results: Sequence[SendResult],
        message_ids: dict[int, str],
        attempts: dict[int, int],
        worker: str,
        pause: str | None = None,
    ) -> Recorded:
        with session_scope(self.session_factory) as session:
            # The counters' UPDATE returns the campaign's status and holds its row
            # lock, so the pause and finish checks need no campaign load of their own.
            sent, failed, status = outbox.record_batch(
                session,
                campaign_id,
                results,
                message_ids,
                attempts,
                self.max_attempts,
                worker=worker,
                retry_base=self.retry_base,
            )
            paused = pause is not None and status == CampaignStatus.SENDING
            if paused:
                assert pause is not None
                status = self._pause(session, campaign_id, pause, worker)
            outbox.finish_locked(session, campaign_id, status)
        return Recorded(campaign_id, sent, failed, status, paused)

    def release(
        self, campaign_id: int, delivery_ids: Sequence[int], reason: str, pause: str | None = None
    ) -> str:
        with session_scope(self.session_factory) as session:
            outbox.release(session, delivery_ids, reason)
            campaign = session.get(Campaign, campaign_id, options=LIGHT)
            assert campaign is not None
            if campaign.status == CampaignStatus.CANCELLED:
                outbox.skip_remaining(session, campaign_id, "campaign cancelled")
            elif pause is not None and campaign.status == CampaignStatus.SENDING:
                self._pause(session, campaign_id, pause, "worker")
            return str(campaign.status)

    def _pause(self, session: Session, campaign_id: int, reason: str, actor: str) -> str:
        campaign = session.get(Campaign, campaign_id, options=LIGHT)
        assert campaign is not None
        campaign.status = CampaignStatus.PAUSED
        campaign.status_reason = reason
        audit(session, actor, "campaign.pause", f"campaign:{campaign_id}", note=reason)
        log.error("campaign %s paused: %s", campaign_id, reason)
        return CampaignStatus.PAUSED

    def recover(self, max_crashes: int) -> Recovered:
        with session_scope(self.session_factory) as session:
            return outbox.recover_orphans(session, max_crashes=max_crashes)

    def release_own(self, worker: str, keep: Iterable[int]) -> int:
        with session_scope(self.session_factory) as session:
            return outbox.release_own(session, worker, keep)

    def in_flight_elsewhere(self, campaign_ids: Sequence[int], worker: str) -> int:
        with session_scope(self.session_factory) as session:
            return outbox.in_flight_elsewhere(session, campaign_ids, worker)
