"""The JSON API: bearer-token authentication, lists, subscribers, campaigns.

A request names its user with ``Authorization: Bearer <token>``; the token's
SHA-256 is looked up in ``users.api_token_hash``. No cookie is read, so CSRF
does not apply (the blueprint is exempt). Roles are those of the web console:
staff may read lists; subscribers and campaigns need an admin.
Subscribe/unsubscribe and announcements join once the audience and content
functions exist (``mailer.web.integration``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, g, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from mailer.auth import user_for_token
from mailer.delivery.models import Campaign
from mailer.users import Role
from mailer.web.admin.campaigns import campaign_progress
from mailer.web.auth import has_role
from mailer.web.db import db
from mailer.web.openapi import REGISTRY, Param, api_route, document
from mailer.web.pagination import keyset_page, subscriber_search
from subscribers.models import MailingList, Subscriber, Subscription

bp = Blueprint("api", __name__)

PUBLIC_ENDPOINTS = {"api.openapi"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _page_of(name: str, cursor: str = "next_after") -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": _ref(name)},
            cursor: {"type": ["integer", "null"], "description": f"Pass as ?{cursor[5:]}="},
        },
        "required": ["items", cursor],
    }


TIME = {"type": ["string", "null"], "format": "date-time"}
SCHEMAS: dict[str, Any] = {
    "MailingList": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "slug": {"type": "string"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "public": {"type": "boolean"},
            "double_opt_in": {"type": "boolean"},
            "from_name": {"type": "string"},
            "from_email": {"type": "string"},
            "reply_to": {"type": "string"},
            "timezone": {"type": "string"},
            "digest_enabled": {"type": "boolean"},
            "digest_weekday": {"type": "integer", "minimum": 0, "maximum": 6},
            "digest_time": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
            "archive": {"type": "boolean"},
        },
        "required": ["id", "slug", "name"],
    },
    "Subscription": {
        "type": "object",
        "properties": {
            "list": {"type": "string"},
            "status": {"type": "string", "enum": ["pending", "confirmed", "unsubscribed"]},
            "source": {"type": "string"},
            "created_at": TIME,
            "confirmed_at": TIME,
            "unsubscribed_at": TIME,
        },
    },
    "Subscriber": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "email": {"type": "string"},
            "name": {"type": "string"},
            "status": {"type": "string", "enum": ["active", "blocklisted"]},
            "created_at": TIME,
            "confirmed_at": TIME,
            "subscriptions": {"type": "array", "items": _ref("Subscription")},
        },
        "required": ["id", "email"],
    },
    "Campaign": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": ["digest", "announcement"]},
            "list": {"type": "string"},
            "edition_key": {"type": "string"},
            "subject": {"type": "string"},
            "status": {"type": "string"},
            "created_at": TIME,
            "started_at": TIME,
            "finished_at": TIME,
            "progress": {"type": "object"},
        },
        "required": ["id", "kind", "status"],
    },
}

LIMIT = Param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 500, "default": 50})
AFTER = Param("after", "query", {"type": "integer"}, "Return items with an id above this one.")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _list_json(m: MailingList) -> dict[str, Any]:
    keys = SCHEMAS["MailingList"]["properties"]
    return {k: getattr(m, k) for k in keys}


def _subscriber_json(s: Subscriber, with_subscriptions: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": s.id,
        "email": s.email,
        "name": s.name,
        "status": s.status,
        "created_at": _iso(s.created_at),
        "confirmed_at": _iso(s.confirmed_at),
    }
    if with_subscriptions:
        out["subscriptions"] = [
            {
                "list": sub.mailing_list.slug,
                "status": sub.status,
                "source": sub.source,
                "created_at": _iso(sub.created_at),
                "confirmed_at": _iso(sub.confirmed_at),
                "unsubscribed_at": _iso(sub.unsubscribed_at),
            }
            for sub in s.subscriptions
        ]
    return out


def _campaign_json(c: Campaign) -> dict[str, Any]:
    return {
        "id": c.id,
        "kind": c.kind,
        "list": c.mailing_list.slug,
        "edition_key": c.edition_key,
        "subject": c.subject,
        "status": c.status,
        "created_at": _iso(c.created_at),
        "started_at": _iso(c.started_at),
        "finished_at": _iso(c.finished_at),
    }


def _error(code: int, error: str, detail: str, **headers: str) -> Response:
    response = jsonify({"error": error, "detail": detail})
    response.status_code = code
    response.headers.update(headers)
    return response


@bp.before_request
def _authenticate() -> Response | None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    route = REGISTRY.get(request.endpoint or "")
    if route is None:
        return None  # unknown path: the 404 handler answers
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    user = user_for_token(db(), token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        return _error(
            401,
            "Unauthorized",
            "Send Authorization: Bearer <token> (create one with `mailer users token`).",
            **{"WWW-Authenticate": 'Bearer realm="mailer"'},
        )
    if not has_role(user, route.role):
        return _error(403, "Forbidden", f"This needs the {route.role} role.")
    g.api_user = user
    return None


def _limit() -> int:
    value = request.args.get("limit", "50")
    return min(max(int(value), 1), 500) if value.isdigit() else 50


def _after() -> int | None:
    value = request.args.get("after", "")
    return int(value) if value.isdigit() else None


@bp.route("/openapi.json")
def openapi() -> dict[str, Any]:
    return document(SCHEMAS, current_app.extensions["mailer.settings"].base_url)


@api_route(
    bp,
    "/v1/lists",
    role=Role.STAFF,
    summary="All mailing lists",
    response={"type": "array", "items": _ref("MailingList")},
)
def lists() -> Any:
    rows = db().scalars(select(MailingList).order_by(MailingList.id))
    return jsonify([_list_json(m) for m in rows])


@api_route(
    bp,
    "/v1/lists/<int:list_id>",
    role=Role.STAFF,
    summary="One mailing list",
    response=_ref("MailingList"),
)
def get_list(list_id: int) -> Any:
    mlist = db().get(MailingList, list_id)
    if mlist is None:
        abort(404)
    return _list_json(mlist)


@api_route(
    bp,
    "/v1/subscribers",
    role=Role.ADMIN,
    summary="Subscribers, paged by id; `q` searches email and name prefixes",
    response=_page_of("Subscriber"),
    params=(Param("q", "query", {"type": "string"}, "Email or name prefix."), AFTER, LIMIT),
)
def subscribers() -> Any:
    query = subscriber_search(select(Subscriber), request.args.get("q", "")[:320])
    page = keyset_page(db(), query, Subscriber.id, after=_after(), size=_limit())
    return {"items": [_subscriber_json(s) for s in page.rows], "next_after": page.next_after}


@api_route(
    bp,
    "/v1/subscribers/<int:subscriber_id>",
    role=Role.ADMIN,
    summary="One subscriber with their subscriptions",
    response=_ref("Subscriber"),
)
def get_subscriber(subscriber_id: int) -> Any:
    person = db().scalar(
        select(Subscriber)
        .where(Subscriber.id == subscriber_id)
        .options(selectinload(Subscriber.subscriptions).selectinload(Subscription.mailing_list))
    )
    if person is None:
        abort(404)
    return _subscriber_json(person, with_subscriptions=True)


@api_route(
    bp,
    "/v1/campaigns",
    role=Role.ADMIN,
    summary="Campaigns, newest first",
    response=_page_of("Campaign", "next_before"),
    params=(Param("before", "query", {"type": "integer"}, "Only ids below this."), LIMIT),
)
def campaigns() -> Any:
    query = select(Campaign).options(selectinload(Campaign.mailing_list))
    before = request.args.get("before", "")
    if before.isdigit():
        query = query.where(Campaign.id < int(before))
    size = _limit()
    rows = list(db().scalars(query.order_by(Campaign.id.desc()).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return {
        "items": [_campaign_json(c) for c in rows],
        "next_before": rows[-1].id if rows and more else None,
    }


@api_route(
    bp,
    "/v1/campaigns/<int:campaign_id>",
    role=Role.ADMIN,
    summary="One campaign with live delivery counts",
    response=_ref("Campaign"),
)
def get_campaign(campaign_id: int) -> Any:
    session = db()
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return {**_campaign_json(campaign), "progress": campaign_progress(session, campaign)}
