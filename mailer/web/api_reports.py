"""Reports in the JSON API: a campaign's report and a list's health (``mailer.reports``).

The same dictionaries as ``mailer campaigns report --json`` and the CSV downloads,
registered on the API blueprint with their OpenAPI entries.
"""

from __future__ import annotations

from typing import Any

from flask import abort

from mailer.reports.campaign import COUNTS, campaign_report
from mailer.reports.health import list_health
from mailer.users import Role
from mailer.web.api_helpers import bp
from mailer.web.api_schemas import SCHEMAS, ref
from mailer.web.db import db
from mailer.web.openapi import api_route
from subscribers.models import MailingList

_INT = {"type": "integer"}
_RATE = {"type": "number", "minimum": 0}
_STR_OR_NULL = {"type": ["string", "null"]}

SCHEMAS["CampaignReport"] = {
    "type": "object",
    "required": [
        "recipients",
        "sent",
        "failed",
        "bounced",
        "complained",
        "unsubscribed",
        "clicks",
        "links",
    ],
    "properties": {
        "id": _INT,
        "list": {"type": "string"},
        "subject": {"type": "string"},
        "status": {"type": "string"},
        "started_at": _STR_OR_NULL,
        "finished_at": _STR_OR_NULL,
        **{k: _INT for k in COUNTS},
        "clicks": {
            "type": "object",
            "properties": {"tracked": {"type": "boolean"}, "total": _INT, "unique": _INT},
        },
        "opens": {
            "type": "object",
            "properties": {"tracked": {"type": "boolean"}, "total": _INT, "unique": _INT},
        },
        "links": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"url": {"type": "string"}, "total": _INT, "unique": _INT},
            },
        },
        "rates": {"type": "object", "additionalProperties": _RATE},
        "warnings": {"type": "array", "items": {"type": "string"}},
    },
}
SCHEMAS["ListHealth"] = {
    "type": "object",
    "properties": {
        "list": {"type": "string"},
        "name": {"type": "string"},
        "subscribers": _INT,
        "joined": _INT,
        "left": _INT,
        "growth": _INT,
        "joined_by_source": {"type": "object", "additionalProperties": _INT},
        "weeks": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "start": {"type": "string", "format": "date"},
                    "subscribers": _INT,
                    "joined": _INT,
                    "left": _INT,
                    "joined_by_source": {"type": "object", "additionalProperties": _INT},
                },
            },
        },
        "sends": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": _INT,
                    "subject": {"type": "string"},
                    "started_at": _STR_OR_NULL,
                    "sent": _INT,
                    "bounce_rate": _RATE,
                    "hard_bounce_rate": _RATE,
                    "complaint_rate": _RATE,
                    "warnings": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}


@api_route(
    bp,
    "/v1/campaigns/<int:campaign_id>/report",
    role=Role.STAFF,
    summary="What a send achieved: recipients, sent, failed, bounces, complaints, "
    "unsubscribes and clicks",
    response=ref("CampaignReport"),
    tag="reports",
)
def campaign_report_json(campaign_id: int) -> Any:
    found = campaign_report(db(), campaign_id)
    if found is None:
        abort(404)
    return found.to_json()


@api_route(
    bp,
    "/v1/lists/<int:list_id>/health",
    role=Role.STAFF,
    summary="A list's last 90 days: subscribers, joins and leaves per week, and each "
    "send's bounce and complaint rates",
    response=ref("ListHealth"),
    tag="reports",
)
def list_health_json(list_id: int) -> Any:
    mailing_list = db().get(MailingList, list_id)
    if mailing_list is None:
        abort(404)
    return list_health(db(), mailing_list).to_json()
