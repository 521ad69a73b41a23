"""The staff desk (login, staff or admin role).

The desk's home here; announcements and the digest preview in
``mailer.web.desk``, news and events in ``mailer.web.items``, the account
page in ``mailer.web.account``. Every route here is guarded by the
blueprint's ``before_request``.
"""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from mailer.content.models import Announcement
from mailer.web.auth import current_user
from mailer.web.blueprints import staff_bp as bp
from mailer.web.db import db
from mailer.web.outcomes import sends_for
from subscribers.models import MailingList


@bp.route("/")
def home() -> str:
    user = current_user()
    assert user is not None
    session = db()
    announcements = list(
        session.scalars(
            select(Announcement)
            .where(Announcement.author_email == user.email)
            .order_by(Announcement.created_at.desc())
            .limit(20)
        )
    )
    lists = list(session.scalars(select(MailingList).order_by(MailingList.name)))
    return render_template(
        "web/staff/home.html",
        announcements=announcements,
        lists=lists,
        sends=sends_for(session, announcements),
    )


# The news and events pages and the account page add their routes to ``bp``.
from mailer.web import account, content_edit, desk, items, staff_sources, tokens  # noqa: E402

__all__ = ["account", "bp", "content_edit", "desk", "items", "staff_sources", "tokens"]
