"""The click redirect: ``/l/<link token>/<reader part>`` (see ``mailer.compose.tracking``).

The link token is signed (campaign, original URL): a tampered or unsigned one is a
400, never a redirect somewhere else (no open redirect). The reader part is a short
signed delivery id; an altered one is a 400 too, so nobody can click in another
reader's name. A GET counts one click (``mailer.feedback.clicks.record_click``
decides what a person's click is); a HEAD redirects the same and counts nothing.

``/o/<campaign id>/<reader part>.gif`` is the open pixel of lists that track opens:
a transparent 1x1 GIF; a GET of a genuine reader part records one open.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, request
from werkzeug.wrappers import Response

from mailer.compose.tracking import LinkError, LinkSigner, ReaderSigner
from mailer.config import Settings
from mailer.feedback.clicks import record_click, record_open
from mailer.web.db import db

bp = Blueprint("track", __name__)

BAD_LINK = "This link is not valid: it was changed or cut short. Open it from the message again."


@bp.route("/l/<token>/<reader>", methods=["GET", "HEAD"])
def click(token: str, reader: str) -> Response:
    settings: Settings = current_app.extensions["mailer.settings"]
    try:
        campaign_id, url = LinkSigner(settings.signing_key).read(token)
    except LinkError:
        abort(400, BAD_LINK)
    delivery_id = ReaderSigner(settings.signing_key).read(reader)
    if delivery_id is None:
        abort(400, BAD_LINK)
    if request.method == "GET":
        session = db()
        if record_click(
            session, campaign_id, url, delivery_id, request.headers.get("User-Agent", "")
        ):
            session.commit()
    response = redirect(url, 302)
    response.headers["Cache-Control"] = "no-store"
    return response


#: The smallest transparent GIF (43 bytes).
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00"
    b"\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


@bp.route("/o/<int:campaign_id>/<reader>.gif", methods=["GET", "HEAD"])
def pixel(campaign_id: int, reader: str) -> Response:
    settings: Settings = current_app.extensions["mailer.settings"]
    delivery_id = ReaderSigner(settings.signing_key).read(reader)
    if delivery_id is None:
        abort(400, BAD_LINK)
    if request.method == "GET":
        session = db()
        if record_open(session, campaign_id, delivery_id):
            session.commit()
    return Response(PIXEL, mimetype="image/gif", headers={"Cache-Control": "no-store"})
