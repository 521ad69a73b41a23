"""Admin: campaigns, and a live view of a running send.

Counts come from the ``deliveries`` table (one GROUP BY on the claim index),
not from the campaign's cached counters, so the view is right even while
workers are mid-batch. The page polls ``progress.json`` with a few lines of
script (``static/progress.js``). Pause, resume, cancel and test-send buttons
call ``mailer.delivery`` once it offers them (``mailer.web.integration``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, render_template, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailer.db import utcnow
from mailer.delivery.models import Campaign, CampaignStatus, Delivery, DeliveryStatus
from mailer.web.admin import bp
from mailer.web.db import db
from mailer.web.pagination import keyset_page

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
    return {
        "id": campaign.id,
        "status": campaign.status,
        "status_reason": campaign.status_reason,
        "total": total,
        "counts": counts,
        "done": done,
        "percent": round(100.0 * done / total, 1) if total else 0.0,
        "rate_per_minute": last_minute or 0,
        "live": campaign.status in LIVE_STATUSES,
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
    before = request.args.get("before", "")
    # Newest first: page backwards by id.
    session = db()
    query = select(Campaign)
    if before.isdigit():
        query = query.where(Campaign.id < int(before))
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
    session = db()
    item = _campaign(campaign_id)
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
    )


@bp.route("/campaigns/<int:campaign_id>/progress.json")
def campaign_progress_json(campaign_id: int) -> dict[str, Any]:
    return campaign_progress(db(), _campaign(campaign_id))
