"""Admin: add one subscriber, or edit one (name, attributes, lists, status).

The rules are ``subscribers.editing``'s (consent through
``service.add_subscriber``, source "admin", overrides audited); a refusal is
shown next to the field and nothing is saved.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from mailer.web.admin.subscribers import all_lists
from mailer.web.auth import actor
from mailer.web.blueprints import admin_bp as bp
from mailer.web.db import db
from mailer.web.display import sentence
from mailer.web.forms import choices
from mailer.web.people_forms import ATTRIBUTES_HINT, SubscriberAddForm, SubscriberEditForm
from subscribers import editing
from subscribers.addresses import InvalidAddress
from subscribers.models import MailingList, Subscriber, Subscription
from subscribers.service import ConsentRefused

STATE_LABELS = {
    "": "not subscribed",
    "pending": "pending (waits for confirmation)",
    "confirmed": "confirmed",
    "unsubscribed": "unsubscribed",
}


@bp.route("/subscribers/new", methods=["GET", "POST"])
def subscriber_new() -> Any:
    lists = all_lists()
    form = SubscriberAddForm()
    form.lists.choices = choices([(m.slug, m.name) for m in lists])
    if form.validate_on_submit():
        session = db()
        chosen = [m for m in lists if m.slug in (form.lists.data or [])]
        try:
            attributes = editing.parse_attributes(form.attributes.data or "")
            person = editing.add_person(
                session,
                form.email.data or "",
                name=form.name.data or "",
                attributes=attributes,
                lists=chosen,
                confirmed=bool(form.confirmed.data),
                override_reason=(form.override_reason.data or "").strip() or None,
                actor=actor(),
            )
        except ValueError as exc:  # ConsentRefused, InvalidAddress, bad attributes
            session.rollback()
            _show_error(form, exc)
        else:
            session.commit()
            flash(f"{person.email} is saved.", "success")
            return redirect(url_for("admin.subscriber", subscriber_id=person.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "web/admin/subscriber_new.html", form=form, attributes_hint=ATTRIBUTES_HINT
    ), status


def _show_error(form: Any, exc: ValueError) -> None:
    message = str(exc)
    if isinstance(exc, ConsentRefused):
        form.override_reason.errors = [sentence(message)]
        return
    if isinstance(exc, InvalidAddress) and hasattr(form, "email"):
        form.email.errors = [sentence(message)]
        return
    name, _, rest = message.partition(": ")
    target = getattr(form, name, None) if rest else None
    if target is None:
        target = form.override_reason
        rest = message
    target.errors = [sentence(rest)]


def _list_states(lists: list[MailingList]) -> dict[MailingList, str]:
    """The wanted state of each list from the form's ``list-<slug>`` selects (400 if forged)."""
    wanted: dict[MailingList, str] = {}
    for m in lists:
        value = request.form.get(f"list-{m.slug}")
        if value is None:
            continue
        if value not in editing.LIST_STATES:
            abort(400, f"list-{m.slug}: not a subscription state.")
        wanted[m] = value
    return wanted


@bp.route("/subscribers/<int:subscriber_id>/edit", methods=["GET", "POST"])
def subscriber_edit(subscriber_id: int) -> Any:
    session = db()
    person = session.get(Subscriber, subscriber_id)
    if person is None:
        abort(404)
    lists = all_lists()
    form = SubscriberEditForm()
    if request.method == "GET":
        form.name.data = person.name
        form.status.data = person.status
        form.attributes.data = editing.format_attributes(person.attributes)
    states = {
        s.list_id: s.status
        for s in session.scalars(
            select(Subscription).where(Subscription.subscriber_id == person.id)
        )
    }
    if form.validate_on_submit():
        try:
            changes = editing.update_person(
                session,
                person,
                name=form.name.data or "",
                attributes=editing.parse_attributes(form.attributes.data or ""),
                status=form.status.data,
                list_states=_list_states(lists),
                override_reason=(form.override_reason.data or "").strip() or None,
                actor=actor(),
            )
        except ValueError as exc:
            session.rollback()
            person = session.get(Subscriber, subscriber_id)
            if person is None:
                abort(404)
            _show_error(form, exc)
        else:
            session.commit()
            flash(
                f"{person.email} is saved." if changes else "Nothing changed.",
                "success" if changes else "info",
            )
            return redirect(url_for("admin.subscriber", subscriber_id=person.id))
    if request.method == "POST":
        states.update({m.id: v for m, v in _list_states(lists).items()})
    status = 400 if request.method == "POST" else 200
    return render_template(
        "web/admin/subscriber_edit.html",
        form=form,
        person=person,
        lists=lists,
        states=states,
        state_labels=STATE_LABELS,
        attributes_hint=ATTRIBUTES_HINT,
    ), status
