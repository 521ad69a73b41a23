"""Admin: a user's access: mail a password reset link, revoke a personal API token.

"End all sessions" is ``mailer.web.admin.users``'. The reset mail goes out at
once through the transactional path; if it cannot be sent the page says so
and the failure is audited (``mail.failed``), as for a subscriber's
confirmation. Tokens are created by their owner (``/staff/tokens``), never
by an admin for someone else: a token is shown only to whoever made it.
"""

from __future__ import annotations

import logging

from flask import abort, current_app, flash, redirect, url_for
from werkzeug.wrappers import Response

from mailer import auth, resets
from mailer.db import audit
from mailer.delivery.backends import BackendError
from mailer.delivery.dkim import DkimError
from mailer.users import User
from mailer.web.auth import actor
from mailer.web.blueprints import admin_bp as bp
from mailer.web.db import db
from mailer.web.forms import EmptyForm

log = logging.getLogger(__name__)


def _user(user_id: int) -> User:
    if not EmptyForm().validate_on_submit():
        abort(400, "The form has expired. Reload the page and try again.")
    user = db().get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<int:user_id>/reset-link", methods=["POST"])
def user_reset_link(user_id: int) -> Response:
    """Mail the user a one-time link to choose a new password (their current one still works)."""
    return mail_reset_link(_user(user_id))


def mail_reset_link(user: User) -> Response:
    """Send ``user`` a reset link now and say how it went (a failure is audited)."""
    session = db()
    back = redirect(url_for("admin.user_edit", user_id=user.id))
    if not user.active:
        flash(f"{user.email} is deactivated; activate the account first.", "error")
        return back
    try:
        outcome = resets.send_reset_link(current_app.extensions["mailer.settings"], user)
    except (BackendError, DkimError, OSError, ValueError) as exc:
        log.error("could not mail a reset link to %s: %s", user.email, exc)
        outcome, detail = "error", str(exc)
    else:
        detail = ""
    if outcome != "sent":
        audit(
            session,
            "system",
            "mail.failed",
            f"user:{user.email}",
            kind="password_reset",
            outcome=outcome,
            error=detail,
        )
        session.commit()
        flash(
            f"The reset link could not be mailed to {user.email} ({outcome}). Check the mail "
            "settings, or run `mailer users reset-link --print` on the server.",
            "error",
        )
        return back
    audit(session, actor(), "user.reset_link", f"user:{user.email}")
    session.commit()
    hours = resets.RESET_MAX_AGE // 3600
    flash(
        f"A link to choose a password is on its way to {user.email}; it works once, "
        f"for {hours} hours.",
        "success",
    )
    return back


@bp.route("/users/<int:user_id>/tokens/<int:token_id>/revoke", methods=["POST"])
def user_token_revoke(user_id: int, token_id: int) -> Response:
    user = _user(user_id)
    session = db()
    row = auth.revoke_personal_token(session, user, token_id)
    if row is None:
        abort(404)
    audit(session, actor(), "user.token.revoke", f"user:{user.email}", token=row.name)
    session.commit()
    flash(f"The token “{row.name}” of {user.email} no longer works.", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/token/revoke", methods=["POST"])
def user_cli_token_revoke(user_id: int) -> Response:
    """Revoke the single token ``mailer users token`` issued."""
    user = _user(user_id)
    session = db()
    user.api_token_hash = None
    audit(session, actor(), "user.token.revoke", f"user:{user.email}", token="(command-line token)")
    session.commit()
    flash(f"The command-line token of {user.email} no longer works.", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))
