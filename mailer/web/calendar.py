"""Calendar files: one event's ``/events/<id>.ics`` and a list's ``/lists/<slug>/events.ics``.

The "Add to calendar" link of every event in a message leads to the first;
the second is a feed a reader subscribes to in their calendar app (the
list's upcoming events, the same ones its events page shows). Both are made
by ``mailer.compose.calendar`` (valid iCalendar with VTIMEZONE; the same UID
for an event wherever it appears).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Response, abort, current_app
from sqlalchemy import select

from mailer.compose.calendar import ics
from mailer.content.models import Event
from mailer.content.selection import event_entry, upcoming_events
from mailer.web.blueprints import public_bp as bp
from mailer.web.db import db
from subscribers import lists as list_rules
from subscribers.models import MailingList

#: Calendar apps poll a subscribed feed; an hour keeps them from hammering it.
MAX_AGE = 3600


def _domain() -> str:
    settings = current_app.extensions["mailer.settings"]
    return str(settings.message_id_domain)


def _calendar(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response


@bp.route("/events/<int:event_id>.ics")
def event_ics(event_id: int) -> Response:
    """One event, in the zone its organiser wrote it in (else the office's)."""
    event = db().get(Event, event_id)
    if event is None or event.hidden:
        abort(404)
    settings = current_app.extensions["mailer.settings"]
    zone = event.timezone or settings.default_timezone
    try:
        tz = ZoneInfo(zone)
    except (KeyError, ValueError):
        tz = ZoneInfo(settings.default_timezone)
    body = ics([event_entry(event, tz)], tz.key, domain=_domain())
    return _calendar(body, f"event-{event.id}.ics")


@bp.route("/lists/<slug>/events.ics")
def list_events_ics(slug: str) -> Response:
    """The list's upcoming events as one subscribable calendar."""
    mlist = db().scalar(select(MailingList).where(MailingList.slug == slug))
    if mlist is None:
        abort(404)
    settings = current_app.extensions["mailer.settings"]
    tz = list_rules.list_zone(mlist, settings.default_timezone)
    today = list_rules.list_today(mlist, default=settings.default_timezone)
    events = upcoming_events(db(), mlist, today, settings)
    body = ics(events, tz.key, domain=_domain(), name=f"{mlist.name} events")
    return _calendar(body, f"{mlist.slug}-events.ics")
