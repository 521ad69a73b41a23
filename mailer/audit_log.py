"""Reading the audit log back: who did what, filtered by actor, action and day.

``mailer.db.audit`` writes an entry for every change an admin, staff member,
command or channel makes (``suppression.add``, ``campaign.cancel``,
``login.failed``...). The console's audit page and ``mailer audit list`` read
it through this one query, so both mean the same by "since" and "action".
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from mailer.db import AuditLog


def day_start(day: dt.date, zone: str) -> dt.datetime:
    """Midnight of ``day`` in ``zone``, as the UTC instant the log stores."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def audit_entries(
    *,
    actor: str = "",
    action: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
    zone: str = "UTC",
) -> Select[AuditLog]:
    """Entries matching every filter given; order and page it yourself.

    ``actor`` is a piece of the actor (any case: "ada@", "ip:10.", "sendgrid").
    ``action`` is an action ("suppression.add") or its family ("suppression"
    finds add and remove). ``since`` and ``until`` are whole days in ``zone``
    (the office's), both included.
    """
    query = select(AuditLog)
    who = actor.strip().lower()
    if who:
        query = query.where(func.lower(AuditLog.actor).contains(who, autoescape=True))
    what = action.strip()
    if what:
        query = query.where(
            (AuditLog.action == what) | AuditLog.action.startswith(what + ".", autoescape=True)
        )
    if since is not None:
        query = query.where(AuditLog.at >= day_start(since, zone))
    if until is not None:
        query = query.where(AuditLog.at < day_start(until + dt.timedelta(days=1), zone))
    return query


def audit_actions(session: Session) -> list[str]:
    """Every action the log holds, for a filter's choices (indexed: a quick DISTINCT)."""
    return list(session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)))
