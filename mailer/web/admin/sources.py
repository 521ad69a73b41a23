"""Admin: the news and events feeds we ingest: their state, enable, disable, fetch now.

The rules are the content package's: ``mailer.content.sources`` (enable and
disable, audited) and ``mailer.content.ingest.ingest_source`` (one fetch
with the deadline, size and redirect caps of every fetch; a failure is
recorded on the source, never raised). "Fetch now" runs in the request: one
source costs at most its fetch deadline, and the page then shows what it got.
Times are the office's (``default_timezone``): a feed belongs to no list.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from mailer.content.ingest import ingest_source
from mailer.content.models import Source
from mailer.content.sources import list_sources, set_enabled
from mailer.db import audit
from mailer.web.auth import actor
from mailer.web.blueprints import admin_bp as bp
from mailer.web.db import db, session_factory
from mailer.web.forms import EmptyForm


@bp.route("/sources/")
def sources() -> str:
    return render_template(
        "web/admin/sources.html",
        sources=list_sources(db()),
        zone=current_app.extensions["mailer.settings"].default_timezone,
    )


def _source(source_id: int) -> Source:
    source = db().get(Source, source_id)
    if source is None or not source.url:
        abort(404)  # the ``manual`` pseudo-sources are not feeds
    return source


def _toggle(source_id: int, enabled: bool) -> Response:
    if not EmptyForm().validate_on_submit():
        abort(400)
    session = db()
    source = _source(source_id)
    set_enabled(session, source, enabled, actor=actor())
    session.commit()
    state = "fetched again from the next run" if enabled else "no longer fetched; its items stay"
    flash(f"{source.name} is {state}.", "success")
    return redirect(url_for("admin.sources"))


@bp.route("/sources/<int:source_id>/enable", methods=["POST"])
def source_enable(source_id: int) -> Response:
    return _toggle(source_id, True)


@bp.route("/sources/<int:source_id>/disable", methods=["POST"])
def source_disable(source_id: int) -> Response:
    return _toggle(source_id, False)


@bp.route("/sources/<int:source_id>/fetch", methods=["POST"])
def source_fetch(source_id: int) -> Response:
    if not EmptyForm().validate_on_submit():
        abort(400)
    session = db()
    _source(source_id)  # 404 for no such feed
    # Nothing held open while the fetch stores (SQLite takes its write lock at BEGIN).
    session.rollback()
    report = ingest_source(session_factory(), current_app.extensions["mailer.settings"], source_id)
    audit(session, actor(), "source.fetch", f"source:{source_id}", status=report.status)
    session.commit()
    flash(report.line(), "error" if report.status == "failing" else "success")
    return redirect(url_for("admin.sources"))
