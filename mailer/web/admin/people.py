"""Admin: import and export CSV, suppress and forget a person.

The rules are the audience package's (``subscribers.imports``,
``subscribers.exports``, ``subscribers.suppression``, ``subscribers.service.forget``);
these views only take the file or the click and show the same report as
``mailer subscribers import``. An upload is kept in a private temporary
folder only for the import; its rejects CSV stays there so the admin can
download it, under a random name no other user can guess.
"""

from __future__ import annotations

import contextlib
import io
import re
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from mailer.web.auth import actor
from mailer.web.blueprints import admin_bp as bp
from mailer.web.db import db, session_factory
from mailer.web.forms import ForgetForm, ImportForm, SuppressForm, choices
from subscribers import service
from subscribers.csvfile import ImportFailed
from subscribers.exports import export_csv
from subscribers.imports import import_csv
from subscribers.models import MailingList, Subscriber, SubscriptionStatus, SuppressionReason

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


KEEP_REJECTS = 24 * 3600  # seconds a rejects file stays downloadable


def imports_dir() -> Path:
    """Where uploads and their rejects live (mode 0700, under the system temp folder).

    Files older than a day are removed whenever an import starts.
    """
    path = Path(tempfile.gettempdir()) / "mailer-web-imports"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def _sweep(folder: Path) -> None:
    cutoff = time.time() - KEEP_REJECTS
    for old in folder.glob("*.csv"):
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < cutoff:
                old.unlink()


def _lists() -> list[MailingList]:
    return list(db().scalars(select(MailingList).order_by(MailingList.name)))


@bp.route("/subscribers/import", methods=["GET", "POST"])
def subscribers_import() -> Any:
    lists = _lists()
    form = ImportForm()
    form.mailing_list.choices = choices([(m.slug, m.name) for m in lists])
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("web/admin/import.html", form=form, report=None), status
    mlist = next(m for m in lists if m.slug == form.mailing_list.data)
    _sweep(imports_dir())
    key = secrets.token_urlsafe(18)
    upload = imports_dir() / f"{key}.csv"
    rejects = imports_dir() / f"{key}.rejects.csv"
    form.file.data.save(upload)
    # The import commits chunk by chunk in its own sessions; end this request's
    # transaction first (on SQLite it holds the write lock), keeping the list loaded.
    # (Rollback expires every loaded object: read what the import needs first.)
    who = actor()
    session = db()
    session.expunge(mlist)
    session.rollback()
    try:
        report = import_csv(
            session_factory(),
            upload,
            mlist,
            confirmed=bool(form.confirmed.data),
            override_reason=(form.override_reason.data or "").strip() or None,
            actor=who,
            rejects_path=rejects,
        )
    except ImportFailed as exc:
        form.file.errors = [f"{form.file.data.filename}: {exc}."]
        rejects.unlink(missing_ok=True)
        return render_template("web/admin/import.html", form=form, report=None), 400
    finally:
        upload.unlink(missing_ok=True)
    if not report.rejected:
        rejects.unlink(missing_ok=True)
    return render_template(
        "web/admin/import.html",
        form=form,
        report=report,
        mailing_list=mlist,
        key=key if report.rejected else "",
        filename=form.file.data.filename or "upload.csv",
    )


@bp.route("/subscribers/import/<key>/rejects.csv")
def subscribers_import_rejects(key: str) -> Response:
    path = imports_dir() / f"{key}.rejects.csv"
    if not KEY_RE.match(key) or not path.is_file():
        abort(404)
    return send_file(path, mimetype="text/csv", as_attachment=True, download_name="rejects.csv")


@bp.route("/subscribers/export")
def subscribers_export() -> Response:
    """The list as CSV: the columns the import reads, so a round trip changes nothing."""
    mlist = db().scalar(select(MailingList).where(MailingList.slug == request.args.get("list", "")))
    if mlist is None:
        abort(404, "Choose a list to export (?list=<slug>).")
    status = request.args.get("status", "")
    statuses = [status] if status in {s.value for s in SubscriptionStatus} else None
    out = io.StringIO()
    export_csv(db(), mlist, out, statuses=statuses)
    data = io.BytesIO(out.getvalue().encode("utf-8"))
    return send_file(
        data, mimetype="text/csv", as_attachment=True, download_name=f"{mlist.slug}.csv"
    )


def _person(subscriber_id: int) -> Subscriber:
    person = db().get(Subscriber, subscriber_id)
    if person is None:
        abort(404)
    return person


@bp.route("/subscribers/<int:subscriber_id>/suppress", methods=["POST"])
def subscriber_suppress(subscriber_id: int) -> Response:
    form = SuppressForm()
    if not form.validate_on_submit():
        abort(400)
    session = db()
    person = _person(subscriber_id)
    service.suppress(
        session,
        person.email,
        SuppressionReason.MANUAL,
        (form.note.data or "").strip(),
        actor=actor(),
    )
    session.commit()
    flash(f"{person.email} is suppressed: no mail goes to it from any list.", "success")
    return redirect(url_for("admin.subscriber", subscriber_id=subscriber_id))


@bp.route("/subscribers/<int:subscriber_id>/unsuppress", methods=["POST"])
def subscriber_unsuppress(subscriber_id: int) -> Response:
    form = SuppressForm()
    if not form.validate_on_submit():
        abort(400)
    session = db()
    person = _person(subscriber_id)
    service.unsuppress(session, person.email, actor=actor(), note=(form.note.data or "").strip())
    session.commit()
    flash(f"{person.email} is no longer suppressed.", "success")
    return redirect(url_for("admin.subscriber", subscriber_id=subscriber_id))


@bp.route("/subscribers/<int:subscriber_id>/forget", methods=["POST"])
def subscriber_forget(subscriber_id: int) -> Any:
    form = ForgetForm()
    session = db()
    person = _person(subscriber_id)
    typed = (form.confirm_email.data or "").strip().lower()
    if form.validate_on_submit() and typed == person.email.lower():
        email = person.email
        service.forget(session, email, actor=actor())
        session.commit()
        flash(f"{email} is forgotten; only a hash stays, so no import can add it back.", "success")
        return redirect(url_for("admin.subscribers"))
    if not form.confirm_email.errors:
        form.confirm_email.errors = ["Type the subscriber's address exactly to confirm."]
    from mailer.web.admin.subscribers import subscriber_page

    return subscriber_page(person, forget_form=form), 400
