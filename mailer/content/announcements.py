"""Announcements staff write and admins approve.

Life cycle: ``draft`` -> ``submitted`` -> ``approved`` | ``rejected``; until
it is approved its author can edit it (back to draft, to be submitted again)
or withdraw it (``withdrawn``: out of the review queue, never used, editable
again). Only approved ones are used: digest-mode ones by the next edition of
each target list (``announcement_lists.campaign_id`` records which edition
carried it), standalone ones by delivery at ``send_at`` (it moves them on to
``scheduled`` and ``sent``). Callers check roles (staff may create and
submit, admins approve and reject); these functions check the state machine
and record every step in the audit log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer.content.models import Announcement, AnnouncementMode, AnnouncementStatus
from mailer.db import audit, utcnow
from subscribers.models import MailingList

# Until approved, the author may change it (an edit sends it back to draft) or withdraw it.
WITHDRAWABLE = (
    AnnouncementStatus.DRAFT,
    AnnouncementStatus.SUBMITTED,
    AnnouncementStatus.REJECTED,
)
EDITABLE = (*WITHDRAWABLE, AnnouncementStatus.WITHDRAWN)


class AnnouncementError(ValueError):
    """An invalid announcement or a step its status does not allow."""


def _lists(session: Session, lists: Sequence[MailingList | int | str]) -> list[MailingList]:
    found: list[MailingList] = []
    for ref in lists:
        if isinstance(ref, MailingList):
            found.append(ref)
            continue
        column = MailingList.id if isinstance(ref, int) else MailingList.slug
        ml = session.scalars(select(MailingList).where(column == ref)).first()
        if ml is None:
            raise AnnouncementError(f"lists: no mailing list {ref!r}")
        found.append(ml)
    if not found:
        raise AnnouncementError("lists: choose at least one target list")
    return list({ml.id: ml for ml in found}.values())


def _validate(title: str, mode: str, send_at: dt.datetime | None) -> tuple[str, dt.datetime | None]:
    title = title.strip()
    if not title:
        raise AnnouncementError("title: an announcement needs a title")
    if len(title) > 300:
        raise AnnouncementError("title: keep it under 300 characters")
    try:
        mode = AnnouncementMode(mode)
    except ValueError:
        raise AnnouncementError("mode: must be 'digest' or 'standalone'") from None
    if mode == AnnouncementMode.STANDALONE:
        if send_at is None:
            raise AnnouncementError("send_at: a standalone announcement needs a send time")
        if send_at.tzinfo is None:
            raise AnnouncementError("send_at: give a time zone, e.g. 2026-03-02T09:00-06:00")
        return title, send_at.astimezone(dt.UTC)
    return title, None


def create(
    session: Session,
    *,
    actor: str,
    title: str,
    body_md: str,
    lists: Sequence[MailingList | int | str],
    mode: str = AnnouncementMode.DIGEST,
    send_at: dt.datetime | None = None,
    submit: bool = False,
) -> Announcement:
    """A new draft (or, with ``submit``, a submitted announcement) by ``actor``."""
    title, send_at = _validate(title, mode, send_at)
    ann = Announcement(
        author_email=actor,
        title=title,
        body_md=body_md,
        mode=str(AnnouncementMode(mode)),
        send_at=send_at,
        status=AnnouncementStatus.DRAFT,
        lists=_lists(session, lists),
    )
    session.add(ann)
    session.flush()
    audit(session, actor, "announcement.create", f"announcement:{ann.id}", title=title)
    if submit:
        return submit_for_review(session, ann, actor=actor)
    return ann


def update(
    session: Session,
    ann: Announcement,
    *,
    actor: str,
    title: str | None = None,
    body_md: str | None = None,
    lists: Sequence[MailingList | int | str] | None = None,
    mode: str | None = None,
    send_at: dt.datetime | None = None,
) -> Announcement:
    """Edit an announcement not yet approved; it becomes a draft again (out of review)."""
    if ann.status not in EDITABLE:
        raise AnnouncementError(
            f"announcement {ann.id} is {ann.status}; only one not yet approved can be edited"
        )
    new_mode = mode or ann.mode
    new_title, new_send_at = _validate(
        title if title is not None else ann.title,
        new_mode,
        send_at if send_at is not None else ann.send_at,
    )
    ann.title, ann.mode, ann.send_at = new_title, str(new_mode), new_send_at
    if body_md is not None:
        ann.body_md = body_md
    if lists is not None:
        ann.lists = _lists(session, lists)
    ann.status = AnnouncementStatus.DRAFT
    session.flush()
    audit(session, actor, "announcement.update", f"announcement:{ann.id}")
    return ann


def submit_for_review(session: Session, ann: Announcement, *, actor: str) -> Announcement:
    if ann.status not in EDITABLE or ann.status == AnnouncementStatus.SUBMITTED:
        raise AnnouncementError(f"announcement {ann.id} is {ann.status}; it cannot be submitted")
    if not ann.lists:
        raise AnnouncementError(f"announcement {ann.id} has no target list")
    ann.status = AnnouncementStatus.SUBMITTED
    ann.submitted_at = utcnow()
    session.flush()
    audit(session, actor, "announcement.submit", f"announcement:{ann.id}")
    return ann


def withdraw(session: Session, ann: Announcement, *, actor: str) -> Announcement:
    """The author takes it back before approval: it leaves the review queue and is never used."""
    if ann.status not in WITHDRAWABLE:
        raise AnnouncementError(
            f"announcement {ann.id} is {ann.status}; only one not yet approved can be withdrawn"
        )
    ann.status = AnnouncementStatus.WITHDRAWN
    session.flush()
    audit(session, actor, "announcement.withdraw", f"announcement:{ann.id}")
    return ann


def _review(
    session: Session, ann: Announcement, actor: str, status: str, note: str
) -> Announcement:
    if ann.status != AnnouncementStatus.SUBMITTED:
        raise AnnouncementError(
            f"announcement {ann.id} is {ann.status}; only submitted ones can be reviewed"
        )
    ann.status = status
    ann.reviewed_by = actor
    ann.review_note = note
    ann.reviewed_at = utcnow()
    session.flush()
    audit(session, actor, f"announcement.{status}", f"announcement:{ann.id}", note=note)
    return ann


def approve(session: Session, ann: Announcement, *, actor: str, note: str = "") -> Announcement:
    if (
        ann.mode == AnnouncementMode.STANDALONE
        and ann.send_at is not None
        and ann.send_at < utcnow()
    ):
        raise AnnouncementError(
            f"announcement {ann.id}: its send time {ann.send_at:%Y-%m-%d %H:%M} UTC has passed; "
            "ask the author to choose a new one"
        )
    return _review(session, ann, actor, AnnouncementStatus.APPROVED, note)


def reject(session: Session, ann: Announcement, *, actor: str, note: str) -> Announcement:
    if not note.strip():
        raise AnnouncementError("note: say why, so the author can fix it")
    return _review(session, ann, actor, AnnouncementStatus.REJECTED, note.strip())


def get(session: Session, announcement_id: int) -> Announcement:
    ann = session.get(Announcement, announcement_id)
    if ann is None:
        raise AnnouncementError(f"no announcement with id {announcement_id}")
    return ann


def due_standalone(session: Session, now: dt.datetime) -> list[Announcement]:
    """Approved standalone announcements whose time has come (for the scheduler)."""
    return list(
        session.scalars(
            select(Announcement)
            .where(
                Announcement.status == AnnouncementStatus.APPROVED,
                Announcement.mode == AnnouncementMode.STANDALONE,
                Announcement.send_at <= now,
            )
            .order_by(Announcement.send_at, Announcement.id)
        )
    )
