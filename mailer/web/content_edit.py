"""Staff: edit a news item or an event typed in by hand.

Only items of the ``manual`` pseudo-sources are edited here: an ingested
item would be overwritten by its feed's next fetch (hide it instead). The
saving is the content package's (``mailer.content.manual.add_news`` and
``add_event`` update the item with the same guid, with the same rules as
``mailer news add`` and ``mailer events add``); each edit is audited. The
Markdown staff typed is kept (``summary_md``) so the next edit starts from it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from mailer.content import manual
from mailer.content.all_day import shown_days
from mailer.content.markup import strip_tags
from mailer.content.models import Event, NewsItem
from mailer.db import audit
from mailer.web.auth import actor
from mailer.web.blueprints import staff_bp as bp
from mailer.web.db import db
from mailer.web.display import sentence
from mailer.web.forms import EventForm, NewsForm


def _manual(session: Session, model: type[NewsItem] | type[Event], item_id: int) -> Any:
    item: NewsItem | Event | None = (
        session.get(NewsItem, item_id) if model is NewsItem else session.get(Event, item_id)
    )
    if item is None:
        abort(404)
    if item.source.name != manual.MANUAL:
        abort(
            409,
            f"“{item.title}” comes from the feed {item.source.name}: its next fetch would undo "
            "an edit. Hide it from the digest instead, or change it at its source.",
        )
    return item


def _office_zone() -> ZoneInfo:
    return ZoneInfo(current_app.extensions["mailer.settings"].default_timezone)


@bp.route("/news/<int:item_id>/edit", methods=["GET", "POST"])
def news_edit(item_id: int) -> Any:
    session = db()
    item: NewsItem = _manual(session, NewsItem, item_id)
    form = NewsForm()
    if request.method == "GET":
        form.title.data = item.title
        form.url.data = item.url
        # Items saved before the Markdown was kept start from their text.
        form.summary.data = item.summary_md or strip_tags(item.summary_html)
        form.image_url.data = item.image_url
        form.image_alt.data = item.image_alt
        form.published_on.data = item.published_at.astimezone(_office_zone()).date()
    elif form.validate_on_submit():
        day = form.published_on.data
        try:
            manual.add_news(
                session,
                guid=item.guid,
                title=form.title.data or "",
                url=form.url.data or "",
                summary_md=form.summary.data or "",
                image_url=form.image_url.data or "",
                image_alt=form.image_alt.data or "",
                # Noon in UTC, as when it was added: the same calendar day everywhere.
                published_at=dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC) if day else None,
            )
        except manual.ContentError as exc:
            form.title.errors = [*form.title.errors, sentence(exc)]
        else:
            audit(session, actor(), "news.edit", f"news:{item.id}", title=item.title)
            session.commit()
            flash(f"Saved “{item.title}”.", "success")
            return redirect(url_for("staff.news"))
    status = 400 if request.method == "POST" else 200
    return render_template("web/staff/news_edit.html", form=form, item=item), status


@bp.route("/events/<int:item_id>/edit", methods=["GET", "POST"])
def event_edit(item_id: int) -> Any:
    session = db()
    event: Event = _manual(session, Event, item_id)
    form = EventForm()
    if request.method == "GET":
        _fill(form, event)
    elif form.validate_on_submit():
        day = form.day.data
        assert day is not None
        starts_at: dt.date | dt.datetime = day
        ends_at: dt.date | dt.datetime | None = form.last_day.data or day
        zone_name = ""
        if not form.all_day.data:
            zone = ZoneInfo(form.timezone.data or "UTC")
            starts_at = dt.datetime.combine(day, form.starts.data or dt.time(0), tzinfo=zone)
            ends_at = (
                dt.datetime.combine(day, form.ends.data, tzinfo=zone)
                if form.ends.data is not None
                else None
            )
            zone_name = zone.key
        try:
            manual.add_event(
                session,
                guid=event.guid,
                title=form.title.data or "",
                starts_at=starts_at,
                ends_at=ends_at,
                all_day=bool(form.all_day.data),
                timezone=zone_name,
                location=form.location.data or "",
                url=form.url.data or "",
                description=form.description.data or "",
            )
        except manual.ContentError as exc:
            form.title.errors = [*form.title.errors, sentence(exc)]
        else:
            audit(session, actor(), "event.edit", f"event:{event.id}", title=event.title)
            session.commit()
            flash(f"Saved “{event.title}”.", "success")
            return redirect(url_for("staff.events"))
    status = 400 if request.method == "POST" else 200
    return render_template("web/staff/event_edit.html", form=form, item=event), status


def _fill(form: EventForm, event: Event) -> None:
    """The form as the event was entered: its days, or its times in its own zone."""
    form.title.data = event.title
    form.description.data = event.description
    form.location.data = event.location
    form.url.data = event.url
    form.all_day.data = event.all_day
    if event.all_day:
        first, last = shown_days(event.starts_at, event.ends_at)
        form.day.data, form.last_day.data = first, (last if last != first else None)
        form.timezone.data = current_app.extensions["mailer.settings"].default_timezone
        return
    zone = ZoneInfo(event.timezone) if event.timezone else _office_zone()
    start = event.starts_at.astimezone(zone)
    form.day.data, form.starts.data = start.date(), start.time().replace(tzinfo=None)
    form.ends.data = event.ends_at.astimezone(zone).time() if event.ends_at else None
    form.timezone.data = zone.key
