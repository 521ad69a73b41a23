""" "View in your browser": ``/view/<list id>/<ref>?t=<sig>`` shows one edition's copy.

Every digest and announcement starts with this link (``mailer.compose.view_link``).
The signature must match the list and the edition, whether the list is public
or private, so the link opens exactly that edition and nothing else on a
private list. The copy is the archive's (``mailer.web.archive``): the
all-topics edition with nothing personal in it. It works while the edition is
still being sent, not only once it is finished.
"""

from __future__ import annotations

import datetime as dt

from flask import Response, abort, current_app, request
from sqlalchemy import select

from mailer.compose import view_link
from mailer.delivery.models import Campaign, CampaignKind, CampaignStatus
from mailer.web.archive import public_html
from mailer.web.blueprints import public_bp as bp
from mailer.web.db import db
from mailer.web.security import EDITION_CSP

SHOWN = (CampaignStatus.SENDING, CampaignStatus.PAUSED, CampaignStatus.SENT)


def _campaign(list_id: int, ref: str) -> Campaign | None:
    query = select(Campaign).where(Campaign.list_id == list_id, Campaign.status.in_(SHOWN))
    if ref.startswith("announcement-") and ref.removeprefix("announcement-").isdigit():
        query = query.where(
            Campaign.kind == CampaignKind.ANNOUNCEMENT,
            Campaign.announcement_id == int(ref.removeprefix("announcement-")),
        )
    else:
        try:
            monday = dt.date.fromisoformat(f"{ref}-1")
        except ValueError:
            return None
        query = query.where(
            Campaign.kind == CampaignKind.DIGEST,
            Campaign.edition_date >= monday,
            Campaign.edition_date < monday + dt.timedelta(days=7),
        )
    return db().scalar(query.order_by(Campaign.id).limit(1))


@bp.route("/view/<int:list_id>/<ref>")
def view_edition(list_id: int, ref: str) -> Response:
    settings = current_app.extensions["mailer.settings"]
    if not view_link.verify(settings, list_id, ref, request.args.get("t", "")):
        abort(404)
    campaign = _campaign(list_id, ref)
    if campaign is None:
        abort(404)
    html = public_html(campaign.html, settings.greeting_fallback)
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = EDITION_CSP.replace(
        "frame-ancestors 'self'", "frame-ancestors 'none'"
    )
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
