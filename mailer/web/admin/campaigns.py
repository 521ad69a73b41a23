"""Admin: campaigns, and a live view of a running send.

Counts come from the ``deliveries`` table (one GROUP BY on the claim index),
not from the campaign's cached counters, so the view is right even while
workers are mid-batch. The page polls ``progress.json`` with a few lines of
script (``static/progress.js``). Pause, resume and cancel call
``mailer.delivery.campaigns`` (which checks the state); a test copy is built
by the real MessageBuilder (``mailer.web.integration.send_test``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from mailer.db import audit, utcnow
from mailer.delivery import campaigns as control
from mailer.delivery.models import Campaign, CampaignStatus, Delivery, DeliveryStatus
from mailer.web import integration
from mailer.web.auth import actor
from mailer.web.blueprints import admin_bp as bp
from mailer.web.db import db
from mailer.web.display import sentence, status_text
from mailer.web.forms import EmptyForm, TestSendForm
from mailer.web.pagination import keyset_page
from mailer.web.params import int_arg

RATE_WINDOW = dt.timedelta(minutes=1)
LIVE_STATUSES = {CampaignStatus.SCHEDULED, CampaignStatus.SENDING, CampaignStatus.PAUSED}


def campaign_progress(session: Session, campaign: Campaign) -> dict[str, Any]:
    """Counts per delivery status, the send rate over the last minute, and the state."""
    counts = {s.value: 0 for s in DeliveryStatus}
    for status, n in session.execute(
        select(Delivery.status, func.count(Delivery.id))
        .where(Delivery.campaign_id == campaign.id)
        .group_by(Delivery.status)
    ):
        counts[status] = n
    total = sum(counts.values())
    since = utcnow() - RATE_WINDOW
    last_minute = session.scalar(
        select(func.count(Delivery.id)).where(
            Delivery.campaign_id == campaign.id,
            Delivery.status == DeliveryStatus.SENT,
            Delivery.sent_at >= since,
        )
    )
    done = counts["sent"] + counts["failed"] + counts["bounced"] + counts["skipped"]
    live = campaign.status in LIVE_STATUSES
    return {
        "id": campaign.id,
        "status": campaign.status,
        "status_reason": campaign.status_reason,
        "status_text": status_text(campaign.status, campaign.status_reason),
        "total": total,
        "counts": counts,
        "done": done,
        "percent": round(100.0 * done / total, 1) if total else 0.0,
        # A stopped send has no rate: the last minute's sends belong to before it stopped.
        "rate_per_minute": (last_minute or 0) if live else 0,
        "live": live,
        "started_at": campaign.started_at.isoformat() if campaign.started_at else None,
        "finished_at": campaign.finished_at.isoformat() if campaign.finished_at else None,
    }


def _campaign(campaign_id: int) -> Campaign:
    campaign = db().get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


@bp.route("/campaigns/")
def campaigns() -> str:
    before = int_arg("before")
    # Newest first: page backwards by id.
    session = db()
    query = select(Campaign)
    if before is not None:
        query = query.where(Campaign.id < before)
    rows = list(session.scalars(query.order_by(Campaign.id.desc()).limit(51)))
    more = len(rows) > 50
    rows = rows[:50]
    return render_template(
        "web/admin/campaigns.html",
        campaigns=rows,
        next_before=rows[-1].id if rows and more else None,
    )


@bp.route("/campaigns/<int:campaign_id>")
def campaign(campaign_id: int) -> str:
    return _campaign_page(_campaign(campaign_id), TestSendForm(formdata=None))


def _campaign_page(item: Campaign, test_form: TestSendForm) -> str:
    session = db()
    failures = keyset_page(
        session,
        select(Delivery).where(
            Delivery.campaign_id == item.id,
            Delivery.status.in_([DeliveryStatus.FAILED, DeliveryStatus.BOUNCED]),
        ),
        Delivery.id,
        size=20,
    )
    return render_template(
        "web/admin/campaign.html",
        campaign=item,
        progress=campaign_progress(session, item),
        failures=failures.rows,
        test_form=test_form,
        control=EmptyForm(),
    )


@bp.route("/campaigns/<int:campaign_id>/progress.json")
def campaign_progress_json(campaign_id: int) -> dict[str, Any]:
    return campaign_progress(db(), _campaign(campaign_id))


def _control(campaign_id: int, action: str) -> Response:
    """Pause, resume or cancel through ``mailer.delivery.campaigns`` (it checks the state)."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    session = db()
    campaign = _campaign(campaign_id)
    reason = (request.form.get("reason", "") or "").strip()[:500]
    if action == "cancel" and not request.form.get("confirm"):
        flash("Tick “Yes, stop this send for good” to cancel the campaign.", "error")
        return redirect(url_for("admin.campaign", campaign_id=campaign_id))
    try:
        control.apply_action(session, campaign, action, actor=actor(), reason=reason)
    except control.CampaignStateError as exc:
        session.rollback()
        flash(sentence(exc), "error")
    else:
        session.commit()
        flash(f"Campaign {campaign.id} is {campaign.status}.", "success")
    return redirect(url_for("admin.campaign", campaign_id=campaign_id))


@bp.route("/campaigns/<int:campaign_id>/pause", methods=["POST"])
def campaign_pause(campaign_id: int) -> Response:
    return _control(campaign_id, "pause")


@bp.route("/campaigns/<int:campaign_id>/resume", methods=["POST"])
def campaign_resume(campaign_id: int) -> Response:
    return _control(campaign_id, "resume")


@bp.route("/campaigns/<int:campaign_id>/cancel", methods=["POST"])
def campaign_cancel(campaign_id: int) -> Response:
    return _control(campaign_id, "cancel")


@bp.route("/campaigns/<int:campaign_id>/test", methods=["POST"])
def campaign_test(campaign_id: int) -> Any:
    form = TestSendForm()
    campaign = _campaign(campaign_id)
    if form.validate_on_submit():
        address = form.address.data or ""
        settings = current_app.extensions["mailer.settings"]
        ok, detail = integration.send_test(settings, campaign, address)
        session = db()
        audit(session, actor(), "campaign.test", f"campaign:{campaign.id}", to=address, ok=ok)
        session.commit()
        if ok:
            flash(f"A test copy went to {address}.", "success")
            return redirect(url_for("admin.campaign", campaign_id=campaign_id))
        form.address.errors = [f"The test could not be sent: {detail}"]
    return _campaign_page(campaign, form), 400
