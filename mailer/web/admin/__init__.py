"""The admin console (login, admin role): lists, sending, subscribers, campaigns, users.

One blueprint, one module per area; the role check is the blueprint's
``before_request``, so every admin route refuses staff (403) and anonymous
visitors (to the login page).
"""

from __future__ import annotations

from mailer.web.blueprints import admin_bp as bp


@bp.route("/")
def home() -> str:
    """The console's landing page is the overview (mailer.web.overview), in the admin frame."""
    from mailer.web.overview import render_overview

    return render_overview()


# The area modules add their routes to ``bp``.
from mailer.web.admin import (  # noqa: E402
    announcements,
    audit,
    campaigns,
    feedback,
    lists,
    people,
    sending,
    sources,
    subscriber_bulk,
    subscriber_edit,
    subscribers,
    suppressions,
    topics,
    user_access,
    users,
)

__all__ = [
    "announcements",
    "audit",
    "bp",
    "campaigns",
    "feedback",
    "lists",
    "people",
    "sending",
    "sources",
    "subscriber_bulk",
    "subscriber_edit",
    "subscribers",
    "suppressions",
    "topics",
    "user_access",
    "users",
]
