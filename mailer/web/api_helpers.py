"""What the API's two view modules share: the blueprint, token authentication, errors.

``mailer.web.api`` (reads) and ``mailer.web.api_actions`` (writes) both add
routes to ``bp``; keeping it and its helpers here means neither imports the other.
A request names its user with ``Authorization: Bearer <token>``; the route's
role comes from the OpenAPI registry, so a route cannot be served unguarded.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from mailer.auth import user_for_token
from mailer.content.models import Announcement
from mailer.users import Role
from mailer.web.auth import has_role
from mailer.web.db import db
from mailer.web.openapi import REGISTRY

bp = Blueprint("api", __name__)

PUBLIC_ENDPOINTS = {"api.openapi"}


def visible_announcements() -> Any:
    """Admins see every announcement; staff only their own."""
    query = select(Announcement).options(selectinload(Announcement.lists))
    user = g.api_user
    if not has_role(user, Role.ADMIN):
        query = query.where(Announcement.author_email == user.email)
    return query


def error_response(code: int, error: str, detail: str, **headers: str) -> Response:
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
        return error_response(
            401,
            "Unauthorized",
            "Send Authorization: Bearer <token> (create one under API tokens on the staff"
            " desk, or with `mailer users tokens create`).",
            **{"WWW-Authenticate": 'Bearer realm="mailer"'},
        )
    if not has_role(user, route.role):
        return error_response(403, "Forbidden", f"This needs the {route.role} role.")
    g.api_user = user
    return None
