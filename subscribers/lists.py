"""Mailing lists: the one home of their rules.

The slug rule, the digest-time rule, the list's time zone and "today where
its readers live", and creating, changing and deleting a list with an audit
entry all live here. The CLI, the web console, the scheduler, compose and
delivery call these functions, so a rule cannot drift between them (the slug
rule once differed between CLI and web; the time zone was looked up four
ways, from a silent fallback to a template error).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailer.db import audit, utcnow
from subscribers.models import MailingList

#: Lower-case letters, digits and dashes, at most 63: the slug is a DNS label in List-Id.
SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
TIME_RE = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: Fields whose change moves the digest: the time the schedule changed is kept.
SCHEDULE_FIELDS = ("digest_weekday", "digest_time", "timezone", "digest_enabled")
EDITABLE = (
    "slug",
    "name",
    "description",
    "public",
    "double_opt_in",
    "from_name",
    "from_email",
    "reply_to",
    "archive",
    "digest_title",
    "track_clicks",
    "track_opens",
    *SCHEDULE_FIELDS,
)
#: A digest title is a subject's first words: one line, short.
DIGEST_TITLE_MAX = 200


class ListError(ValueError):
    """A list's field is not acceptable; ``field`` names it, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check_slug(slug: str) -> str:
    if not SLUG_RE.fullmatch(slug or ""):
        raise ListError(
            "slug",
            f"{slug!r} is not a slug: use lower-case letters, digits and dashes "
            "(at most 63, starting with a letter or digit)",
        )
    return slug


def check_digest_title(value: str) -> str:
    """The list's digest title (empty: its name): one line, as it heads the subject."""
    if "\n" in value or "\r" in value or len(value) > DIGEST_TITLE_MAX:
        raise ListError(
            "digest_title", f"the digest title is one line of at most {DIGEST_TITLE_MAX} characters"
        )
    return value


def check_time(value: str) -> str:
    if not TIME_RE.fullmatch(value or ""):
        raise ListError("digest_time", f"{value!r} is not a 24-hour time like 07:00")
    return value


def zone(name: str, field: str = "timezone") -> ZoneInfo:
    """The IANA zone ``name``; a ListError naming the field when there is no such zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ListError(
            field, f"unknown time zone {name!r}; use an IANA name such as America/Chicago"
        ) from None


def list_zone(mailing_list: MailingList, default: str = "America/Chicago") -> ZoneInfo:
    """Where the list's readers live: the one time-zone look-up for lists.

    Strict: a list whose stored zone is unknown (lists are checked when saved,
    so only old or hand-edited rows) is an error naming the list, never a
    silent guess that would date an edition in the wrong week.
    """
    name = mailing_list.timezone or default
    try:
        return zone(name)
    except ListError:
        raise ListError(
            "timezone", f"list {mailing_list.slug!r}: unknown time zone {name!r}"
        ) from None


def list_today(
    mailing_list: MailingList, now: dt.datetime | None = None, default: str = "America/Chicago"
) -> dt.date:
    """Today's date where the list's readers live (an edition's date by default)."""
    return (now or utcnow()).astimezone(list_zone(mailing_list, default)).date()


def schedule_since(mailing_list: MailingList) -> dt.datetime:
    """From when the list's current digest schedule holds (creation or last change).

    A digest time before this instant was never due: nothing is sent or
    recorded as skipped for it.
    """
    changed = mailing_list.digest_schedule_changed_at
    created = mailing_list.created_at
    return max(created, changed) if changed is not None else created


def _clean(fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ListError(sorted(unknown)[0], f"lists have no field {sorted(unknown)[0]!r}")
    out = {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}
    if "slug" in out:
        check_slug(out["slug"])
    if "name" in out and not out["name"]:
        raise ListError("name", "a list needs a name")
    if "digest_time" in out:
        check_time(out["digest_time"])
    if "digest_title" in out:
        check_digest_title(out["digest_title"])
    if "timezone" in out:
        zone(out["timezone"])
    if "digest_weekday" in out and not (
        isinstance(out["digest_weekday"], int) and 0 <= out["digest_weekday"] <= 6
    ):
        raise ListError("digest_weekday", "the digest day is 0 (Monday) to 6 (Sunday)")
    return out


def _slug_free(session: Session, slug: str, own_id: int | None) -> None:
    other = session.scalar(select(MailingList.id).where(MailingList.slug == slug))
    if other is not None and other != own_id:
        raise ListError("slug", f"another list already uses the slug {slug!r}")


def create(session: Session, actor: str, **fields: Any) -> MailingList:
    """A new list, checked and audited (``list.create``)."""
    values = _clean(fields)
    if "slug" not in values or "name" not in values:
        raise ListError("slug" if "slug" not in values else "name", "a list needs a slug and name")
    _slug_free(session, values["slug"], None)
    mailing_list = MailingList(**values)
    session.add(mailing_list)
    session.flush()
    audit(session, actor, "list.create", f"list:{mailing_list.slug}", list_id=mailing_list.id)
    return mailing_list


def update(
    session: Session, mailing_list: MailingList, actor: str, **fields: Any
) -> dict[str, list[Any]]:
    """Change a list; returns and audits (``list.update``) what changed, as [old, new].

    A changed digest day, time, zone or switch records when it changed
    (:func:`schedule_since`), so the old schedule's last run is never taken
    for a missed one.
    """
    values = _clean(fields)
    if "slug" in values:
        _slug_free(session, values["slug"], mailing_list.id)
    changed = {
        k: [getattr(mailing_list, k), v] for k, v in values.items() if getattr(mailing_list, k) != v
    }
    for k, (_, new) in changed.items():
        setattr(mailing_list, k, new)
    if set(changed) & set(SCHEDULE_FIELDS):
        mailing_list.digest_schedule_changed_at = utcnow()
    if changed:
        audit(
            session,
            actor,
            "list.update",
            f"list:{mailing_list.slug}",
            list_id=mailing_list.id,
            changes=changed,
        )
        session.flush()
    return changed


def delete(session: Session, mailing_list: MailingList, actor: str) -> None:
    """Delete a list and its subscriptions; refused while campaigns refer to it.

    Sent editions are the archive and the counts' history, so the database
    keeps a list that has campaigns (``ON DELETE RESTRICT``): make it private
    and turn its digest off instead.
    """
    slug = mailing_list.slug
    try:
        with session.begin_nested():
            subscriptions = list(mailing_list.subscriptions)
            for sub in subscriptions:
                session.delete(sub)
            session.delete(mailing_list)
            session.flush()
    except IntegrityError:
        session.expire(mailing_list)
        raise ListError(
            "slug",
            f"list {slug!r} has campaigns; deleting it would lose their history and archive. "
            "Make it private and turn its digest off instead "
            f"(mailer lists update {slug} --private --no-digest).",
        ) from None
    audit(
        session,
        actor,
        "list.delete",
        f"list:{slug}",
        list_id=mailing_list.id,
        slug=slug,
        name=mailing_list.name,
        subscriptions=len(subscriptions),
    )
