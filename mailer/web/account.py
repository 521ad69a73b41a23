"""Staff and admins: change one's own password.

Changing it ends every other session of the account (``auth.set_password``
bumps the user's session version, checked on each request), keeps this one,
and counts a wrong current password as a failed login for the throttle.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from mailer import auth
from mailer.db import audit
from mailer.web import ratelimit
from mailer.web.auth import client_ip, current_user, start_session
from mailer.web.blueprints import staff_bp as bp
from mailer.web.db import db
from mailer.web.display import sentence
from mailer.web.forms import PasswordChangeForm


@bp.route("/account", methods=["GET", "POST"])
def account() -> Any:
    user = current_user()
    assert user is not None  # the blueprint's guard
    form = PasswordChangeForm()
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        s = db()
        wait = ratelimit.LOGIN_THROTTLE.retry_after(s, client_ip(), user.email)
        if wait:
            form.current.errors = [ratelimit.wait_message(wait)]
            status = 429
        elif not auth.verify_password(user.password_hash, form.current.data or ""):
            ratelimit.LOGIN_THROTTLE.record(s, client_ip(), user.email, note="password change")
            s.commit()
            form.current.errors = ["This is not your current password."]
        else:
            try:
                auth.set_password(user, form.new.data or "")
            except auth.PasswordPolicyError as exc:
                form.new.errors = [sentence(exc)]
            else:
                audit(s, user.email, "user.password", f"user:{user.email}")
                s.commit()
                start_session(user)  # this browser goes on at the new version
                flash("Your password is changed. Other sessions have been logged out.", "success")
                return redirect(url_for("staff.account"))
    return render_template("web/staff/account.html", form=form), status
