"""The admin console (login, admin role): lists, sending, subscribers, campaigns, users.

One blueprint, one module per area; the role check is the blueprint's
``before_request``, so every admin route refuses staff (403) and anonymous
visitors (to the login page).
"""

from __future__ import annotations

from flask import Blueprint

from mailer.users import Role
from mailer.web.auth import require_role

bp = Blueprint("admin", __name__)
bp.before_request(require_role(Role.ADMIN))


@bp.route("/")
def home() -> str:
    """The console's landing page is the overview (mailer.web.overview), in the admin frame."""
    from mailer.web.overview import render_overview

    return render_overview()


# The area modules add their routes to ``bp``.
from mailer.web.admin import (  # noqa: E402
    announcements,
    campaigns,
    lists,
    people,
    sending,
    subscribers,
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
    "users",
]
