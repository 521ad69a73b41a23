"""Recording what a backend answered: one statement for the sent, backoff for the rest.

Split from the outbox because it applies the engine's retry rules
(``mailer.delivery.policy.decide``, a pure function): a transient failure goes
back to the queue with exponential backoff and jitter (never sooner than the
server's Retry-After) until ``max_attempts``; a permanent one fails with the
server's reply; a hard bounce also suppresses the address. Only rows still
``sending`` under the recording worker's id are written (see mailer.delivery.lease).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import cast

from sqlalchemy import CursorResult, Table, bindparam, select, text, update
from sqlalchemy.orm import Session

from mailer.db import UTCDateTime, utcnow
from mailer.delivery.backends.base import Outcome, SendResult
from mailer.delivery.models import Campaign, Delivery, DeliveryStatus
from mailer.delivery.policy import Action, backoff_seconds, decide
from subscribers.models import SuppressionReason
from subscribers.suppression import suppress

__all__ = ["backoff_seconds", "record_batch"]


def _mark_sent_sql(
    session: Session,
    pairs: list[tuple[int, str]],
    worker: str | None,
    now: dt.datetime,
    returning: bool = False,
) -> tuple[str, dict[str, object]]:
    """The UPDATE that marks a whole batch sent with each row's Message-ID, and its params;
    ``returning``: it returns the ids it changed.

    Only rows still ``sending`` (under ``worker``'s name, when given) change: a
    row that recovery handed to another worker is not this worker's to record.
    """
    if session.get_bind().dialect.name == "postgresql":
        source = "unnest(CAST(:ids AS integer[]), CAST(:mids AS text[])) AS v(id, mid)"
        params: dict[str, object] = {
            "ids": [p[0] for p in pairs],
            "mids": [p[1] for p in pairs],
        }
        target, t = "deliveries AS d", "d"
    else:
        source = (
            "(SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS mid "
            "FROM json_each(:data)) AS v"
        )
        params = {"data": json.dumps(pairs)}
        # SQLite's RETURNING cannot see a table alias.
        target = t = "deliveries"
    guard = f"AND {t}.worker = :worker" if worker is not None else ""
    sql = (
        f"UPDATE {target} SET status = :sent, sent_at = :now, message_id = v.mid, "
        f"last_error = '' FROM {source} "
        f"WHERE {t}.id = v.id AND {t}.status = :sending {guard}"
    )
    if returning:
        sql += f" RETURNING {t}.id"
    params.update(sent=DeliveryStatus.SENT.value, sending=DeliveryStatus.SENDING.value, now=now)
    if worker is not None:
        params["worker"] = worker
    return sql, params


def _mark_sent(
    session: Session,
    pairs: list[tuple[int, str]],
    worker: str | None,
    now: dt.datetime,
) -> int:
    """One statement marks a whole batch sent; returns how many rows it changed.

    Counted by the driver's rowcount (exact for an UPDATE on SQLite and
    PostgreSQL) rather than by returning every id: a batch's 500 result rows
    were a tenth of its recording, time in which the transport waits.
    """
    sql, params = _mark_sent_sql(session, pairs, worker, now)
    stmt = text(sql).bindparams(bindparam("now", type_=UTCDateTime()))
    result: CursorResult[tuple[()]] = session.execute(stmt, params)  # type: ignore[assignment]
    return int(result.rowcount)


def _mark_sent_and_count(
    session: Session,
    campaign_id: int,
    pairs: list[tuple[int, str]],
    worker: str | None,
    now: dt.datetime,
) -> tuple[int, str]:
    """PostgreSQL, a batch all sent: mark it and add it to the campaign's count in one
    statement (a data-modifying CTE), in the same order, rows then campaign, as
    the two statements it replaces; returns (rows marked, campaign status).
    """
    sql, params = _mark_sent_sql(session, pairs, worker, now, returning=True)
    stmt = text(
        f"WITH marked AS ({sql}) "
        "UPDATE campaigns SET sent_count = sent_count + (SELECT count(*) FROM marked) "
        "WHERE id = :campaign_id "
        "RETURNING (SELECT count(*) FROM marked) AS sent, status"
    ).bindparams(bindparam("now", type_=UTCDateTime()))
    params["campaign_id"] = campaign_id
    sent, status = session.execute(stmt, params).one()
    return int(sent), str(status)


def _suppress_hard_bounces(session: Session, campaign_id: int, delivery_ids: list[int]) -> None:
    """A 5.1.x rejection means the address does not exist: never mail it again."""
    emails = set(session.scalars(select(Delivery.email).where(Delivery.id.in_(delivery_ids))))
    for email in sorted(emails):
        suppress(
            session,
            email,
            SuppressionReason.HARD_BOUNCE,
            f"rejected while sending campaign {campaign_id}",
            actor="worker",
        )


def record_batch(
    session: Session,
    campaign_id: int,
    results: Sequence[SendResult],
    message_ids: dict[int, str],
    attempts: dict[int, int],
    max_attempts: int,
    now: dt.datetime | None = None,
    worker: str | None = None,
    retry_base: float = 30.0,
) -> tuple[int, int, str]:
    """Write each result on its delivery; returns (sent, failed, the campaign's status).

    Sent rows take one statement. A transient failure goes back to the
    queue with exponential backoff (never sooner than the server's
    Retry-After) until ``max_attempts``; then, like a permanent one, it fails
    with the server's reply recorded. A hard bounce also suppresses the address.

    The counters are added by an ``UPDATE ... RETURNING status`` that runs
    even for an empty batch, so the campaign row is locked for the rest of
    the transaction (``finish_if_done`` relies on that) and its current
    status (a pause or cancel since the claim) comes back in the same round
    trip, without loading the campaign.
    """
    now = now or utcnow()
    pairs = [
        (r.delivery_id, message_ids.get(r.delivery_id, "") or r.provider_id)
        for r in results
        if r.outcome is Outcome.SENT
    ]
    if pairs and len(pairs) == len(results) and session.get_bind().dialect.name == "postgresql":
        # The usual batch, every message accepted: one round trip for rows and counts.
        sent, status = _mark_sent_and_count(session, campaign_id, pairs, worker, now)
        return sent, 0, status
    sent = _mark_sent(session, pairs, worker, now) if pairs else 0
    failed = 0
    hard_ids: list[int] = []
    rows = []
    others = [r for r in results if r.outcome is not Outcome.SENT]
    if others:
        # Only rows still ours are written (see _mark_sent); locked so the count is exact.
        mine = select(Delivery.id).where(
            Delivery.id.in_([r.delivery_id for r in others]),
            Delivery.status == DeliveryStatus.SENDING,
        )
        if worker is not None:
            mine = mine.where(Delivery.worker == worker)
        if session.get_bind().dialect.name == "postgresql":
            mine = mine.with_for_update()
        ours = set(session.scalars(mine))
        others = [r for r in others if r.delivery_id in ours]
    for r in others:
        tries = attempts.get(r.delivery_id, 1)
        decision = decide(r.outcome, tries, max_attempts, r.detail, r.retry_after, base=retry_base)
        retry_at = None
        if decision.action is Action.RETRY:
            assert decision.delay is not None
            status, retry_at = DeliveryStatus.QUEUED, now + dt.timedelta(seconds=decision.delay)
        elif decision.action is Action.BOUNCE:
            failed += 1
            status = DeliveryStatus.BOUNCED
            hard_ids.append(r.delivery_id)
        else:
            failed += 1
            status = DeliveryStatus.FAILED
        detail = decision.detail
        rows.append(
            {
                "b_id": r.delivery_id,
                "b_status": status,
                "b_next": retry_at,
                "b_error": detail[:2000],
            }
        )
    if rows:
        table = cast(Table, Delivery.__table__)
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"), table.c.status == DeliveryStatus.SENDING)
            .values(
                status=bindparam("b_status"),
                next_attempt_at=bindparam("b_next"),
                last_error=bindparam("b_error"),
            )
        )
        if worker is not None:
            stmt = stmt.where(table.c.worker == worker)
        # Core executemany: the driver runs one prepared statement for all rows.
        session.connection().execute(stmt, rows)
    if hard_ids:
        _suppress_hard_bounces(session, campaign_id, hard_ids)
    campaign_status = session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id)
        .values(
            sent_count=Campaign.sent_count + sent,
            failed_count=Campaign.failed_count + failed,
        )
        .returning(Campaign.status)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return sent, failed, str(campaign_status)
