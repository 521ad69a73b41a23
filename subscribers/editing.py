"""An admin adds one person or edits one: name, attributes, lists and status.

The console's forms and ``mailer subscribers add/edit`` call these, so the
consent rules are ``service.add_subscriber``'s whichever way an admin comes
(source "admin"; a person who left a list or is suppressed comes back only
with an override reason, audited). Every change is one audit entry with what
it was before and after.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer.db import audit
from subscribers import service
from subscribers.addresses import email_key, normalise_email
from subscribers.models import (
    MailingList,
    Subscriber,
    SubscriberStatus,
    Subscription,
    SubscriptionSource,
    SubscriptionStatus,
)
from subscribers.names import clean_name

ATTRIBUTE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")
MAX_ATTRIBUTES = 50
#: What an admin may set a subscription to; "" means "not on this list" (left as it is
#: when the person never was on it).
LIST_STATES = ("", SubscriptionStatus.PENDING, SubscriptionStatus.CONFIRMED, "unsubscribed")


def parse_attributes(text: str) -> dict[str, str]:
    """``name = value`` lines into a dict; raises ValueError naming the bad line.

    Names are identifiers (they are used in templates as ``{{ attributes.name }}``);
    values are one line of text.
    """
    out: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or not ATTRIBUTE_NAME.fullmatch(name):
            raise ValueError(
                f"attributes: line {number} is not `name = value` with a name of letters, "
                "digits and _ . - (starting with a letter or _)"
            )
        out[name] = clean_name(value.strip())[:500]
    if len(out) > MAX_ATTRIBUTES:
        raise ValueError(f"attributes: at most {MAX_ATTRIBUTES}")
    return out


def format_attributes(attributes: Mapping[str, Any] | None) -> str:
    return "\n".join(f"{k} = {v}" for k, v in sorted((attributes or {}).items()))


def add_person(
    session: Session,
    email: str,
    *,
    name: str = "",
    attributes: Mapping[str, str] | None = None,
    lists: Sequence[MailingList] = (),
    confirmed: bool = False,
    override_reason: str | None = None,
    actor: str,
) -> Subscriber:
    """Add a person (or update the one with this address) and subscribe them to ``lists``.

    Raises ``InvalidAddress`` or ``service.ConsentRefused`` (nothing is changed then:
    the caller rolls back).
    """
    address = normalise_email(email)
    person: Subscriber | None = None
    for mlist in lists:
        person = service.add_subscriber(
            session,
            mlist,
            address,
            name=name,
            confirmed=confirmed,
            source=SubscriptionSource.ADMIN,
            override_reason=override_reason,
            actor=actor,
        )
    if person is None:  # no list chosen: the person alone (found by key, else new)
        person = session.scalar(
            select(Subscriber).where(Subscriber.email_key == email_key(address))
        )
        if person is None:
            person = Subscriber(email=address, name=clean_name(name), attributes={})
            session.add(person)
            session.flush()
    if clean_name(name) and person.name != clean_name(name):
        person.name = clean_name(name)
    if attributes:
        person.attributes = {**(person.attributes or {}), **attributes}
    session.flush()
    audit(
        session,
        actor,
        "subscriber.add",
        f"subscriber:{person.id}",
        override_reason or "",
        lists=[m.slug for m in lists],
        confirmed=confirmed,
        source=SubscriptionSource.ADMIN,
    )
    return person


def _subscriptions(session: Session, person: Subscriber) -> dict[int, Subscription]:
    return {
        s.list_id: s
        for s in session.scalars(
            select(Subscription).where(Subscription.subscriber_id == person.id)
        )
    }


def update_person(
    session: Session,
    person: Subscriber,
    *,
    name: str | None = None,
    attributes: Mapping[str, str] | None = None,
    status: str | None = None,
    list_states: Mapping[MailingList, str] | None = None,
    override_reason: str | None = None,
    actor: str,
) -> dict[str, Any]:
    """Change what is given (None: leave it); returns the changes as audited.

    ``attributes`` replaces them all. ``list_states`` maps a list to one of
    ``LIST_STATES``: "" leaves a list the person is not on alone and
    unsubscribes them from one they are on. Joining or re-joining goes through
    ``service.add_subscriber`` (raises ``ConsentRefused`` without an override
    reason for someone who left or is suppressed).
    """
    if status is not None and status not in {s.value for s in SubscriberStatus}:
        raise ValueError(f"status: one of {', '.join(s.value for s in SubscriberStatus)}")
    changes: dict[str, Any] = {}
    if name is not None and clean_name(name) != person.name:
        changes["name"] = [person.name, clean_name(name)]
        person.name = clean_name(name)
    if attributes is not None and dict(attributes) != (person.attributes or {}):
        changes["attributes"] = [person.attributes or {}, dict(attributes)]
        person.attributes = dict(attributes)
    if status is not None and status != person.status:
        changes["status"] = [person.status, status]
        person.status = status
    current = _subscriptions(session, person)
    for mlist, wanted in (list_states or {}).items():
        if wanted not in LIST_STATES:
            raise ValueError(f"lists: {mlist.slug} cannot be {wanted!r}")
        sub = current.get(mlist.id)
        was = sub.status if sub is not None else ""
        if wanted == "" and was in {"", SubscriptionStatus.UNSUBSCRIBED}:
            continue
        if wanted in {"", SubscriptionStatus.UNSUBSCRIBED}:
            if was and was != SubscriptionStatus.UNSUBSCRIBED:
                service.unsubscribe(session, person.id, mlist.id, via=f"admin {actor}")
                changes[f"list:{mlist.slug}"] = [was, SubscriptionStatus.UNSUBSCRIBED]
            continue
        if wanted == was:
            continue
        if wanted == SubscriptionStatus.PENDING and was == SubscriptionStatus.CONFIRMED:
            raise ValueError(
                f"lists: {mlist.slug} is confirmed; only the person can undo a confirmation "
                "(unsubscribe them instead)"
            )
        service.add_subscriber(
            session,
            mlist,
            person.email,
            confirmed=wanted == SubscriptionStatus.CONFIRMED,
            source=SubscriptionSource.ADMIN,
            override_reason=override_reason,
            actor=actor,
        )
        changes[f"list:{mlist.slug}"] = [was or "none", wanted]
    session.flush()
    if changes:
        audit(
            session,
            actor,
            "subscriber.update",
            f"subscriber:{person.id}",
            override_reason or "",
            changes=changes,
        )
    return changes
