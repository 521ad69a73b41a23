"""The JSON API: bearer-token authentication; lists, subscribers, campaigns, announcements.

A request names its user with ``Authorization: Bearer <token>``; the token's
SHA-256 is looked up in ``api_tokens`` (personal tokens) and
``users.api_token_hash``. No cookie is read, so CSRF does not apply (the
blueprint is exempt). Roles are those of the web console: staff may read lists
and their own announcements; subscribers, campaigns and everybody's
announcements need an admin. The write endpoints (subscribe, unsubscribe,
announcements, campaign control) are in ``mailer.web.api_actions``.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from mailer.content.models import Announcement
from mailer.delivery.models import Campaign
from mailer.users import Role
from mailer.web.admin.campaigns import campaign_progress
from mailer.web.api_helpers import bp, visible_announcements
from mailer.web.api_schemas import (
    SCHEMAS,
    announcement_json,
    campaign_json,
    list_json,
    page_of,
    ref,
    subscriber_json,
)
from mailer.web.db import db
from mailer.web.openapi import Param, api_route, document
from mailer.web.pagination import keyset_page, subscriber_search
from mailer.web.params import int_arg
from subscribers.models import MailingList, Subscriber, Subscription

LIMIT = Param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 500, "default": 50})
AFTER = Param("after", "query", {"type": "integer"}, "Return items with an id above this one.")


def _limit() -> int:
    # Larger pages than 500 are served as 500 (documented as the maximum).
    return min(int_arg("limit", default=50, low=1) or 50, 500)


def _after() -> int | None:
    return int_arg("after")


@bp.route("/openapi.json")
def openapi() -> dict[str, Any]:
    return document(SCHEMAS, current_app.extensions["mailer.settings"].base_url)


@api_route(
    bp,
    "/v1/lists",
    role=Role.STAFF,
    summary="All mailing lists",
    response={"type": "array", "items": ref("MailingList")},
)
def lists() -> Any:
    rows = db().scalars(select(MailingList).order_by(MailingList.id))
    return jsonify([list_json(m) for m in rows])


@api_route(
    bp,
    "/v1/lists/<int:list_id>",
    role=Role.STAFF,
    summary="One mailing list",
    response=ref("MailingList"),
)
def get_list(list_id: int) -> Any:
    mlist = db().get(MailingList, list_id)
    if mlist is None:
        abort(404)
    return list_json(mlist)


@api_route(
    bp,
    "/v1/subscribers",
    role=Role.ADMIN,
    summary="Subscribers, paged by id; `q` finds a part of the address or name",
    response=page_of("Subscriber"),
    params=(
        Param("q", "query", {"type": "string"}, "Part of the address or name (`@gmail.com`)."),
        AFTER,
        LIMIT,
    ),
)
def subscribers() -> Any:
    query = subscriber_search(select(Subscriber), request.args.get("q", "")[:320])
    page = keyset_page(db(), query, Subscriber.id, after=_after(), size=_limit())
    return {"items": [subscriber_json(s) for s in page.rows], "next_after": page.next_after}


@api_route(
    bp,
    "/v1/subscribers/<int:subscriber_id>",
    role=Role.ADMIN,
    summary="One subscriber with their subscriptions",
    response=ref("Subscriber"),
)
def get_subscriber(subscriber_id: int) -> Any:
    person = db().scalar(
        select(Subscriber)
        .where(Subscriber.id == subscriber_id)
        .options(selectinload(Subscriber.subscriptions).selectinload(Subscription.mailing_list))
    )
    if person is None:
        abort(404)
    return subscriber_json(person, with_subscriptions=True)


@api_route(
    bp,
    "/v1/campaigns",
    role=Role.ADMIN,
    summary="Campaigns, newest first",
    response=page_of("Campaign", "next_before"),
    params=(Param("before", "query", {"type": "integer"}, "Only ids below this."), LIMIT),
)
def campaigns() -> Any:
    query = select(Campaign).options(selectinload(Campaign.mailing_list))
    before = int_arg("before")
    if before is not None:
        query = query.where(Campaign.id < before)
    size = _limit()
    rows = list(db().scalars(query.order_by(Campaign.id.desc()).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return {
        "items": [campaign_json(c) for c in rows],
        "next_before": rows[-1].id if rows and more else None,
    }


@api_route(
    bp,
    "/v1/campaigns/<int:campaign_id>",
    role=Role.ADMIN,
    summary="One campaign with live delivery counts",
    response=ref("Campaign"),
)
def get_campaign(campaign_id: int) -> Any:
    session = db()
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return {**campaign_json(campaign), "progress": campaign_progress(session, campaign)}


@api_route(
    bp,
    "/v1/announcements",
    role=Role.STAFF,
    summary="Announcements (staff see their own), newest first",
    response=page_of("Announcement", "next_before"),
    params=(
        Param("status", "query", {"type": "string"}, "Only this state."),
        Param("before", "query", {"type": "integer"}, "Only ids below this."),
        LIMIT,
    ),
)
def announcements() -> Any:
    query = visible_announcements()
    status = request.args.get("status", "")
    if status:
        query = query.where(Announcement.status == status)
    before = int_arg("before")
    if before is not None:
        query = query.where(Announcement.id < before)
    size = _limit()
    rows = list(db().scalars(query.order_by(Announcement.id.desc()).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return {
        "items": [announcement_json(a) for a in rows],
        "next_before": rows[-1].id if rows and more else None,
    }


@api_route(
    bp,
    "/v1/announcements/<int:announcement_id>",
    role=Role.STAFF,
    summary="One announcement (staff: only their own)",
    response=ref("Announcement"),
)
def get_announcement(announcement_id: int) -> Any:
    item = db().scalar(visible_announcements().where(Announcement.id == announcement_id))
    if item is None:
        abort(404)
    return announcement_json(item)


# The write endpoints and the reports register on ``bp``.
from mailer.web import api_actions, api_reports  # noqa: E402

__all__ = ["api_actions", "api_reports", "bp"]
