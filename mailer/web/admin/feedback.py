"""Admin: bounces and complaints, per campaign and per address, and the raw report behind one.

The records are ``mailer.feedback.apply``'s; the filters are
``mailer.feedback.records.feedback_records`` (the same as ``mailer bounces
list``). A record that answers a campaign is shown in that campaign's list's
time zone; one we cannot tie to a send, in the office's.
"""

from __future__ import annotations

from flask import abort, current_app, render_template, request

from mailer.delivery.models import Campaign
from mailer.feedback.events import Kind
from mailer.feedback.records import feedback_records, record_campaigns
from mailer.web.admin.newest import newest_first
from mailer.web.blueprints import admin_bp as bp
from mailer.web.db import db
from mailer.web.params import int_arg
from subscribers.models import BounceRecord

KINDS = [k.value for k in Kind]
TRUST = {"": None, "verified": True, "unverified": False}


@bp.route("/bounces/")
def feedback() -> str:
    kind = request.args.get("kind", "")
    if kind and kind not in KINDS:
        abort(400, f"kind: use one of {', '.join(KINDS)}.")
    trust = request.args.get("trust", "")
    if trust not in TRUST:
        abort(400, "trust: use verified or unverified.")
    address = request.args.get("address", "")[:320]
    campaign_id = int_arg("campaign")
    session = db()
    campaign = session.get(Campaign, campaign_id) if campaign_id is not None else None
    if campaign_id is not None and campaign is None:
        abort(404)
    query = feedback_records(
        kind=kind, campaign_id=campaign_id, address=address, verified=TRUST[trust]
    )
    page = newest_first(session, query, BounceRecord.id, int_arg("before"))
    return render_template(
        "web/admin/feedback.html",
        page=page,
        kind=kind,
        kinds=KINDS,
        trust=trust,
        address=address,
        campaign=campaign,
        campaigns=record_campaigns(session, page.rows),
        office_zone=current_app.extensions["mailer.settings"].default_timezone,
    )


@bp.route("/bounces/<int:record_id>")
def feedback_record(record_id: int) -> str:
    session = db()
    record = session.get(BounceRecord, record_id)
    if record is None:
        abort(404)
    campaign = record_campaigns(session, [record]).get(record.delivery_id or 0)
    return render_template(
        "web/admin/feedback_record.html",
        record=record,
        campaign=campaign,
        office_zone=current_app.extensions["mailer.settings"].default_timezone,
    )
