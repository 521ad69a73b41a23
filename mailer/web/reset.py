"""``/reset/<token>``: choose a new password from a mailed one-time link (``mailer.resets``).

Public (the person cannot log in), but the link is signed, expires and works
once: setting the password bumps the account's session version, which the
link names. The page is never cached and never indexed; a bad link gets a
400 page saying to ask for a new one and changes nothing.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    session,
    url_for,
)

from mailer import auth, resets
from mailer.db import audit
from mailer.web.db import db
from mailer.web.display import sentence
from mailer.web.people_forms import ResetPasswordForm

bp = Blueprint("reset", __name__)

MAX_TOKEN = 400  # a real link's token is about 80 characters


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> Any:
    s = db()
    form = ResetPasswordForm()
    try:
        if len(token) > MAX_TOKEN:
            raise resets.ResetLinkError("this link is not valid")
        user = resets.user_for_reset(s, current_app.extensions["mailer.settings"], token)
    except resets.ResetLinkError as exc:
        return _private(render_template("web/reset.html", form=None, problem=sentence(exc)), 400)
    status = 200
    if form.validate_on_submit():
        try:
            auth.set_password(user, form.new.data or "")
        except auth.PasswordPolicyError as exc:
            form.new.errors = [sentence(exc)]
        else:
            audit(s, user.email, "user.password.reset", f"user:{user.email}")
            s.commit()
            session.clear()
            flash("Your new password is set. Log in with it.", "success")
            return redirect(url_for("auth.login"))
        status = 400
    elif form.is_submitted():
        status = 400
    return _private(render_template("web/reset.html", form=form, user=user, problem=""), status)


def _private(body: str, status: int) -> Any:
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
