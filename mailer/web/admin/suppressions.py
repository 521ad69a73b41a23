"""Admin: the suppression list (addresses no send ever reaches), searched, added to, lifted.

The rules are the audience package's (``subscribers.suppression``): the
search is ``suppression_search``, adding is ``service.suppress`` and lifting
``service.unsuppress``, each audited there with the admin as actor. A
forgotten person's row (only a hash) cannot be lifted here: lifting it would
undo the erasure's promise that no import brings them back.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from mailer.web.admin.newest import newest_first
from mailer.web.admin.record_forms import SuppressionAddForm, SuppressionRemoveForm
from mailer.web.auth import actor
from mailer.web.blueprints import admin_bp as bp
from mailer.web.db import db
from mailer.web.params import int_arg
from subscribers import service
from subscribers.models import Suppression, SuppressionReason
from subscribers.suppression import suppression_search, suppression_sources

REASONS = [r.value for r in SuppressionReason]


def _page(add_form: SuppressionAddForm, status: int = 200) -> tuple[str, int]:
    q = request.args.get("q", "")[:320]
    reason = request.args.get("reason", "")
    if reason and reason not in REASONS:
        abort(400, f"reason: use one of {', '.join(REASONS)}.")
    session = db()
    page = newest_first(session, suppression_search(q, reason), Suppression.id, int_arg("before"))
    return render_template(
        "web/admin/suppressions.html",
        page=page,
        q=q,
        reason=reason,
        reasons=REASONS,
        sources=suppression_sources(session, (r.address for r in page.rows)),
        add_form=add_form,
        zone=current_app.extensions["mailer.settings"].default_timezone,
    ), status


@bp.route("/suppressions/")
def suppressions() -> tuple[str, int]:
    return _page(SuppressionAddForm(formdata=None))


@bp.route("/suppressions/add", methods=["POST"])
def suppression_add() -> Any:
    form = SuppressionAddForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    session = db()
    address = form.email.data or ""
    row = service.suppress(
        session,
        address,
        SuppressionReason.MANUAL,
        (form.note.data or "").strip(),
        actor=actor(),
    )
    session.commit()
    if row.reason != SuppressionReason.MANUAL:
        flash(f"{row.address} was already suppressed ({row.reason}).", "success")
    else:
        flash(f"{row.address} is suppressed: no mail goes to it from any list.", "success")
    return redirect(url_for("admin.suppressions", q=row.address))


@bp.route("/suppressions/<int:suppression_id>/remove", methods=["POST"])
def suppression_remove(suppression_id: int) -> Response:
    form = SuppressionRemoveForm()
    session = db()
    row = session.get(Suppression, suppression_id)
    if row is None:
        abort(404)
    if row.reason == SuppressionReason.FORGOTTEN:
        abort(409, "A forgotten person's suppression stays: it is all that is left of them.")
    if not form.validate_on_submit():
        for error in form.note.errors:
            flash(f"{row.address}: {error}", "error")
        return redirect(url_for("admin.suppressions", q=row.address))
    address = row.address
    service.unsuppress(session, address, actor=actor(), note=(form.note.data or "").strip())
    session.commit()
    flash(f"{address} is no longer suppressed (nobody was re-subscribed).", "success")
    return redirect(url_for("admin.suppressions"))
