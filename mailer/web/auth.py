"""Who is asking: the logged-in user of a browser session, and role checks.

Every staff and admin route is guarded at the blueprint level
(``require_role`` in ``before_request``), so a new view cannot forget its
check. Anonymous browsers are sent to the login page; a logged-in user with
the wrong role gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from mailer import auth
from mailer.users import Role, User
from mailer.web import ratelimit
from mailer.web.db import db

bp = Blueprint("auth", __name__)

ROLE_RANK = {Role.STAFF.value: 1, Role.ADMIN.value: 2}


def client_ip() -> str:
    """The peer address (put ProxyFix in front when behind a proxy, see docs/web.md)."""
    return request.remote_addr or ""


def load_user() -> None:
    """Before each request: the session's user, if still active and the session not ended.

    The cookie holds the user's id and their ``session_version`` at login;
    logout and a password change bump the stored version, so every cookie
    issued before (a copy saved by a browser, or stolen) is refused here.
    """
    g.user = None
    user_id = session.get("user_id")
    if user_id is None or request.endpoint == "static":
        return
    user = db().get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active or session.get("sv") != user.session_version:
        session.clear()
        return
    g.user = user


def start_session(user: User) -> None:
    """Bind this browser to ``user`` at their current session version (nothing secret in it)."""
    session.clear()
    session["user_id"] = user.id
    session["sv"] = user.session_version
    session.permanent = True


def current_user() -> User | None:
    user: User | None = g.get("user")
    return user


def has_role(user: User | None, role: str) -> bool:
    return user is not None and ROLE_RANK.get(user.role, 0) >= ROLE_RANK[role]


def require_role(role: str) -> Callable[[], Response | None]:
    """A ``before_request`` hook: login for anonymous users, 403 for a lesser role."""

    def check() -> Response | None:
        user = current_user()
        if user is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if not has_role(user, role):
            abort(403)
        return None

    return check


def safe_next(target: str | None) -> str:
    """Only a path on this site: never let ?next= send a user elsewhere."""
    if not target:
        return ""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return ""
    return target


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])


def home_for(user: User) -> str:
    return url_for("admin.home") if has_role(user, Role.ADMIN) else url_for("staff.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        ip = client_ip()
        session_db = db()
        wait = ratelimit.LOGIN_THROTTLE.retry_after(session_db, ip, email)
        if wait:
            form.email.errors = [ratelimit.wait_message(wait)]
            status = 429
        else:
            user = auth.authenticate(session_db, email, form.password.data or "")
            if user is None:
                ratelimit.LOGIN_THROTTLE.record(session_db, ip, email)
                session_db.commit()
                form.password.errors = ["The email or password is not correct."]
                status = 401
            else:
                session_db.commit()
                start_session(user)
                return redirect(safe_next(request.args.get("next")) or home_for(user))
    elif request.method == "POST":
        status = 400
    return render_template("web/login.html", form=form), status


class LogoutForm(FlaskForm):
    pass


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    form = LogoutForm()
    if form.validate_on_submit():
        user = current_user()
        if user is not None:
            # Server-side: every cookie of this user, wherever it was saved, ends too.
            auth.end_sessions(user)
            db().commit()
        session.clear()
        flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


def actor() -> str:
    """The audit log's name for whoever is acting in this request."""
    user = current_user()
    return user.email if user else f"ip:{client_ip()}"
