"""Rate limits kept in the database, so every web worker and machine shares them.

Two kinds: ``Limit`` refuses an address or a target after N attempts in a
window (the subscribe form); ``Throttle`` slows failed logins down per client
address and account, with a delay that doubles at each failure, and refuses an
address that tries many accounts. A throttle never locks an account itself:
anyone could otherwise lock the admin out by typing wrong passwords.

Each attempt that counts (a failed login, a subscribe form post) is written
as an ``AuditLog`` row whose actor is the client's IP and whose target is the
address. Counting recent rows by action and time uses the log's ``action``
and ``at`` indexes. An in-process counter would be forgotten on restart and
multiplied by the number of gunicorn workers; the audit log is also the
record an admin reads after an attack.
"""

from __future__ import annotations

import datetime as dt
import math
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


@dataclass(frozen=True)
class Throttle:
    action: str  # the AuditLog action that counts, e.g. "login.failed"
    free: int  # failures of one address on one account before any delay
    first_delay: dt.timedelta  # then this, doubled at every further failure
    longest_delay: dt.timedelta
    per_ip: int  # failures of one address on any accounts before it is refused
    window: dt.timedelta  # failures older than this are forgotten

    def retry_after(
        self, session: Session, ip: str, target: str, now: dt.datetime | None = None
    ) -> int:
        """Seconds this address must wait before it may try ``target`` again (0: go ahead)."""
        now = now or utcnow()
        ip = ip or "unknown"  # as ``record`` writes it
        recent = select(func.count(AuditLog.id), func.max(AuditLog.at)).where(
            AuditLog.action == self.action, AuditLog.at >= now - self.window
        )
        waits = [0.0]
        ip_count, ip_last = session.execute(recent.where(AuditLog.actor == ip)).one()
        if ip_count >= self.per_ip and ip_last is not None:
            # Guessing across accounts: the address is refused until it has been quiet a while.
            waits.append((ip_last + self.window - now).total_seconds())
        count, last = session.execute(
            recent.where(AuditLog.actor == ip, AuditLog.target == target)
        ).one()
        if count >= self.free and last is not None:
            delay = min(self.first_delay * 2 ** min(count - self.free, 30), self.longest_delay)
            waits.append((last + delay - now).total_seconds())
        return max(0, math.ceil(max(waits)))

    def record(self, session: Session, ip: str, target: str, note: str = "") -> None:
        audit(session, actor=ip or "unknown", action=self.action, target=target, note=note)


def wait_message(seconds: int) -> str:
    """What a throttled visitor reads: how long, not why in detail."""
    if seconds < 120:
        span = f"{seconds} second{'s' if seconds != 1 else ''}"
    else:
        span = f"{math.ceil(seconds / 60)} minutes"
    return f"Too many failed attempts from your address. Wait {span} and try again."


LOGIN_THROTTLE = Throttle(
    "login.failed",
    free=3,
    first_delay=dt.timedelta(seconds=2),
    longest_delay=dt.timedelta(minutes=15),
    per_ip=30,
    window=dt.timedelta(hours=1),
)
SUBSCRIBE = Limit("subscribe.form", per_ip=10, per_target=3, window=dt.timedelta(hours=1))
