"""Admin: starting a digest send, deliberately.

"Create and send" on the Lists table opens a page that says what would go
out (the list, this week's subject, how many people get it) and asks to
confirm with a POST button (CSRF token and the edition key shown). A POST
that did not come from that page, or that confirms an edition other than
this week's (the week turned meanwhile), sends nothing and shows the page
again.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from mailer.compose.render import TemplateProblem
from mailer.web import integration
from mailer.web.auth import actor
from mailer.web.blueprints import admin_bp as bp
from mailer.web.db import db
from mailer.web.forms import EmptyForm
from subscribers.models import MailingList

STARTABLE = frozenset({"draft", "scheduled"})


def _list(list_id: int) -> MailingList:
    mlist = db().get(MailingList, list_id)
    if mlist is None:
        abort(404)
    return mlist


@bp.route("/lists/<int:list_id>/digest", methods=["GET"])
def list_digest_confirm(list_id: int) -> Any:
    """What this week's digest would be and who would get it; a button to confirm."""
    mlist = _list(list_id)
    settings = current_app.extensions["mailer.settings"]
    try:
        plan = integration.digest_send_plan(db(), settings, mlist)
    except TemplateProblem as exc:
        abort(500, f"The digest template failed: {exc}")
    startable = (plan.campaign is None and not plan.edition.empty) or (
        plan.campaign is not None and plan.campaign.status in STARTABLE
    )
    return render_template(
        "web/admin/send_confirm.html",
        mailing_list=mlist,
        plan=plan,
        startable=startable,
        form=EmptyForm(),
    )


@bp.route("/lists/<int:list_id>/digest", methods=["POST"])
def list_digest_start(list_id: int) -> Response:
    """Create this week's digest of the list (once) and start it, as confirmed on the page."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    session = db()
    mlist = _list(list_id)
    settings = current_app.extensions["mailer.settings"]
    confirmed = request.form.get("edition", "")
    if not confirmed or confirmed != integration.digest_send_plan(session, settings, mlist).key:
        flash("Check what will be sent and to whom, then confirm on this page.", "info")
        return redirect(url_for("admin.list_digest_confirm", list_id=list_id))
    campaign, what = integration.create_and_start_digest(session, settings, mlist, actor())
    session.commit()
    if campaign is None:
        flash(f"No digest for {mlist.name}: {what}.", "info")
        return redirect(url_for("admin.lists"))
    flash(f"Digest {campaign.edition_key}: {what}.", "success")
    return redirect(url_for("admin.campaign", campaign_id=campaign.id))
