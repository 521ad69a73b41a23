"""Staff: add news items and events by hand, and hide any item from coming digests.

Typed-in items belong to the pseudo-source ``manual`` (one per kind), as the
content model says, and get a unique ``manual:<uuid>`` guid so ingestion can
never collide with them. Hiding keeps the row (and its guid, so a feed cannot
bring it back) and only takes it out of editions.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from mailer.content.all_day import shown_days, stored_span
from mailer.content.models import Event, NewsItem, Source, SourceKind
from mailer.db import audit, utcnow
from mailer.web.auth import actor
from mailer.web.blueprints import staff_bp as bp
from mailer.web.db import db
from mailer.web.forms import EmptyForm, EventForm, NewsForm
from mailer.web.markdown import render_markdown

MANUAL = "manual"
LISTED = 50


def manual_source(session: Session, kind: str) -> Source:
    source = session.scalar(select(Source).where(Source.kind == kind, Source.name == MANUAL))
    if source is None:
        source = Source(kind=kind, name=MANUAL, url="", last_status="ok")
        session.add(source)
        session.flush()
    return source


@bp.route("/news/", methods=["GET", "POST"])
def news() -> Any:
    session = db()
    form = NewsForm()
    if form.validate_on_submit():
        day = form.published_on.data
        published = (
            dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC) if day is not None else utcnow()
        )
        item = NewsItem(
            source_id=manual_source(session, SourceKind.NEWS).id,
            guid=f"manual:{uuid.uuid4()}",
            title=(form.title.data or "").strip(),
            url=(form.url.data or "").strip(),
            summary_html=render_markdown(form.summary.data or ""),
            summary_md=form.summary.data or "",
            author=actor(),
            image_url=(form.image_url.data or "").strip(),
            image_alt=(form.image_alt.data or "").strip(),
            published_at=published,
        )
        session.add(item)
        session.flush()
        audit(session, actor(), "news.add", f"news:{item.id}", title=item.title)
        session.commit()
        flash(f"Added “{item.title}”.", "success")
        return redirect(url_for("staff.news"))
    items = list(
        session.scalars(
            select(NewsItem)
            .order_by(NewsItem.published_at.desc(), NewsItem.id.desc())
            .limit(LISTED)
        )
    )
    status = 400 if request.method == "POST" else 200
    return render_template(
        "web/staff/news.html", form=form, items=items, toggle=EmptyForm()
    ), status


@bp.route("/events/", methods=["GET", "POST"])
def events() -> Any:
    session = db()
    form = EventForm()
    settings = current_app.extensions["mailer.settings"]
    if request.method == "GET":
        form.timezone.data = settings.default_timezone
    if form.validate_on_submit():
        zone = ZoneInfo(form.timezone.data or settings.default_timezone)
        day = form.day.data
        assert day is not None
        ends: dt.datetime | None = None
        if form.all_day.data:
            # Dates, not instants: the one all-day rule, the last day as typed.
            starts, ends = stored_span(day, form.last_day.data or day)
        else:
            starts = dt.datetime.combine(day, form.starts.data or dt.time(0), tzinfo=zone)
            if form.ends.data is not None:
                ends = dt.datetime.combine(day, form.ends.data, tzinfo=zone)
        event = Event(
            source_id=manual_source(session, SourceKind.EVENTS).id,
            guid=f"manual:{uuid.uuid4()}",
            title=(form.title.data or "").strip(),
            description=(form.description.data or "").strip(),
            location=(form.location.data or "").strip(),
            url=(form.url.data or "").strip(),
            starts_at=starts.astimezone(dt.UTC),
            ends_at=ends.astimezone(dt.UTC) if ends else None,
            all_day=bool(form.all_day.data),
            timezone="" if form.all_day.data else zone.key,
        )
        session.add(event)
        session.flush()
        audit(session, actor(), "event.add", f"event:{event.id}", title=event.title)
        session.commit()
        flash(f"Added “{event.title}”.", "success")
        return redirect(url_for("staff.events"))
    since = utcnow() - dt.timedelta(days=1)
    items = list(
        session.scalars(
            select(Event).where(Event.starts_at >= since).order_by(Event.starts_at).limit(LISTED)
        )
    )
    status = 400 if request.method == "POST" else 200
    return render_template(
        "web/staff/events.html", form=form, items=items, toggle=EmptyForm(), local=_local
    ), status


def _local(event: Event) -> str:
    if event.all_day:
        first, last = shown_days(event.starts_at, event.ends_at)
        text = first.strftime("%a %b %-d, %Y")
        return f"{text} – {last:%a %b %-d, %Y} (all day)" if last != first else f"{text} (all day)"
    zone = ZoneInfo(event.timezone) if event.timezone else dt.UTC
    start = event.starts_at.astimezone(zone)
    text = start.strftime("%a %b %-d, %Y %-I:%M %p")
    if event.ends_at:
        text += event.ends_at.astimezone(zone).strftime(" – %-I:%M %p")
    return f"{text} {start.tzname()}"


def _toggle(model: type[NewsItem] | type[Event], item_id: int, hidden: bool) -> Response:
    session = db()
    item = session.get(NewsItem, item_id) if model is NewsItem else session.get(Event, item_id)
    if item is None:
        abort(404)
    item.hidden = hidden
    kind = "news" if model is NewsItem else "event"
    audit(session, actor(), f"{kind}.{'hide' if hidden else 'show'}", f"{kind}:{item.id}")
    session.commit()
    flash(f"“{item.title}” is {'hidden from' if hidden else 'back in'} coming digests.", "success")
    return redirect(url_for("staff.news" if model is NewsItem else "staff.events"))


@bp.route("/news/<int:item_id>/hide", methods=["POST"])
def news_hide(item_id: int) -> Response:
    return _toggle(NewsItem, item_id, True)


@bp.route("/news/<int:item_id>/show", methods=["POST"])
def news_show(item_id: int) -> Response:
    return _toggle(NewsItem, item_id, False)


@bp.route("/events/<int:item_id>/hide", methods=["POST"])
def event_hide(item_id: int) -> Response:
    return _toggle(Event, item_id, True)


@bp.route("/events/<int:item_id>/show", methods=["POST"])
def event_show(item_id: int) -> Response:
    return _toggle(Event, item_id, False)
