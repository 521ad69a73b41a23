"""Admin: the announcements staff have queued; approve or reject them with a note.

The body is shown as readers will see it (rendered and sanitised by
``mailer.content.markup``). Approval and rejection are
``mailer.content.announcements``'s, which check the state machine (only a
submitted announcement is reviewed; a standalone one whose time has passed
cannot be approved; a rejection needs a note) and audit each step.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from mailer.content import announcements as content
from mailer.content.markup import render_markdown
from mailer.content.models import Announcement, AnnouncementStatus
from mailer.web.auth import actor
from mailer.web.blueprints import admin_bp as bp
from mailer.web.db import db
from mailer.web.display import sentence
from mailer.web.forms import ReviewForm
from mailer.web.outcomes import sends_for


@bp.route("/announcements/")
def announcements() -> str:
    status = request.args.get("status", AnnouncementStatus.SUBMITTED.value)
    statuses = [s.value for s in AnnouncementStatus]
    if status not in statuses and status != "all":
        status = AnnouncementStatus.SUBMITTED.value
    query = select(Announcement).options(selectinload(Announcement.lists))
    if status != "all":
        query = query.where(Announcement.status == status)
    rows = list(db().scalars(query.order_by(Announcement.id.desc()).limit(100)))
    return render_template(
        "web/admin/announcements.html",
        announcements=rows,
        status=status,
        statuses=statuses,
        sends=sends_for(db(), rows),
    )


def _item(announcement_id: int) -> Announcement:
    item = db().scalar(
        select(Announcement)
        .where(Announcement.id == announcement_id)
        .options(selectinload(Announcement.lists))
    )
    if item is None:
        abort(404)
    return item


@bp.route("/announcements/<int:announcement_id>", methods=["GET", "POST"])
def announcement(announcement_id: int) -> Any:
    item = _item(announcement_id)
    form = ReviewForm()
    status = 200
    if request.method == "POST":
        status = 400
        decision = request.form.get("decision", "")
        if form.validate_on_submit() and decision in {"approve", "reject"}:
            session = db()
            note = (form.note.data or "").strip()
            try:
                if decision == "approve":
                    content.approve(session, item, actor=actor(), note=note)
                else:
                    content.reject(session, item, actor=actor(), note=note)
            except content.AnnouncementError as exc:
                session.rollback()
                text = str(exc)
                if not text.startswith("note: "):
                    # The state forbids it (already reviewed, send time passed): say so above.
                    flash(sentence(text), "error")
                    return redirect(url_for("admin.announcement", announcement_id=item.id))
                form.note.errors = [text[6:7].upper() + text[7:] + "."]
            else:
                session.commit()
                flash(f"“{item.title}” is {item.status}; the author sees your note.", "success")
                return redirect(url_for("admin.announcement", announcement_id=item.id))
        elif decision not in {"approve", "reject"}:
            form.note.errors = ["Choose approve or reject."]
    return render_template(
        "web/admin/announcement.html",
        item=item,
        body_html=render_markdown(item.body_md),
        form=form,
        reviewable=item.status == AnnouncementStatus.SUBMITTED,
        sends=sends_for(db(), [item]),
    ), status
