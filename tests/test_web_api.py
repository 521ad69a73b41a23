"""The JSON API: bearer tokens, payloads, paging, and the OpenAPI document."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from openapi_spec_validator import validate
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import WebClient, add_announcement, add_campaign, add_list

from mailer import auth
from mailer.delivery.models import Delivery
from mailer.users import User
from mailer.web.openapi import REGISTRY, openapi_path
from subscribers.models import Subscriber, Subscription

pytest_plugins = ["web_fixtures"]


@pytest.fixture
def bearer(admin: User, staff: User, session_factory: sessionmaker[Session]) -> dict[str, dict]:
    with session_factory() as s:
        tokens = {
            "admin": auth.issue_api_token(s.get(User, admin.id)),  # type: ignore[arg-type]
            "staff": auth.issue_api_token(s.get(User, staff.id)),  # type: ignore[arg-type]
        }
        s.commit()
    return {k: {"Authorization": f"Bearer {v}"} for k, v in tokens.items()}


@pytest.fixture
def data(session_factory: sessionmaker[Session]) -> dict[str, int]:
    with session_factory() as s:
        mlist = add_list(s)
        people = [
            Subscriber(email=f"scholar{i:02d}@wustl.example", name=f"Summer Scholar {i}")
            for i in range(7)
        ]
        s.add_all(people)
        s.flush()
        s.add(Subscription(subscriber_id=people[0].id, list_id=mlist.id, status="confirmed"))
        campaign = add_campaign(s, mlist, "odei-weekly:2026-W12", status="sending")
        s.add(
            Delivery(
                campaign_id=campaign.id,
                subscriber_id=people[0].id,
                email=people[0].email,
                status="sent",
            )
        )
        s.commit()
        return {"list": mlist.id, "person": people[0].id, "campaign": campaign.id}


def test_token_is_stored_only_as_its_digest(
    bearer: dict[str, dict], admin: User, session_factory: sessionmaker[Session]
) -> None:
    token = bearer["admin"]["Authorization"].split()[1]
    with session_factory() as s:
        stored = s.get(User, admin.id).api_token_hash  # type: ignore[union-attr]
    assert stored == auth.token_digest(token) and token not in stored
    assert re.fullmatch(r"[0-9a-f]{64}", stored)


def test_lists(client: WebClient, bearer: dict[str, dict], data: dict[str, int]) -> None:
    r = client.get("/api/v1/lists", headers=bearer["staff"])
    assert r.status_code == 200
    (item,) = r.get_json()
    assert item["slug"] == "odei-weekly" and item["timezone"] == "America/Chicago"
    one = client.get(f"/api/v1/lists/{data['list']}", headers=bearer["staff"]).get_json()
    assert one == item
    missing = client.get("/api/v1/lists/999", headers=bearer["staff"])
    assert missing.status_code == 404 and missing.get_json()["error"] == "Page not found"


def test_subscribers_paged_and_searched(
    client: WebClient, bearer: dict[str, dict], data: dict[str, int]
) -> None:
    page = client.get("/api/v1/subscribers?limit=3", headers=bearer["admin"]).get_json()
    assert [p["email"] for p in page["items"]] == [f"scholar0{i}@wustl.example" for i in range(3)]
    nxt = client.get(
        f"/api/v1/subscribers?limit=3&after={page['next_after']}", headers=bearer["admin"]
    ).get_json()
    assert nxt["items"][0]["email"] == "scholar03@wustl.example"
    found = client.get("/api/v1/subscribers?q=scholar06", headers=bearer["admin"]).get_json()
    assert [p["email"] for p in found["items"]] == ["scholar06@wustl.example"]
    assert found["next_after"] is None
    one = client.get(f"/api/v1/subscribers/{data['person']}", headers=bearer["admin"]).get_json()
    assert one["subscriptions"][0]["list"] == "odei-weekly"
    assert one["subscriptions"][0]["status"] == "confirmed"
    assert client.get("/api/v1/subscribers", headers=bearer["staff"]).status_code == 403


def test_campaigns(client: WebClient, bearer: dict[str, dict], data: dict[str, int]) -> None:
    listing = client.get("/api/v1/campaigns", headers=bearer["admin"]).get_json()
    assert listing["items"][0]["edition_key"] == "odei-weekly:2026-W12"
    assert listing["next_before"] is None
    one = client.get(f"/api/v1/campaigns/{data['campaign']}", headers=bearer["admin"]).get_json()
    assert one["progress"]["counts"]["sent"] == 1 and one["list"] == "odei-weekly"


def test_revoked_user_token_stops_working(
    client: WebClient,
    bearer: dict[str, dict],
    admin: User,
    session_factory: sessionmaker[Session],
) -> None:
    assert client.get("/api/v1/lists", headers=bearer["admin"]).status_code == 200
    with session_factory() as s:
        s.get(User, admin.id).active = False  # type: ignore[union-attr]
        s.commit()
    assert client.get("/api/v1/lists", headers=bearer["admin"]).status_code == 401


def test_openapi_document_is_valid_and_describes_every_api_route(
    app: Flask, client: WebClient
) -> None:
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    doc = r.get_json()
    validate(doc)  # raises on a structurally invalid OpenAPI 3.1 document
    assert doc["openapi"].startswith("3.1")
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi":
            path = openapi_path(rule.rule.removeprefix("/api"))
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
                served.add((path, method.lower()))
    described = {(p, m) for p, ops in doc["paths"].items() for m in ops}
    assert served == described
    assert len(REGISTRY) == len(served)
    for path, ops in doc["paths"].items():
        for op in ops.values():
            names = {p["name"] for p in op["parameters"] if p["in"] == "path"}
            assert names == set(re.findall(r"{([a-z_]+)}", path))
            assert {"200", "401", "403"} <= set(op["responses"])
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_announcements_staff_see_their_own(
    client: WebClient, bearer: dict[str, dict], session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        mlist = add_list(s)
        mine = add_announcement(s, "sam.staff@example.org", "Heritage month lunch", [mlist])
        theirs = add_announcement(
            s, "someone.else@example.org", "Board retreat", [mlist], status="draft"
        )
        s.commit()
        mine_id, theirs_id = mine.id, theirs.id
    staff_view = client.get("/api/v1/announcements", headers=bearer["staff"]).get_json()
    assert [a["title"] for a in staff_view["items"]] == ["Heritage month lunch"]
    assert staff_view["items"][0]["lists"] == ["odei-weekly"]
    assert (
        client.get(f"/api/v1/announcements/{theirs_id}", headers=bearer["staff"]).status_code == 404
    )
    got = client.get(f"/api/v1/announcements/{mine_id}", headers=bearer["staff"]).get_json()
    assert got["status"] == "submitted" and "**Diversity Grand Rounds**" in got["body_md"]
    admin_view = client.get("/api/v1/announcements", headers=bearer["admin"]).get_json()
    assert [a["title"] for a in admin_view["items"]] == ["Board retreat", "Heritage month lunch"]
    drafts = client.get("/api/v1/announcements?status=draft", headers=bearer["admin"]).get_json()
    assert [a["id"] for a in drafts["items"]] == [theirs_id]


def test_api_subscribe_and_unsubscribe_follow_the_opt_in_rules(
    client: WebClient,
    bearer: dict[str, dict],
    data: dict[str, int],
    session_factory: sessionmaker[Session],
    outbox,  # type: ignore[no-untyped-def]
) -> None:
    from web_helpers import mail_to

    body = {"list": "odei-weekly", "email": "Ana.Ruiz@WUSTL.example", "name": "Ana Ruiz"}
    r = client.post("/api/v1/subscribe", json=body, headers=bearer["staff"])
    assert r.status_code == 403
    r = client.post("/api/v1/subscribe", json={**body, "email": "nope"}, headers=bearer["admin"])
    assert r.status_code == 400 and r.get_json()["detail"].startswith("email:")
    r = client.post("/api/v1/subscribe", json={**body, "list": "x"}, headers=bearer["admin"])
    assert r.status_code == 400 and "list" in r.get_json()["detail"]
    r = client.post("/api/v1/subscribe", json=body, headers=bearer["admin"])
    assert r.status_code == 200 and r.get_json() == {"result": "confirm_sent", "mail_failed": False}
    assert "/c/" in mail_to(outbox, "Ana.Ruiz@wustl.example").get_body(("plain",)).get_content()
    with session_factory() as s:
        person = s.scalar(select(Subscriber).where(Subscriber.email == "Ana.Ruiz@wustl.example"))
        assert person is not None and person.subscriptions[0].status == "pending"
        assert person.subscriptions[0].source == "api"
    r = client.post("/api/v1/unsubscribe", json=body, headers=bearer["admin"])
    assert r.get_json() == {"result": "unsubscribed"}
    r = client.post("/api/v1/unsubscribe", json=body, headers=bearer["admin"])
    assert r.get_json() == {"result": "unchanged"}


def test_api_announcements_queue_review_and_campaign_control(
    client: WebClient,
    bearer: dict[str, dict],
    data: dict[str, int],
    session_factory: sessionmaker[Session],
) -> None:
    new = {"title": "Heritage month lunch", "body_md": "Join us **Thursday**.", "lists": ["x"]}
    r = client.post("/api/v1/announcements", json=new, headers=bearer["staff"])
    assert r.status_code == 400 and "lists" in r.get_json()["detail"]
    new["lists"] = ["odei-weekly"]
    r = client.post("/api/v1/announcements", json=new, headers=bearer["staff"])
    assert r.status_code == 201
    item = r.get_json()
    assert item["status"] == "draft" and item["author_email"] == "sam.staff@example.org"
    aid = item["id"]
    assert (
        client.post(f"/api/v1/announcements/{aid}/approve", headers=bearer["staff"]).status_code
        == 403
    )
    r = client.post(f"/api/v1/announcements/{aid}/approve", json={}, headers=bearer["admin"])
    assert r.status_code == 409  # a draft is not reviewed
    r = client.post(f"/api/v1/announcements/{aid}/submit", json={}, headers=bearer["staff"])
    assert r.status_code == 200 and r.get_json()["status"] == "submitted"
    r = client.post(f"/api/v1/announcements/{aid}/reject", json={}, headers=bearer["admin"])
    assert r.status_code == 400 and r.get_json()["detail"].startswith("note:")
    r = client.post(
        f"/api/v1/announcements/{aid}/approve", json={"note": "Lovely."}, headers=bearer["admin"]
    )
    assert r.status_code == 200 and r.get_json()["review_note"] == "Lovely."

    cid = data["campaign"]
    r = client.post(
        f"/api/v1/campaigns/{cid}/pause", json={"reason": "typo"}, headers=bearer["admin"]
    )
    assert r.status_code == 200 and r.get_json()["status"] == "paused"
    assert client.post(f"/api/v1/campaigns/{cid}/pause", headers=bearer["admin"]).status_code == 409
    r = client.post(f"/api/v1/campaigns/{cid}/resume", headers=bearer["admin"])
    assert r.status_code == 200 and r.get_json()["status"] == "sending"
    r = client.post(f"/api/v1/campaigns/{cid}/cancel", headers=bearer["admin"])
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled"
    assert client.post(f"/api/v1/campaigns/{cid}/pause", headers=bearer["staff"]).status_code == 403
