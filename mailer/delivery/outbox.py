"""The per-recipient outbox: enqueue a campaign, claim batches, record what happened.

Every statement here is set-based (listmonk's lesson): one INSERT ... SELECT
enqueues a whole campaign, one UPDATE ... RETURNING claims a batch, one
UPDATE ... FROM records it. A row is ``sending`` from its claim until its
result is recorded, so after a crash the rows still ``sending`` are exactly
those whose fate is unknown, and ``recover_orphans`` (recovery.py) puts them back in the
queue once their worker is known dead (``mailer.delivery.lease``): nobody is
skipped, and a duplicate is bounded by the batch that was in flight.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CursorResult,
    Integer,
    String,
    and_,
    any_,
    bindparam,
    case,
    cast,
    func,
    literal,
    select,
    text,
    true,
    update,
)
from sqlalchemy.orm import Session

from mailer.db import audit, insert_for, utcnow
from mailer.delivery.models import Campaign, CampaignStatus, Delivery, DeliveryStatus
from mailer.delivery.recording import backoff_seconds, record_batch
from mailer.delivery.recovery import (
    Recovered,
    in_flight_elsewhere,
    recover_orphans,
    release_own,
)

__all__ = [
    "Claimed",
    "Recovered",
    "backoff_seconds",
    "claim",
    "enqueue",
    "finish_if_done",
    "finish_locked",
    "has_remaining",
    "in_flight_elsewhere",
    "record_batch",
    "recover_orphans",
    "release",
    "release_own",
    "remaining",
    "skip_remaining",
]
from subscribers.eligibility import sendable_subscriptions
from subscribers.models import Subscriber


@dataclass(frozen=True, slots=True)
class Claimed:
    delivery_id: int
    subscriber_id: int | None  # None once the reader was forgotten (the row is skipped)
    email: str
    name: str
    attempts: int
    message_id: str = ""
    recoveries: int = 0  # > 0: in flight when a worker stopped before (see the worker)


def enqueue(session: Session, campaign: Campaign) -> int:
    """Snapshot the audience into the outbox in one statement; returns rows added.

    Deduplicated by the (campaign, subscriber) unique key, so calling it twice
    adds nobody twice; subscribers who join later are not added.
    """
    now = utcnow()
    audience = sendable_subscriptions(campaign.list_id).subquery()
    source = select(
        literal(campaign.id),
        audience.c.id,
        audience.c.email,
        audience.c.name,
        literal(DeliveryStatus.QUEUED.value),
        literal(0),
        literal(""),
        literal(""),
        literal(""),
        literal(now, type_=Delivery.__table__.c.queued_at.type),
    ).where(true())  # SQLite needs a WHERE before ON CONFLICT in INSERT ... SELECT
    columns = [
        "campaign_id",
        "subscriber_id",
        "email",
        "name",
        "status",
        "attempts",
        "last_error",
        "message_id",
        "worker",
        "queued_at",
    ]
    dialect = session.get_bind().dialect.name
    stmt = (
        insert_for(session)(Delivery)
        .from_select(columns, source)
        .on_conflict_do_nothing(index_elements=["campaign_id", "subscriber_id"])
    )
    count = select(func.count()).select_from(Delivery).where(Delivery.campaign_id == campaign.id)
    before = session.scalar(count) or 0
    session.execute(stmt)
    if dialect == "postgresql":
        # A bulk load: give the planner the outbox's new size before the claims start
        # (autovacuum would, but only later; the claims run now).
        session.execute(text("ANALYZE deliveries"))
    # Counted rather than read from rowcount, which drivers report inconsistently here.
    campaign.total_count = session.scalar(count) or 0
    return campaign.total_count - before


def claim(
    session: Session,
    campaign_id: int,
    limit: int,
    worker: str,
    now: dt.datetime | None = None,
    list_id: int | None = None,
    while_sending: bool = False,
    msgid_domain: str = "",
    fresh_only: bool = False,
) -> list[Claimed]:
    """Mark up to ``limit`` due rows ``sending`` and return them; [] when none is due.

    A batch whose people all left since the enqueue is skipped and the next
    one claimed, so an empty answer always means "nothing due". With
    ``while_sending`` nothing is claimed unless the campaign is ``sending``:
    the pause/cancel check and the claim are then one statement.

    A row claimed for the first time gets its Message-ID here, in the same
    statement (``<delivery id>.<random>@msgid_domain``, unique across
    databases by its random part); every retry and every resend after a crash
    keeps it, so the receiving side can drop a duplicate.

    ``fresh_only`` leaves rows resent after a crash (``recoveries`` > 0) in the
    queue: a worker claims so while another batch of its own is out, and a
    crash then would count against rows that were only waiting.
    """
    if not msgid_domain:
        from mailer.config import get_settings

        msgid_domain = get_settings().message_id_domain
    while True:
        took, kept = _claim_once(
            session,
            campaign_id,
            limit,
            worker,
            now,
            list_id,
            while_sending,
            msgid_domain,
            fresh_only,
        )
        if kept or not took:
            return kept


def _claim_once(
    session: Session,
    campaign_id: int,
    limit: int,
    worker: str,
    now: dt.datetime | None,
    list_id: int | None,
    while_sending: bool = False,
    msgid_domain: str = "localhost",
    fresh_only: bool = False,
) -> tuple[int, list[Claimed]]:
    """One claim: (rows taken, rows still to send).

    PostgreSQL: ``FOR UPDATE SKIP LOCKED`` lets any number of workers share a
    campaign without waiting on each other. SQLite: the transaction began
    IMMEDIATE (see mailer.db), so claimers take turns.
    Rows whose subscriber unsubscribed or was suppressed since the enqueue are
    marked ``skipped`` here, so an unsubscribe takes effect before the next batch.
    """
    now = now or utcnow()
    due = (
        select(Delivery.id)
        .where(
            Delivery.campaign_id == campaign_id,
            Delivery.status == DeliveryStatus.QUEUED,
            (Delivery.next_attempt_at.is_(None)) | (Delivery.next_attempt_at <= now),
        )
        # Ordered like ix_deliveries_claim, so the planner walks that index and stops
        # at ``limit``: a claim costs O(batch) however far the send has got (sorting
        # the queue, or a sequential scan past the rows already sent, made it O(n^2)).
        .order_by(Delivery.campaign_id, Delivery.status, Delivery.next_attempt_at)
        .limit(limit)
    )
    if fresh_only:
        due = due.where(Delivery.recoveries == 0)
    if while_sending:
        due = due.where(
            select(Campaign.id)
            .where(Campaign.id == campaign_id, Campaign.status == CampaignStatus.SENDING)
            .exists()
        )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
        # ARRAY(...) makes PostgreSQL fetch the rows by primary key rather than join.
        target = Delivery.id == any_(func.array(due.scalar_subquery()))
    else:
        target = Delivery.id.in_(due.scalar_subquery())
    rows = session.execute(
        update(Delivery)
        .where(target)
        .values(
            status=DeliveryStatus.SENDING,
            claimed_at=now,
            worker=worker,
            attempts=Delivery.attempts + 1,
            message_id=case(
                (
                    Delivery.message_id == "",
                    "<"
                    + cast(Delivery.id, String)
                    + literal(f".{secrets.token_hex(8)}@{msgid_domain}>", String),
                ),
                else_=Delivery.message_id,
            ),
        )
        .returning(
            Delivery.id,
            Delivery.subscriber_id,
            Delivery.email,
            Delivery.name,
            Delivery.attempts,
            Delivery.message_id,
            Delivery.recoveries,
        )
        .execution_options(synchronize_session=False)
    ).all()
    if not rows:
        return 0, []
    claimed = sorted((Claimed(*row) for row in rows), key=lambda c: c.delivery_id)
    campaign_list = (
        list_id
        or session.execute(select(Campaign.list_id).where(Campaign.id == campaign_id)).scalar_one()
    )
    ids = [c.subscriber_id for c in claimed if c.subscriber_id is not None]
    among: list[int] | BindParameter[Any] = ids
    if session.get_bind().dialect.name == "postgresql":
        # One array parameter rather than a placeholder per id: the statement text is
        # the same every batch, so neither SQLAlchemy nor psycopg re-parses ~1,000
        # placeholders, and the server runs one prepared plan.
        from sqlalchemy.dialects.postgresql import ARRAY  # loaded on PostgreSQL only

        among = bindparam("among", ids, type_=ARRAY(Integer()))
    # The audience rule again, narrowed to this batch's people by primary key.
    still = set(
        session.scalars(
            sendable_subscriptions(campaign_list, among).with_only_columns(Subscriber.id)
        )
    )
    dropped = [c.delivery_id for c in claimed if c.subscriber_id not in still]
    if dropped:
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(dropped))
            .values(status=DeliveryStatus.SKIPPED, last_error="unsubscribed or suppressed")
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id)
            .values(skipped_count=Campaign.skipped_count + len(dropped))
        )
    return len(claimed), [c for c in claimed if c.subscriber_id in still]


def release(session: Session, delivery_ids: Sequence[int], reason: str) -> None:
    """Put claimed rows back untouched: the backend could not try them at all."""
    if delivery_ids:
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(list(delivery_ids)), Delivery.status == DeliveryStatus.SENDING)
            .values(
                status=DeliveryStatus.QUEUED,
                attempts=Delivery.attempts - 1,
                last_error=reason[:2000],
            )
            .execution_options(synchronize_session=False)
        )


def _skip(session: Session, campaign_id: int, rows: ColumnElement[bool], reason: str) -> int:
    """``rows`` become ``skipped`` with the reason, and the campaign's skipped count grows
    by as many, in one transaction: sent + failed + skipped + queued + sending = recipients
    holds throughout."""
    result: CursorResult[tuple[()]] = session.execute(  # type: ignore[assignment]
        update(Delivery)
        .where(rows)
        .values(status=DeliveryStatus.SKIPPED, last_error=reason[:2000])
        .execution_options(synchronize_session=False)
    )
    count = int(result.rowcount or 0)
    if count:
        session.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id)
            .values(skipped_count=Campaign.skipped_count + count)
        )
    return count


def skip_remaining(session: Session, campaign_id: int, reason: str) -> int:
    """Mark every still-queued delivery of a campaign ``skipped`` (a cancel); returns how many.

    Rows ``sending`` right now are left to their worker, which records them.
    """
    return _skip(
        session,
        campaign_id,
        and_(Delivery.campaign_id == campaign_id, Delivery.status == DeliveryStatus.QUEUED),
        reason,
    )


def skip_claimed(
    session: Session, campaign_id: int, delivery_ids: Sequence[int], reason: str
) -> int:
    """Claimed rows that are not to be sent after all become ``skipped`` with the reason.

    (A reader whose topics leave the edition empty: see mailer.delivery.variants.)
    """
    return _skip(
        session,
        campaign_id,
        and_(Delivery.id.in_(list(delivery_ids)), Delivery.status == DeliveryStatus.SENDING),
        reason,
    )


def remaining(session: Session, campaign_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(
                and_(
                    Delivery.campaign_id == campaign_id,
                    Delivery.status.in_([DeliveryStatus.QUEUED, DeliveryStatus.SENDING]),
                )
            )
        )
        or 0
    )


def has_remaining(session: Session, campaign_id: int) -> bool:
    """Is any delivery still queued or in flight? (Stops at the first; runs every batch.)"""
    open_rows = (
        select(Delivery.id)
        .where(
            Delivery.campaign_id == campaign_id,
            Delivery.status.in_([DeliveryStatus.QUEUED, DeliveryStatus.SENDING]),
        )
        .limit(1)
    )
    return session.scalar(open_rows) is not None


def finish_if_done(session: Session, campaign: Campaign, actor: str = "worker") -> bool:
    """Mark a sending campaign ``sent`` once no delivery is queued or in flight.

    On PostgreSQL the campaign row is locked first, so two workers finishing
    their last batches at the same moment cannot both count the other's rows
    as still in flight: the second to take the lock sees the first's commit.
    """
    current = select(Campaign.status).where(Campaign.id == campaign.id)
    if session.get_bind().dialect.name == "postgresql":
        current = current.with_for_update()
    # Read again under the lock: a pause or cancel may have landed since it was loaded.
    return finish_locked(session, campaign, session.scalar(current), actor)


def finish_locked(
    session: Session, campaign: Campaign | int, status: str | None, actor: str = "worker"
) -> bool:
    """``finish_if_done`` for a caller that already holds the campaign row's lock in
    this transaction and read ``status`` under it (the recording's counter UPDATE
    does both); the campaign is loaded only when it is in fact finished.
    """
    if status != CampaignStatus.SENDING:
        return False
    campaign_id = campaign if isinstance(campaign, int) else campaign.id
    if has_remaining(session, campaign_id):
        return False
    if isinstance(campaign, int):
        loaded = session.get(Campaign, campaign)
        assert loaded is not None
        campaign = loaded
    campaign.status = CampaignStatus.SENT
    campaign.finished_at = utcnow()
    audit(
        session,
        actor,
        "campaign.sent",
        f"campaign:{campaign.id}",
        sent=campaign.sent_count,
        failed=campaign.failed_count,
        skipped=campaign.skipped_count,
    )
    return True
