"""Provider feedback webhooks: ``POST /hooks/sendgrid``, ``/hooks/mailgun``, ``/hooks/postmark``.

The web layer only passes the raw body and headers to the provider's parse
function in ``mailer.feedback.webhooks`` (which checks the signature or the
credentials) and applies the events with ``mailer.feedback.apply``. No
cookie is read, so CSRF does not apply; an unverified request gets 403 and
changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request
from werkzeug.wrappers import Response

from mailer.feedback.apply import apply_feedback
from mailer.feedback.webhooks import (
    WebhookRejected,
    parse_mailgun_webhook,
    parse_postmark_webhook,
    parse_sendgrid_webhook,
)
from mailer.web.db import db

log = logging.getLogger(__name__)

bp = Blueprint("hooks", __name__)

PARSERS: dict[str, Callable[..., Any]] = {
    "sendgrid": parse_sendgrid_webhook,
    "mailgun": parse_mailgun_webhook,
    "postmark": parse_postmark_webhook,
}


@bp.route("/<provider>", methods=["POST"], endpoint="receive")
def receive(provider: str) -> Response:
    parse = PARSERS.get(provider)
    if parse is None:
        abort(404)
    settings = current_app.extensions["mailer.settings"]
    headers = {key: value for key, value in request.headers.items()}
    body = request.get_data(cache=True)
    try:
        events = parse(headers, body, settings)
    except WebhookRejected as exc:
        log.warning("refused %s webhook from %s: %s", provider, request.remote_addr, exc)
        response = jsonify({"error": "Forbidden", "detail": str(exc)})
        response.status_code = 403
        return response
    session = db()
    report = apply_feedback(session, events, settings)
    session.commit()
    return jsonify(
        {
            "recorded": report.recorded,
            "suppressed": report.suppressed,
            "unsubscribed": report.unsubscribed,
            "ignored": report.ignored,
        }
    )
