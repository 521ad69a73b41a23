"""Staff and admins: their own personal API tokens (create, shown once, revoke).

A new token is shown on the page that answers the POST, once, and never put in
the session cookie or a redirect; only its SHA-256 is stored
(``auth.create_personal_token``). The JSON API accepts it as
``Authorization: Bearer <token>`` with its owner's role.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from mailer import auth
from mailer.db import audit
from mailer.web.auth import current_user
from mailer.web.blueprints import staff_bp as bp
from mailer.web.db import db
from mailer.web.display import sentence
from mailer.web.forms import EmptyForm
from mailer.web.people_forms import TokenForm


@bp.route("/tokens", methods=["GET", "POST"])
def tokens() -> Any:
    user = current_user()
    assert user is not None  # the blueprint's guard
    session = db()
    form = TokenForm()
    created = ""
    status = 200
    if form.validate_on_submit():
        try:
            row, created = auth.create_personal_token(session, user, form.name.data or "")
        except ValueError as exc:
            form.name.errors = [sentence(str(exc).partition(": ")[2] or exc)]
            status = 400
        else:
            audit(session, user.email, "user.token.create", f"user:{user.email}", token=row.name)
            session.commit()
            form = TokenForm(formdata=None)
    elif request.method == "POST":
        status = 400
    return render_template(
        "web/staff/tokens.html",
        form=form,
        created=created,
        tokens=auth.personal_tokens(session, user),
        revoke_form=EmptyForm(formdata=None),
    ), status


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
def token_revoke(token_id: int) -> Response:
    if not EmptyForm().validate_on_submit():
        abort(400, "The form has expired. Reload the page and try again.")
    user = current_user()
    assert user is not None
    session = db()
    row = auth.revoke_personal_token(session, user, token_id)
    if row is None:
        abort(404)  # not theirs, or gone
    audit(session, user.email, "user.token.revoke", f"user:{user.email}", token=row.name)
    session.commit()
    flash(f"The token “{row.name}” no longer works.", "success")
    return redirect(url_for("staff.tokens"))
