"""Admin: one action on the ticked subscribers or on everyone a search finds.

Add to a list, unsubscribe from one, suppress, forget: ``subscribers.selection``
does them with the single-person consent rules and writes one audit entry.
Forgetting, and any action on a whole search, first shows a page saying what
will happen to how many people; only its button (``confirm=yes``) acts.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from mailer.web.admin.subscribers import all_lists, read_search
from mailer.web.auth import actor
from mailer.web.blueprints import admin_bp as bp
from mailer.web.db import db
from mailer.web.forms import EmptyForm
from mailer.web.params import ids_from
from subscribers import search, selection
from subscribers.models import Subscriber

SAMPLE = 20
VERBS = {
    "add": "Add to {list}",
    "unsubscribe": "Unsubscribe from {list}",
    "suppress": "Suppress",
    "forget": "Forget",
}


@bp.route("/subscribers/bulk", methods=["POST"])
def subscribers_bulk() -> Any:
    if not EmptyForm().validate_on_submit():
        abort(400, "The form has expired. Reload the page and try again.")
    session = db()
    lists = all_lists()
    found = read_search(request.form, lists)
    back = url_for("admin.subscribers", **found.args())
    action = request.form.get("action", "")
    scope = request.form.get("scope", "")
    if action not in selection.ACTIONS or scope not in {"selected", "all"}:
        abort(400, "action: choose an action and whom it applies to.")
    target = next((m for m in lists if m.slug == request.form.get("target", "")), None)
    if action in {"add", "unsubscribe"} and target is None:
        flash("Choose the list to add them to or unsubscribe them from.", "error")
        return redirect(back)
    ids = sorted(ids_from(request.form.getlist("ids"))) if scope == "selected" else None
    if ids is not None and not ids:
        flash("Tick the subscribers to act on, or apply it to everyone found.", "error")
        return redirect(back)
    verb = VERBS[action].format(list=target.name if target else "")
    if request.form.get("confirm") != "yes" and (action == "forget" or scope == "all"):
        if ids is not None:
            people = list(
                session.scalars(
                    select(Subscriber.email).where(Subscriber.id.in_(ids)).limit(SAMPLE)
                )
            )
            total = search.Count(len(ids), True)
        else:
            people = list(
                session.scalars(
                    search.apply(select(Subscriber.email), found.criteria)
                    .order_by(Subscriber.id)
                    .limit(SAMPLE)
                )
            )
            total = search.count(session, found.criteria)
        return render_template(
            "web/admin/bulk_confirm.html",
            verb=verb,
            action=action,
            scope=scope,
            ids=ids or [],
            people=people,
            total=total,
            found=found,
            target=target,
            confirmed=request.form.get("confirmed", ""),
            note=request.form.get("note", "")[:500],
            back=back,
        )
    out = selection.run(
        session,
        action,
        ids=ids,
        criteria=found.criteria if ids is None else None,
        mailing_list=target,
        confirmed=request.form.get("confirmed") == "y",
        note=request.form.get("note", "")[:500].strip(),
        actor=actor(),
    )
    session.commit()
    flash(_report(verb, out), "success")
    return redirect(back)


def _report(verb: str, out: selection.Outcome) -> str:
    people = "subscriber" if out.changed == 1 else "subscribers"
    text = f"{verb}: done for {out.changed} {people}"
    if out.skipped:
        text += (
            f"; {out.skipped} left as they were (already so, or they left the list, are "
            "suppressed or blocklisted)"
        )
    return text + "."
