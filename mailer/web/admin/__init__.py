"""The admin console (login, admin role): lists, sending, subscribers, campaigns, users.

One blueprint, one module per area; the role check is the blueprint's
``before_request``, so every admin route refuses staff (403) and anonymous
visitors (to the login page).
"""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from mailer.content.models import Announcement, AnnouncementStatus
from mailer.delivery.models import Campaign, CampaignStatus
from mailer.users import Role
from mailer.web.auth import require_role
from mailer.web.db import db
from subscribers.models import MailingList

bp = Blueprint("admin", __name__)
bp.before_request(require_role(Role.ADMIN))


@bp.route("/")
def home() -> str:
    session = db()
    running = list(
        session.scalars(
            select(Campaign)
            .where(Campaign.status.in_([CampaignStatus.SENDING, CampaignStatus.PAUSED]))
            .order_by(Campaign.id.desc())
            .limit(10)
        )
    )
    waiting = session.scalar(
        select(func.count(Announcement.id)).where(
            Announcement.status == AnnouncementStatus.SUBMITTED
        )
    )
    lists = session.scalar(select(func.count(MailingList.id)))
    return render_template(
        "web/admin/home.html", running=running, waiting=waiting or 0, list_count=lists or 0
    )


# The area modules add their routes to ``bp``.
from mailer.web.admin import (  # noqa: E402
    announcements,
    campaigns,
    lists,
    people,
    sending,
    subscribers,
    topics,
    users,
)

__all__ = [
    "announcements",
    "bp",
    "campaigns",
    "lists",
    "people",
    "sending",
    "subscribers",
    "topics",
    "users",
]
