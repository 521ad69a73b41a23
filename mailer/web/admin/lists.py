"""Admin: mailing lists (create, edit, visibility, opt-in, sender, schedule)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from wtforms import BooleanField

from mailer.web.auth import actor
from mailer.web.blueprints import admin_bp as bp
from mailer.web.db import db
from mailer.web.display import sentence
from mailer.web.forms import WEEKDAYS, ListForm, timezone_names
from subscribers import lists as list_rules
from subscribers.models import MailingList, Subscription, SubscriptionStatus

#: The form's fields: every editable field of a list but the weekday (a select, read apart).
FIELDS = tuple(f for f in list_rules.EDITABLE if f != "digest_weekday")


@bp.route("/lists/")
def lists() -> str:
    session = db()
    counts = dict(
        session.execute(
            select(Subscription.list_id, func.count(Subscription.id))
            .where(Subscription.status == SubscriptionStatus.CONFIRMED)
            .group_by(Subscription.list_id)
        ).all()
    )
    rows = list(session.scalars(select(MailingList).order_by(MailingList.name)))
    return render_template("web/admin/lists.html", lists=rows, counts=counts, weekdays=WEEKDAYS)


def _fields(form: ListForm) -> dict[str, Any]:
    """The form's values; a text field left out of the request is stored empty.

    By the field's kind, not the value's: a scripted POST without ``from_email``
    gives ``None``, which must not become ``False`` (stored as "0", and mail went
    out ``From: <0>``). Empty means the default sender applies.
    """
    values: dict[str, Any] = {}
    for name in FIELDS:
        field = getattr(form, name)
        if isinstance(field, BooleanField):
            values[name] = bool(field.data)
        else:
            values[name] = (field.data or "").strip()
    values["digest_weekday"] = int(form.digest_weekday.data or 0)
    return values


def _field_error(form: ListForm, exc: list_rules.ListError) -> None:
    """A rule of ``subscribers.lists`` the form's validators did not catch (a taken slug)."""
    field = getattr(form, exc.field, form.slug)
    field.errors = [*field.errors, sentence(exc)]


@bp.route("/lists/new", methods=["GET", "POST"])
def list_new() -> Any:
    form = ListForm()
    if request.method == "GET":
        form.public.data = True
        form.double_opt_in.data = True
        form.archive.data = True
        form.digest_enabled.data = True
        form.timezone.data = "America/Chicago"
        form.digest_time.data = "07:00"
        form.digest_weekday.data = "0"
    if form.validate_on_submit():
        session = db()
        try:
            mlist = list_rules.create(session, actor(), **_fields(form))
        except list_rules.ListError as exc:
            session.rollback()
            _field_error(form, exc)
        else:
            session.commit()
            flash(f"List “{mlist.name}” created.", "success")
            return redirect(url_for("admin.lists"))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "web/admin/list_form.html", form=form, mailing_list=None, zones=timezone_names()
    ), status


@bp.route("/lists/<int:list_id>", methods=["GET", "POST"])
def list_edit(list_id: int) -> Any:
    session = db()
    mlist = session.get(MailingList, list_id)
    if mlist is None:
        abort(404)
    form = ListForm(obj=mlist)
    if request.method == "GET":
        form.digest_weekday.data = str(mlist.digest_weekday)
    if form.validate_on_submit():
        try:
            list_rules.update(session, mlist, actor(), **_fields(form))
        except list_rules.ListError as exc:
            session.rollback()
            _field_error(form, exc)
        else:
            session.commit()
            flash(f"List “{mlist.name}” saved.", "success")
            return redirect(url_for("admin.lists"))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "web/admin/list_form.html", form=form, mailing_list=mlist, zones=timezone_names()
    ), status
