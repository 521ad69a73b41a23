"""The suppression list: addresses we never mail, whatever any list says.

An address lands here after a hard bounce, a complaint, "unsubscribe from
everything", an admin's decision, or a request to be forgotten (then only a
hash of it is kept). Every way in (subscribe, import, admin add) asks
``is_suppressed`` first; sends exclude suppressed addresses in SQL
(``subscribers.eligibility``).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from mailer.db import audit
from subscribers.addresses import email_key
from subscribers.models import Suppression, SuppressionReason


def address_hash(email: str) -> str:
    """``sha256:<hex>`` of the address's key: what is kept of a forgotten person."""
    return hash_of_key(email_key(email))


def hash_of_key(key: str) -> str:
    """``address_hash`` of an address already reduced to its ``email_key``.

    An import has the key of every row already; normalising it a second time
    was a tenth of a million-row import.
    """
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def _normal(email: str) -> str:
    """Suppressions are kept by key: one row covers every spelling of the address."""
    return email_key(email)


def suppression_for(session: Session, email: str) -> Suppression | None:
    """The suppression that covers this address (plain or hashed), if any."""
    address = _normal(email)
    return session.scalar(
        select(Suppression)
        .where(or_(Suppression.address == address, Suppression.address == address_hash(address)))
        .limit(1)
    )


def is_suppressed(session: Session, email: str) -> bool:
    return suppression_for(session, email) is not None


def suppress(
    session: Session, email: str, reason: str, note: str = "", *, actor: str = "system"
) -> Suppression:
    """Add the address to the suppression list (idempotent: the first reason stays)."""
    SuppressionReason(reason)  # refuse unknown reasons early, with the enum's message
    address = _normal(email)
    existing = session.scalar(select(Suppression).where(Suppression.address == address))
    if existing is not None:
        return existing
    row = Suppression(address=address, reason=reason, note=note)
    session.add(row)
    session.flush()
    audit(session, actor, "suppression.add", address, note, reason=reason)
    return row


def unsuppress(session: Session, email: str, *, actor: str = "system", note: str = "") -> bool:
    """Lift a suppression (plain or hashed); True if there was one."""
    address = _normal(email)
    result = session.execute(
        delete(Suppression).where(
            or_(Suppression.address == address, Suppression.address == address_hash(address))
        )
    )
    removed = bool(getattr(result, "rowcount", 0))
    if removed:
        audit(session, actor, "suppression.remove", address_hash(address), note)
    return removed
