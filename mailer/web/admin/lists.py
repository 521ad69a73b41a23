"""Admin: mailing lists (create, edit, visibility, opt-in, sender, schedule)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from wtforms import BooleanField

from mailer.db import audit
from mailer.web.admin import bp
from mailer.web.auth import actor
from mailer.web.db import db
from mailer.web.forms import WEEKDAYS, ListForm, timezone_names
from subscribers.models import MailingList, Subscription, SubscriptionStatus

FIELDS = (
    "slug",
    "name",
    "description",
    "public",
    "double_opt_in",
    "from_name",
    "from_email",
    "reply_to",
    "timezone",
    "digest_enabled",
    "digest_time",
    "archive",
)


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


def _save(form: ListForm, mlist: MailingList) -> None:
    """Copy the form onto the list; a text field left out of the request is stored empty.

    By the field's kind, not the value's: a scripted POST without ``from_email``
    gives ``None``, which must not become ``False`` (stored as "0", and mail went
    out ``From: <0>``). Empty means the default sender applies.
    """
    for name in FIELDS:
        field = getattr(form, name)
        if isinstance(field, BooleanField):
            setattr(mlist, name, bool(field.data))
        else:
            setattr(mlist, name, (field.data or "").strip())
    mlist.digest_weekday = int(form.digest_weekday.data or 0)


def _slug_taken(slug: str, own_id: int | None) -> bool:
    other = db().scalar(select(MailingList.id).where(MailingList.slug == slug))
    return other is not None and other != own_id


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
        if _slug_taken(form.slug.data or "", None):
            form.slug.errors = ["Another list already uses this slug."]
        else:
            session = db()
            mlist = MailingList()
            _save(form, mlist)
            session.add(mlist)
            session.flush()
            audit(session, actor(), "list.create", f"list:{mlist.slug}")
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
        if _slug_taken(form.slug.data or "", mlist.id):
            form.slug.errors = ["Another list already uses this slug."]
        else:
            before = {name: getattr(mlist, name) for name in (*FIELDS, "digest_weekday")}
            _save(form, mlist)
            changed = {
                k: [v, getattr(mlist, k)] for k, v in before.items() if getattr(mlist, k) != v
            }
            audit(session, actor(), "list.update", f"list:{mlist.slug}", changes=changed)
            session.commit()
            flash(f"List “{mlist.name}” saved.", "success")
            return redirect(url_for("admin.lists"))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "web/admin/list_form.html", form=form, mailing_list=mlist, zones=timezone_names()
    ), status
