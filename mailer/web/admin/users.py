"""Admin: staff and admin accounts and their roles."""

from __future__ import annotations

import secrets
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from mailer import auth
from mailer.db import audit
from mailer.users import ApiToken, Role, User
from mailer.web.admin.user_access import mail_reset_link
from mailer.web.auth import actor, current_user
from mailer.web.blueprints import admin_bp as bp
from mailer.web.db import db
from mailer.web.display import sentence
from mailer.web.forms import EmptyForm, UserEditForm
from mailer.web.people_forms import UserInviteForm


@bp.route("/users/")
def users() -> str:
    session = db()
    rows = list(session.scalars(select(User).order_by(User.email)))
    counts = dict(
        session.execute(
            select(ApiToken.user_id, func.count(ApiToken.id)).group_by(ApiToken.user_id)
        ).all()
    )
    tokens = {u.id: counts.get(u.id, 0) + (1 if u.api_token_hash else 0) for u in rows}
    return render_template("web/admin/users.html", users=rows, tokens=tokens)


@bp.route("/users/new", methods=["GET", "POST"])
def user_new() -> Any:
    form = UserInviteForm()
    if form.validate_on_submit():
        session = db()
        invite = bool(form.invite.data)
        # An invited user's password is random and never shown: the mailed link sets theirs.
        password = secrets.token_urlsafe(24) if invite else form.password.data or ""
        try:
            user = auth.create_user(
                session,
                form.email.data or "",
                password,
                form.role.data or Role.STAFF,
                form.name.data or "",
            )
        except ValueError as exc:
            field, _, message = str(exc).partition(": ")
            target = getattr(form, field, form.email)
            target.errors = [sentence(message)]
        else:
            audit(
                session,
                actor(),
                "user.create",
                f"user:{user.email}",
                role=user.role,
                invited=invite,
            )
            session.commit()
            flash(f"Account {user.email} created with role {user.role}.", "success")
            if invite:
                return mail_reset_link(user)
            return redirect(url_for("admin.users"))
    status = 400 if request.method == "POST" else 200
    return render_template("web/admin/user_form.html", form=form, user=None), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int) -> Any:
    session = db()
    user = session.get(User, user_id)
    if user is None:
        abort(404)
    form = UserEditForm(obj=user)
    if form.validate_on_submit():
        me = current_user()
        demoting_self = (
            me is not None
            and me.id == user.id
            and (form.role.data != Role.ADMIN or not form.active.data)
        )
        if demoting_self:
            form.role.errors = ["You cannot remove your own admin role or deactivate yourself."]
        else:
            before = (user.role, user.active)
            user.name = (form.name.data or "").strip()
            user.role = form.role.data or Role.STAFF
            user.active = bool(form.active.data)
            if not user.active:
                user.api_token_hash = None
            audit(
                session,
                actor(),
                "user.update",
                f"user:{user.email}",
                before={"role": before[0], "active": before[1]},
                after={"role": user.role, "active": user.active},
            )
            session.commit()
            flash(f"Account {user.email} saved.", "success")
            return redirect(url_for("admin.users"))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "web/admin/user_form.html",
        form=form,
        user=user,
        end_form=EmptyForm(),
        tokens=auth.personal_tokens(session, user),
    ), status


@bp.route("/users/<int:user_id>/end-sessions", methods=["POST"])
def user_end_sessions(user_id: int) -> Response:
    """Log the account out everywhere (a lost laptop, a shared browser): its cookies stop."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    session = db()
    user = session.get(User, user_id)
    if user is None:
        abort(404)
    auth.end_sessions(user)
    audit(session, actor(), "user.sessions.end", f"user:{user.email}")
    session.commit()
    flash(f"Every session of {user.email} has ended.", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))
