"""Staff: queue announcements (with a live preview as mailed) and preview the coming digest.

The state machine and its checks are ``mailer.content.announcements``'s;
Markdown is rendered and sanitised by ``mailer.content.markup``; the preview
is the real announcement email (``mailer.compose.render``) for a sample
reader, shown in a sandboxed frame because mail needs inline styles that
this site's policy forbids on its own pages.

Staff see and edit only their own announcements; admins review them in the
admin console.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from mailer.compose.render import TemplateProblem
from mailer.config import Settings
from mailer.content import announcements as content
from mailer.content.models import Announcement, AnnouncementMode
from mailer.delivery.preview import Edition
from mailer.web import integration
from mailer.web.auth import actor, current_user, has_role
from mailer.web.blueprints import staff_bp as bp
from mailer.web.db import db
from mailer.web.display import sentence
from mailer.web.forms import AnnouncementForm, EmptyForm, choices
from mailer.web.outcomes import sends_for
from mailer.web.params import date_arg, ids_from, int_arg
from mailer.web.security import EDITION_CSP
from mailer.web.topic_fields import (
    NOTHING_FOR_THEM,
    picked_variant,
    save_announcement_topics,
    topic_groups,
)
from subscribers import lists as list_rules
from subscribers.models import MailingList


def _settings() -> Settings:
    settings: Settings = current_app.extensions["mailer.settings"]
    return settings


def _all_lists() -> list[MailingList]:
    return list(db().scalars(select(MailingList).order_by(MailingList.name)))


def _form(lists: list[MailingList], obj: Any = None) -> AnnouncementForm:
    form = AnnouncementForm(obj=obj)
    form.lists.choices = choices([(m.id, m.name) for m in lists])  # type: ignore[misc]
    return form


def _own(announcement_id: int) -> Announcement:
    """The announcement, if the user wrote it (admins may open any)."""
    item = db().scalar(
        select(Announcement)
        .where(Announcement.id == announcement_id)
        .options(selectinload(Announcement.lists))
    )
    user = current_user()
    if item is None or user is None:
        abort(404)
    if item.author_email != user.email and not has_role(user, "admin"):
        abort(404)
    return item


def _send_at(form: AnnouncementForm) -> dt.datetime | None:
    if form.mode.data != AnnouncementMode.STANDALONE:
        return None
    assert form.send_on.data is not None and form.send_time.data is not None
    zone = ZoneInfo(form.timezone.data or _settings().default_timezone)
    return dt.datetime.combine(form.send_on.data, form.send_time.data, tzinfo=zone)


def _field_error(form: AnnouncementForm, exc: content.AnnouncementError) -> None:
    """``AnnouncementError`` messages start with the field name: put them next to it."""
    field, _, message = str(exc).partition(": ")
    target = {"send_at": form.send_on, "lists": form.lists, "mode": form.mode}.get(
        field, getattr(form, field, None)
    )
    if target is None or not message:
        target, message = form.title, str(exc)
    target.errors = [*target.errors, sentence(message)]


def _save(form: AnnouncementForm, item: Announcement | None) -> Announcement | None:
    """Create or update from the form, then submit if asked; None (errors shown) if refused."""
    session = db()
    submit = "submit" in request.form
    try:
        if item is None:
            item = content.create(
                session,
                actor=actor(),
                title=form.title.data or "",
                body_md=form.body_md.data or "",
                lists=list(form.lists.data or []),
                mode=form.mode.data or AnnouncementMode.DIGEST,
                send_at=_send_at(form),
                submit=submit,
            )
        else:
            content.update(
                session,
                item,
                actor=actor(),
                title=form.title.data or "",
                body_md=form.body_md.data or "",
                lists=list(form.lists.data or []),
                mode=form.mode.data or AnnouncementMode.DIGEST,
                send_at=_send_at(form),
            )
            if submit:
                content.submit_for_review(session, item, actor=actor())
    except content.AnnouncementError as exc:
        session.rollback()
        _field_error(form, exc)
        return None
    save_announcement_topics(session, item.id, ids_from(request.form.getlist("topics")))
    session.commit()
    return item


@bp.route("/announcements/")
def announcements() -> str:
    user = current_user()
    assert user is not None
    rows = list(
        db().scalars(
            select(Announcement)
            .where(Announcement.author_email == user.email)
            .options(selectinload(Announcement.lists))
            .order_by(Announcement.id.desc())
            .limit(100)
        )
    )
    return render_template(
        "web/staff/announcements.html", announcements=rows, sends=sends_for(db(), rows)
    )


@bp.route("/announcements/new", methods=["GET", "POST"])
def announcement_new() -> Any:
    lists = _all_lists()
    form = _form(lists)
    if request.method == "GET":
        form.timezone.data = _settings().default_timezone
    elif form.validate_on_submit():
        item = _save(form, None)
        if item is not None:
            flash(f"“{item.title}” is {item.status}.", "success")
            return redirect(url_for("staff.announcement", announcement_id=item.id))
    status = 400 if request.method == "POST" else 200
    groups = topic_groups(db(), None, ids_from(request.form.getlist("topics")))
    page = render_template(
        "web/staff/announcement_form.html", form=form, item=None, topic_groups=groups
    )
    return page, status


@bp.route("/announcements/<int:announcement_id>", methods=["GET", "POST"])
def announcement(announcement_id: int) -> Any:
    item = _own(announcement_id)
    lists = _all_lists()
    form = _form(lists, obj=item)
    editable = item.status in content.EDITABLE
    if request.method == "GET":
        form.lists.data = [m.id for m in item.lists]
        zone = ZoneInfo(_settings().default_timezone)
        form.timezone.data = zone.key
        if item.send_at is not None:
            local = item.send_at.astimezone(zone)
            form.send_on.data, form.send_time.data = local.date(), local.time()
    elif not editable:
        flash(f"“{item.title}” is {item.status} and can no longer be changed.", "error")
        return redirect(url_for("staff.announcement", announcement_id=item.id))
    elif form.validate_on_submit() and _save(form, item) is not None:
        flash(f"“{item.title}” is {item.status}.", "success")
        return redirect(url_for("staff.announcement", announcement_id=item.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "web/staff/announcement_form.html",
        form=form,
        item=item,
        editable=editable,
        withdrawable=item.status in content.WITHDRAWABLE,
        withdraw_form=EmptyForm(),
        sends=sends_for(db(), [item]),
        topic_groups=topic_groups(
            db(),
            item.id,
            ids_from(request.form.getlist("topics")) if request.method == "POST" else None,
        ),
    ), status


@bp.route("/announcements/<int:announcement_id>/withdraw", methods=["POST"])
def announcement_withdraw(announcement_id: int) -> Response:
    """The author takes an announcement back before it is approved."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    item = _own(announcement_id)
    session = db()
    try:
        content.withdraw(session, item, actor=actor())
    except content.AnnouncementError as exc:
        session.rollback()
        flash(sentence(exc), "error")
    else:
        session.commit()
        flash(f"“{item.title}” is withdrawn: it will not be reviewed or sent.", "success")
    return redirect(url_for("staff.announcement", announcement_id=announcement_id))


def _framed(html: str) -> Response:
    """An email document for the sandboxed preview frame (inline styles, no script)."""
    response = current_app.make_response(html)
    response.headers["Content-Security-Policy"] = EDITION_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/announcements/preview", methods=["GET", "POST"])
def announcement_preview() -> Response:
    """The announcement email as a reader will get it, for the form's preview frame.

    The form's script posts the form here as the author types (CSRF token
    included); a GET gives the empty frame its first page.
    """
    form = request.form
    lists = _all_lists()
    wanted = ids_from(form.getlist("lists"))
    title, body = form.get("title", "")[:300], form.get("body_md", "")[:20000]
    stored = int_arg("id")
    if request.method == "GET" and stored is not None:
        item = _own(stored)
        title, body, wanted = item.title, item.body_md, {m.id for m in item.lists}
    chosen = [m for m in lists if m.id in wanted] or lists[:1]
    settings = _settings()
    mailing_list = chosen[0] if chosen else MailingList(id=0, slug="preview", name="Preview")
    try:
        html = integration.announcement_preview(settings, mailing_list, title, body)
    except TemplateProblem as exc:
        html = f"<!doctype html><title>Preview</title><p>The template failed: {exc}</p>"
    return _framed(html)


@bp.route("/digest/")
def digests() -> str:
    return render_template("web/staff/digests.html", lists=_all_lists())


def _list(slug: str) -> MailingList:
    mlist = db().scalar(select(MailingList).where(MailingList.slug == slug))
    if mlist is None:
        abort(404)
    return mlist


def _template_failed(exc: TemplateProblem) -> tuple[str, int]:
    return render_template(
        "web/error.html",
        code=500,
        title="The digest template failed",
        message=f"{exc} Fix the template (MAILER_TEMPLATES_DIR) and reload.",
    ), 500


def _picked_edition(mlist: MailingList) -> Edition:
    """The edition for ``?date=`` (its week), else the coming one; 400 for a bad date."""
    on = date_arg("date", list_rules.list_today(mlist, default=_settings().default_timezone))
    return integration.digest_preview(db(), _settings(), mlist, on)


@bp.route("/digest/<slug>")
def digest_preview(slug: str) -> Any:
    mlist = _list(slug)
    try:
        edition = _picked_edition(mlist)
    except TemplateProblem as exc:
        return _template_failed(exc)
    return render_template(
        "web/staff/digest_preview.html",
        mailing_list=mlist,
        edition=edition,
        picked=request.args.get("date", ""),
        variant=request.args.get("variant", ""),
    )


@bp.route("/digest/<slug>/content")
def digest_preview_content(slug: str) -> Any:
    """The edition as a sample reader gets it, for the preview page's frame."""
    try:
        edition = _picked_edition(_list(slug))
    except TemplateProblem as exc:
        return _template_failed(exc)
    snapshot = picked_variant(edition, request.args.get("variant", ""))
    if snapshot is None:
        return _framed(NOTHING_FOR_THEM)
    return _framed(integration.sample_html(snapshot, _settings()))
