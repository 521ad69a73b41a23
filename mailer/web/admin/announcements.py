"""Admin: the announcements staff have queued, with their body as readers will see it.

Approve and reject (with a note to the author) call ``mailer.content``'s
review functions once they exist (``mailer.web.integration``); this page is
the queue they act on.
"""

from __future__ import annotations

from flask import abort, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from mailer.content.models import Announcement, AnnouncementStatus
from mailer.web.admin import bp
from mailer.web.db import db
from mailer.web.markdown import render_markdown


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
        "web/admin/announcements.html", announcements=rows, status=status, statuses=statuses
    )


@bp.route("/announcements/<int:announcement_id>")
def announcement(announcement_id: int) -> str:
    item = db().scalar(
        select(Announcement)
        .where(Announcement.id == announcement_id)
        .options(selectinload(Announcement.lists))
    )
    if item is None:
        abort(404)
    return render_template(
        "web/admin/announcement.html", item=item, body_html=render_markdown(item.body_md)
    )
