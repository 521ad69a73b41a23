"""The API's JSON shapes: the OpenAPI schemas and the functions that fill them.

Kept beside each other so a field added to one is seen missing from the other.
"""

from __future__ import annotations

from typing import Any

from mailer.content.models import Announcement
from mailer.delivery.models import Campaign
from subscribers.models import MailingList, Subscriber


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def page_of(name: str, cursor: str = "next_after") -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": ref(name)},
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
            "subscriptions": {"type": "array", "items": ref("Subscription")},
        },
        "required": ["id", "email"],
    },
    "Announcement": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "author_email": {"type": "string"},
            "title": {"type": "string"},
            "body_md": {"type": "string"},
            "mode": {"type": "string", "enum": ["digest", "standalone"]},
            "send_at": TIME,
            "status": {
                "type": "string",
                "enum": ["draft", "submitted", "approved", "rejected", "scheduled", "sent"],
            },
            "lists": {"type": "array", "items": {"type": "string"}},
            "review_note": {"type": "string"},
            "created_at": TIME,
            "submitted_at": TIME,
            "reviewed_at": TIME,
        },
        "required": ["id", "title", "status"],
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


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def list_json(m: MailingList) -> dict[str, Any]:
    keys = SCHEMAS["MailingList"]["properties"]
    return {k: getattr(m, k) for k in keys}


def subscriber_json(s: Subscriber, with_subscriptions: bool = False) -> dict[str, Any]:
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


def announcement_json(a: Announcement) -> dict[str, Any]:
    return {
        "id": a.id,
        "author_email": a.author_email,
        "title": a.title,
        "body_md": a.body_md,
        "mode": a.mode,
        "send_at": _iso(a.send_at),
        "status": a.status,
        "lists": [m.slug for m in a.lists],
        "review_note": a.review_note,
        "created_at": _iso(a.created_at),
        "submitted_at": _iso(a.submitted_at),
        "reviewed_at": _iso(a.reviewed_at),
    }


def campaign_json(c: Campaign) -> dict[str, Any]:
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
