"""A small registry of API routes that is also the source of the OpenAPI document.

Each API view is declared once with ``api_route`` (path, role, summary,
parameters, response schema); the same record registers the Flask route,
drives the role check and writes its entry in ``/api/openapi.json``, so the
document cannot drift from what the app serves.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint

import mailer


@dataclass(frozen=True)
class Param:
    name: str
    where: str  # "path" or "query"
    schema: dict[str, Any]
    description: str = ""
    required: bool = False


@dataclass(frozen=True)
class ApiRoute:
    rule: str  # Flask rule below /api, e.g. "/v1/lists/<int:list_id>"
    method: str
    endpoint: str
    role: str
    summary: str
    response: dict[str, Any]
    params: tuple[Param, ...] = field(default=())
    tag: str = ""
    body: dict[str, Any] | None = None  # JSON request body schema (POST)


REGISTRY: dict[str, ApiRoute] = {}


def api_route(
    bp: Blueprint,
    rule: str,
    *,
    role: str,
    summary: str,
    response: dict[str, Any],
    params: tuple[Param, ...] = (),
    method: str = "GET",
    tag: str = "",
    body: dict[str, Any] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        endpoint = f"{bp.name}.{view.__name__}"
        REGISTRY[endpoint] = ApiRoute(
            rule,
            method,
            endpoint,
            role,
            summary,
            response,
            params,
            tag or rule.split("/")[2],
            body,
        )
        bp.add_url_rule(rule, view_func=view, methods=[method])
        return view

    return register


def openapi_path(rule: str, prefix: str = "/api") -> str:
    """``/v1/lists/<int:list_id>`` -> ``/api/v1/lists/{list_id}``."""
    return prefix + re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def _path_params(rule: str) -> list[Param]:
    return [
        Param(name, "path", {"type": "integer" if kind == "int" else "string"}, required=True)
        for kind, name in re.findall(r"<(?:([a-z]+):)?([a-z_]+)>", rule)
    ]


ERROR = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
    "required": ["error"],
}


def document(schemas: dict[str, Any], base_url: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document for every registered route."""
    paths: dict[str, dict[str, Any]] = {}
    for route in REGISTRY.values():
        parameters = [
            {
                "name": p.name,
                "in": p.where,
                "required": p.required or p.where == "path",
                "schema": p.schema,
                **({"description": p.description} if p.description else {}),
            }
            for p in [*_path_params(route.rule), *route.params]
        ]
        responses: dict[str, Any] = {
            "200": {
                "description": "OK",
                "content": {"application/json": {"schema": route.response}},
            },
            "401": {"$ref": "#/components/responses/Unauthorized"},
            "403": {"$ref": "#/components/responses/Forbidden"},
        }
        if "{" in openapi_path(route.rule):
            responses["404"] = {"$ref": "#/components/responses/NotFound"}
        operation: dict[str, Any] = {
            "operationId": route.endpoint.split(".", 1)[1],
            "summary": route.summary,
            "description": f"Needs a token of a user with role {route.role} or higher.",
            "tags": [route.tag],
            "parameters": parameters,
            "responses": responses,
        }
        if route.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": route.body}},
            }
            responses["400"] = {"$ref": "#/components/responses/BadRequest"}
            responses["409"] = {"$ref": "#/components/responses/Conflict"}
        paths.setdefault(openapi_path(route.rule), {})[route.method.lower()] = operation

    def error_response(text: str) -> dict[str, Any]:
        return {
            "description": text,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ODEI mailer API",
            "version": mailer.__version__,
            "description": "Lists, subscribers and campaigns of the mailer. Authenticate with "
            "`Authorization: Bearer <token>`; create a token with `mailer users token EMAIL`.",
        },
        "servers": [{"url": base_url.rstrip("/")}],
        "security": [{"bearerAuth": []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR, **schemas},
            "responses": {
                "Unauthorized": error_response("Missing, unknown or revoked token."),
                "Forbidden": error_response("The token's user lacks the role."),
                "NotFound": error_response("No such object."),
                "BadRequest": error_response("The JSON body is missing a field or has a bad one."),
                "Conflict": error_response("The object's state does not allow this step."),
            },
        },
    }
