"""The API's write endpoints: subscribe and unsubscribe, announcements, campaign control.

Each calls the same function the web pages call (``mailer.web.integration``,
``mailer.content.announcements``, ``mailer.delivery.campaigns``), so the
rules (opt-in, the review state machine, campaign states) hold whatever the
door. A bad body gets 400 naming the field; a step the object's state forbids
gets 409.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, current_app, g, jsonify, request
from sqlalchemy import select
from werkzeug.wrappers import Response

from mailer.content import announcements as content
from mailer.content.models import Announcement
from mailer.delivery import campaigns as control
from mailer.delivery.models import Campaign
from mailer.users import Role
from mailer.web import integration
from mailer.web.admin.campaigns import campaign_progress
from mailer.web.api_helpers import bp, error_response, visible_announcements
from mailer.web.api_schemas import announcement_json, campaign_json, ref
from mailer.web.auth import client_ip
from mailer.web.db import db
from mailer.web.openapi import api_route
from subscribers import service, topics
from subscribers.addresses import InvalidAddress, email_key, normalise_email
from subscribers.models import MailingList, Subscriber


class BadBody(ValueError):
    """A field of the JSON body is missing or wrong; the message names it."""


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadBody("send a JSON object (Content-Type: application/json)")
    return data


def _text(data: dict[str, Any], name: str, *, required: bool = True, limit: int = 20000) -> str:
    value = data.get(name, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise BadBody(f"{name}: a non-empty string is required")
    if len(value) > limit or "\x00" in value:
        raise BadBody(f"{name}: too long or contains NUL")
    return value


def _list(data: dict[str, Any]) -> MailingList:
    slug = _text(data, "list", limit=64)
    mlist = db().scalar(select(MailingList).where(MailingList.slug == slug))
    if mlist is None:
        raise BadBody(f"list: no list with slug {slug!r}")
    return mlist


def _email(data: dict[str, Any]) -> str:
    try:
        return normalise_email(_text(data, "email", limit=320))
    except InvalidAddress as exc:
        raise BadBody(f"email: {exc}") from None


def _handle(exc: Exception) -> Response:
    db().rollback()
    if isinstance(exc, BadBody):
        return error_response(400, "Bad Request", str(exc))
    return error_response(409, "Conflict", str(exc))


ADDRESS_BODY = {
    "type": "object",
    "properties": {
        "list": {"type": "string", "description": "The list's slug."},
        "email": {"type": "string", "format": "email"},
        "name": {"type": "string"},
    },
    "required": ["list", "email"],
}
SUBSCRIBE_BODY = {
    **ADDRESS_BODY,
    "properties": {
        **ADDRESS_BODY["properties"],  # type: ignore[dict-item]
        "topics": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Slugs of the list's topics the reader chose (none: everything); "
            "taken by a new or pending subscription only.",
        },
    },
}
RESULT = {
    "type": "object",
    "properties": {"result": {"type": "string"}},
    "required": ["result"],
}
SUBSCRIBE_RESULT = {
    "type": "object",
    "properties": {
        "result": {"type": "string"},
        "mail_failed": {
            "type": "boolean",
            "description": "The confirmation or welcome could not be sent (audit: mail.failed).",
        },
    },
    "required": ["result", "mail_failed"],
}


@api_route(
    bp,
    "/v1/subscribe",
    role=Role.ADMIN,
    method="POST",
    summary="Subscribe an address as the list's opt-in rule says (sends the confirmation)",
    response=SUBSCRIBE_RESULT,
    body=SUBSCRIBE_BODY,
)
def api_subscribe() -> Any:
    try:
        data = _body()
        mlist, email = _list(data), _email(data)
        name = data.get("name", "")
        if not isinstance(name, str):
            raise BadBody("name: a string is required")
        wanted = data.get("topics", [])
        if not isinstance(wanted, list) or not all(isinstance(t, str) for t in wanted):
            raise BadBody("topics: a list of topic slugs is required")
        try:
            chosen = frozenset(topics.resolve_topics(db(), mlist.id, wanted))
        except topics.TopicError as exc:
            raise BadBody(f"topics: {exc}") from None
    except BadBody as exc:
        return _handle(exc)
    # The name becomes one line in subscribers.service (subscribers.names.clean_name).
    req = integration.SubscribeRequest(mlist, email, name, client_ip(), source="api", topics=chosen)
    outcome = integration.subscribe(db(), current_app.extensions["mailer.settings"], req)
    db().commit()
    return {"result": outcome.result, "mail_failed": outcome.mail_failed}


@api_route(
    bp,
    "/v1/unsubscribe",
    role=Role.ADMIN,
    method="POST",
    summary="Unsubscribe an address from a list at once",
    response=RESULT,
    body=ADDRESS_BODY,
)
def api_unsubscribe() -> Any:
    try:
        data = _body()
        mlist, email = _list(data), _email(data)
    except BadBody as exc:
        return _handle(exc)
    session = db()
    person = session.scalar(select(Subscriber).where(Subscriber.email_key == email_key(email)))
    changed = person is not None and service.unsubscribe(
        session, person.id, mlist.id, via=f"api:{g.api_user.email}"
    )
    session.commit()
    return {"result": "unsubscribed" if changed else "unchanged"}


ANNOUNCEMENT_BODY = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "body_md": {"type": "string", "description": "Markdown; rendered and sanitised."},
        "lists": {"type": "array", "items": {"type": "string"}, "description": "List slugs."},
        "mode": {"type": "string", "enum": ["digest", "standalone"], "default": "digest"},
        "send_at": {"type": "string", "format": "date-time", "description": "For standalone."},
        "submit": {"type": "boolean", "default": False},
    },
    "required": ["title", "body_md", "lists"],
}
NOTE_BODY = {
    "type": "object",
    "properties": {"note": {"type": "string", "description": "To the author."}},
}


@api_route(
    bp,
    "/v1/announcements",
    role=Role.STAFF,
    method="POST",
    summary="Queue an announcement (a draft, or submitted for review with submit=true)",
    response=ref("Announcement"),
    body=ANNOUNCEMENT_BODY,
)
def api_announcement_create() -> Any:
    session = db()
    try:
        data = _body()
        lists = data.get("lists")
        if not isinstance(lists, list) or not all(isinstance(x, str) for x in lists):
            raise BadBody("lists: a list of list slugs is required")
        send_at = None
        if data.get("send_at"):
            try:
                send_at = dt.datetime.fromisoformat(_text(data, "send_at", limit=64))
            except ValueError:
                raise BadBody(
                    "send_at: use ISO 8601 with a zone, e.g. 2026-03-02T09:00-06:00"
                ) from None
        item = content.create(
            session,
            actor=g.api_user.email,
            title=_text(data, "title", limit=300),
            body_md=_text(data, "body_md"),
            lists=lists,
            mode=str(data.get("mode") or "digest"),
            send_at=send_at,
            submit=bool(data.get("submit")),
        )
    except content.AnnouncementError as exc:
        return _handle(BadBody(str(exc)))
    except BadBody as exc:
        return _handle(exc)
    session.commit()
    response = jsonify(announcement_json(item))
    response.status_code = 201
    return response


def _announcement(announcement_id: int) -> Announcement:
    item = db().scalar(visible_announcements().where(Announcement.id == announcement_id))
    if item is None:
        abort(404)
    return item


def _step(announcement_id: int, action: str) -> Any:
    session = db()
    item = _announcement(announcement_id)
    who = g.api_user.email
    try:
        note = ""
        if action in {"approve", "reject"}:
            data = request.get_json(silent=True) or {}
            note = _text(data, "note", required=False, limit=2000) if isinstance(data, dict) else ""
        if action == "submit":
            content.submit_for_review(session, item, actor=who)
        elif action == "approve":
            content.approve(session, item, actor=who, note=note)
        else:
            content.reject(session, item, actor=who, note=note)
    except (content.AnnouncementError, BadBody) as exc:
        bad = isinstance(exc, BadBody) or str(exc).startswith("note: ")
        return _handle(BadBody(str(exc)) if bad else exc)
    session.commit()
    return announcement_json(item)


@api_route(
    bp,
    "/v1/announcements/<int:announcement_id>/submit",
    role=Role.STAFF,
    method="POST",
    summary="Submit a draft or rejected announcement for review (staff: their own)",
    response=ref("Announcement"),
    body={"type": "object"},
)
def api_announcement_submit(announcement_id: int) -> Any:
    return _step(announcement_id, "submit")


@api_route(
    bp,
    "/v1/announcements/<int:announcement_id>/approve",
    role=Role.ADMIN,
    method="POST",
    summary="Approve a submitted announcement, with an optional note to the author",
    response=ref("Announcement"),
    body=NOTE_BODY,
)
def api_announcement_approve(announcement_id: int) -> Any:
    return _step(announcement_id, "approve")


@api_route(
    bp,
    "/v1/announcements/<int:announcement_id>/reject",
    role=Role.ADMIN,
    method="POST",
    summary="Reject a submitted announcement; the note saying why is required",
    response=ref("Announcement"),
    body={**NOTE_BODY, "required": ["note"]},
)
def api_announcement_reject(announcement_id: int) -> Any:
    return _step(announcement_id, "reject")


def _campaign_step(campaign_id: int, action: str) -> Any:
    session = db()
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    who = g.api_user.email
    data = request.get_json(silent=True)
    reason = str(data.get("reason", ""))[:500] if isinstance(data, dict) else ""
    try:
        control.apply_action(session, campaign, action, actor=who, reason=reason)
    except control.CampaignStateError as exc:
        return _handle(exc)
    session.commit()
    return {**campaign_json(campaign), "progress": campaign_progress(session, campaign)}


REASON_BODY = {"type": "object", "properties": {"reason": {"type": "string"}}}


@api_route(
    bp,
    "/v1/campaigns/<int:campaign_id>/pause",
    role=Role.ADMIN,
    method="POST",
    summary="Pause a sending campaign (workers stop claiming its deliveries)",
    response=ref("Campaign"),
    body=REASON_BODY,
)
def api_campaign_pause(campaign_id: int) -> Any:
    return _campaign_step(campaign_id, "pause")


@api_route(
    bp,
    "/v1/campaigns/<int:campaign_id>/resume",
    role=Role.ADMIN,
    method="POST",
    summary="Resume a paused campaign",
    response=ref("Campaign"),
    body={"type": "object"},
)
def api_campaign_resume(campaign_id: int) -> Any:
    return _campaign_step(campaign_id, "resume")


@api_route(
    bp,
    "/v1/campaigns/<int:campaign_id>/cancel",
    role=Role.ADMIN,
    method="POST",
    summary="Cancel a campaign that has not finished",
    response=ref("Campaign"),
    body=REASON_BODY,
)
def api_campaign_cancel(campaign_id: int) -> Any:
    return _campaign_step(campaign_id, "cancel")
