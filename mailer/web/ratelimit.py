"""Rate limits kept in the database, so every web worker and machine shares them.

Each attempt that counts (a failed login, a subscribe form post) is written
as an ``AuditLog`` row whose actor is the client's IP and whose target is the
address. Counting recent rows by action and time uses the log's ``action``
and ``at`` indexes. An in-process counter would be forgotten on restart and
multiplied by the number of gunicorn workers; the audit log is also the
record an admin reads after an attack.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailer.db import AuditLog, audit, utcnow


@dataclass(frozen=True)
class Limit:
    action: str  # the AuditLog action that counts, e.g. "login.failed"
    per_ip: int
    per_target: int
    window: dt.timedelta

    def blocked(self, session: Session, ip: str, target: str) -> bool:
        """True when this IP or this target has used up its attempts in the window."""
        since = utcnow() - self.window
        base = select(func.count(AuditLog.id)).where(
            AuditLog.action == self.action, AuditLog.at >= since
        )
        if ip and (session.scalar(base.where(AuditLog.actor == ip)) or 0) >= self.per_ip:
            return True
        return bool(
            target
            and (session.scalar(base.where(AuditLog.target == target)) or 0) >= self.per_target
        )

    def record(self, session: Session, ip: str, target: str, note: str = "") -> None:
        audit(session, actor=ip or "unknown", action=self.action, target=target, note=note)

    @property
    def minutes(self) -> int:
        return max(1, int(self.window.total_seconds() // 60))


LOGIN = Limit("login.failed", per_ip=20, per_target=5, window=dt.timedelta(minutes=15))
SUBSCRIBE = Limit("subscribe.form", per_ip=10, per_target=3, window=dt.timedelta(hours=1))
