"""Issue 13, item 4: users' access. A password reset by a mailed one-time link (signed,
single-use, expiring, sent through the transactional path), revoking sessions, and
personal API tokens (shown once, stored hashed, revocable) that the JSON API accepts.
Request-level, each action with its role check and CSRF, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import PASSWORD, WebClient, mail_to

from mailer import resets
from mailer.config import Settings
from mailer.db import AuditLog
from mailer.users import ApiToken, User
from mailer.web import create_app

pytest_plugins = ["web_fixtures"]

NEW_PASSWORD = "a brand new passphrase 42"


def _fresh(app: Flask) -> WebClient:
    c = app.test_client()
    assert isinstance(c, WebClient)
    return c


def _audit(session_factory: sessionmaker[Session], action: str) -> list[AuditLog]:
    with session_factory() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action)))


def _reset_path(outbox: Path, email: str) -> str:
    message = mail_to(outbox, email, "new password")
    text = message.get_body(("plain",)).get_content()
    match = re.search(r"https?://\S+/reset/\S+", text)
    assert match, text
    return urlsplit(match.group(0)).path


def test_a_mailed_reset_link_sets_the_password_once(
    app: Flask,
    admin_client: WebClient,
    staff_client: WebClient,
    staff: User,
    outbox: Path,
    session_factory: sessionmaker[Session],
) -> None:
    edit = f"/admin/users/{staff.id}"
    assert admin_client.post(f"{edit}/reset-link").status_code == 400  # no CSRF token
    r = admin_client.post(f"{edit}/reset-link", data={"csrf_token": admin_client.token(edit)})
    assert r.status_code == 302
    assert "link to choose a password is on its way" in admin_client.get(edit).get_data(
        as_text=True
    )
    message = mail_to(outbox, staff.email, "new password")
    assert message["Auto-Submitted"] == "auto-generated"
    path = _reset_path(outbox, staff.email)
    # Asking for the link changes nothing yet: the old password and session go on.
    assert staff_client.get("/staff/").status_code == 200
    stranger = _fresh(app)
    page = stranger.get(path)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "For sam.staff@example.org" in page.get_data(as_text=True)
    form = {"new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert stranger.post(path, data=form).status_code == 400  # no CSRF token
    mismatch = {
        "new": NEW_PASSWORD,
        "confirm": "something else entirely",
        "csrf_token": stranger.token(path),
    }
    assert stranger.post(path, data=mismatch).status_code == 400
    short = {"new": "short", "confirm": "short", "csrf_token": stranger.token(path)}
    assert "at least 10" in stranger.post(path, data=short).get_data(as_text=True)
    r = stranger.post(path, data={**form, "csrf_token": stranger.token(path)})
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    # Every session of the account ended; the new password works, the old does not.
    assert staff_client.get("/staff/").status_code == 302
    fresh = _fresh(app)
    fresh.login(staff.email, NEW_PASSWORD)
    assert fresh.get("/staff/").status_code == 200
    bad = _fresh(app).post_form("/login", {"email": staff.email, "password": PASSWORD})
    assert bad.status_code == 401
    # The link worked once.
    again = _fresh(app).get(path)
    assert again.status_code == 400 and "used already" in again.get_data(as_text=True)
    assert [e.target for e in _audit(session_factory, "user.reset_link")] == [f"user:{staff.email}"]
    assert [e.actor for e in _audit(session_factory, "user.password.reset")] == [staff.email]


def test_forged_expired_and_revoked_links_are_refused(
    app: Flask,
    admin_client: WebClient,
    staff: User,
    web_settings: Settings,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    c = _fresh(app)
    with session_factory() as s:
        user = s.get(User, staff.id)
        assert user is not None
        token = resets.make_token(web_settings, user)
        other = resets.make_token(web_settings.replace(secret_key="another-installation"), user)
    assert c.get(f"/reset/{token}").status_code == 200
    assert c.get(f"/reset/{token[:-2]}xy").status_code == 400
    assert c.get(f"/reset/{other}").status_code == 400
    assert c.get("/reset/" + "a" * 2000).status_code == 400
    monkeypatch.setattr(resets, "RESET_MAX_AGE", -1)
    assert "expired" in c.get(f"/reset/{token}").get_data(as_text=True)
    monkeypatch.undo()
    # "End all sessions" voids an outstanding link too.
    edit = f"/admin/users/{staff.id}"
    admin_client.post(f"{edit}/end-sessions", data={"csrf_token": admin_client.token(edit)})
    assert c.get(f"/reset/{token}").status_code == 400


def test_a_reset_link_that_cannot_be_mailed_is_said_and_recorded(
    web_settings: Settings,
    admin: User,
    staff: User,
    tmp_path: Path,
    session_factory: sessionmaker[Session],
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the outbox's parent folder should be\n")
    app = create_app(web_settings.replace(backend=f"maildir:{blocker / 'outbox'}"))
    app.test_client_class = WebClient
    try:
        c = _fresh(app)
        c.login(admin.email)
        edit = f"/admin/users/{staff.id}"
        r = c.post(f"{edit}/reset-link", data={"csrf_token": c.token(edit)})
        assert r.status_code == 302
        assert "could not be mailed" in c.get(edit).get_data(as_text=True)
    finally:
        app.extensions["mailer.engine"].dispose()
    failed = _audit(session_factory, "mail.failed")
    assert len(failed) == 1 and failed[0].detail["kind"] == "password_reset"
    assert _audit(session_factory, "user.reset_link") == []


def test_personal_tokens_are_shown_once_stored_hashed_and_accepted_by_the_api(
    app: Flask, staff_client: WebClient, staff: User, session_factory: sessionmaker[Session]
) -> None:
    assert staff_client.post("/staff/tokens", data={"name": "sheet"}).status_code == 400  # CSRF
    r = staff_client.post(
        "/staff/tokens",
        data={"name": "Sign-up sheet", "csrf_token": staff_client.token("/staff/tokens")},
    )
    assert r.status_code == 200
    found = re.search(r'data-field="token">(mlr_[A-Za-z0-9_-]+)<', r.get_data(as_text=True))
    assert found is not None
    token = found.group(1)
    # Shown once: not on the next visit, not in the cookie, not in the database.
    assert token not in staff_client.get("/staff/tokens").get_data(as_text=True)
    cookie = staff_client.get_cookie("mailer_session")
    assert cookie is not None and token not in cookie.value
    with session_factory() as s:
        row = s.scalar(select(ApiToken))
        assert row is not None and row.name == "Sign-up sheet" and token not in row.token_hash
        assert row.last_used_at is None
        token_id = row.id
    api = _fresh(app)
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/lists", headers=bearer).status_code == 200
    assert api.get("/api/v1/subscribers", headers=bearer).status_code == 403  # staff's role
    with session_factory() as s:
        row = s.get(ApiToken, token_id)
        assert row is not None and row.last_used_at is not None
    path = f"/staff/tokens/{token_id}/revoke"
    assert staff_client.post(path).status_code == 400  # no CSRF token
    r = staff_client.post(path, data={"csrf_token": staff_client.token("/staff/tokens")})
    assert r.status_code == 302
    assert api.get("/api/v1/lists", headers=bearer).status_code == 401
    assert [e.detail["token"] for e in _audit(session_factory, "user.token.create")] == [
        "Sign-up sheet"
    ]
    assert len(_audit(session_factory, "user.token.revoke")) == 1


def test_nobody_revokes_another_users_token_but_an_admin(
    app: Flask,
    admin_client: WebClient,
    staff_client: WebClient,
    staff: User,
    make_user: object,
    session_factory: sessionmaker[Session],
) -> None:
    r = admin_client.post(
        "/staff/tokens",
        data={"name": "admin script", "csrf_token": admin_client.token("/staff/tokens")},
    )
    admin_token = re.search(r'data-field="token">([^<]+)<', r.get_data(as_text=True))
    r = staff_client.post(
        "/staff/tokens",
        data={"name": "staff script", "csrf_token": staff_client.token("/staff/tokens")},
    )
    staff_token = re.search(r'data-field="token">([^<]+)<', r.get_data(as_text=True))
    assert admin_token and staff_token
    with session_factory() as s:
        ids = {t.name: t.id for t in s.scalars(select(ApiToken))}
    # Staff cannot revoke the admin's token (not theirs: 404), nor reach the admin route.
    csrf = staff_client.token("/staff/tokens")
    assert (
        staff_client.post(
            f"/staff/tokens/{ids['admin script']}/revoke", data={"csrf_token": csrf}
        ).status_code
        == 404
    )
    assert (
        staff_client.post(
            f"/admin/users/{staff.id}/tokens/{ids['staff script']}/revoke",
            data={"csrf_token": csrf},
        ).status_code
        == 403
    )
    assert (
        staff_client.post(
            f"/admin/users/{staff.id}/reset-link", data={"csrf_token": csrf}
        ).status_code
        == 403
    )
    # The admin sees it on the user's page and revokes it there.
    edit = f"/admin/users/{staff.id}"
    assert "staff script" in admin_client.get(edit).get_data(as_text=True)
    path = f"{edit}/tokens/{ids['staff script']}/revoke"
    assert admin_client.post(path).status_code == 400
    assert admin_client.post(path, data={"csrf_token": admin_client.token(edit)}).status_code == 302
    api = _fresh(app)
    assert (
        api.get(
            "/api/v1/lists", headers={"Authorization": f"Bearer {staff_token.group(1)}"}
        ).status_code
        == 401
    )
    assert (
        api.get(
            "/api/v1/lists", headers={"Authorization": f"Bearer {admin_token.group(1)}"}
        ).status_code
        == 200
    )
    # A token of another user's id is not found under this user.
    other = f"{edit}/tokens/{ids['admin script']}/revoke"
    assert (
        admin_client.post(other, data={"csrf_token": admin_client.token(edit)}).status_code == 404
    )


def test_a_deactivated_users_personal_tokens_stop(
    app: Flask, admin_client: WebClient, staff_client: WebClient, staff: User
) -> None:
    r = staff_client.post(
        "/staff/tokens", data={"name": "cron", "csrf_token": staff_client.token("/staff/tokens")}
    )
    found = re.search(r'data-field="token">([^<]+)<', r.get_data(as_text=True))
    assert found
    bearer = {"Authorization": f"Bearer {found.group(1)}"}
    assert _fresh(app).get("/api/v1/lists", headers=bearer).status_code == 200
    edit = f"/admin/users/{staff.id}"
    r = admin_client.post(
        edit, data={"csrf_token": admin_client.token(edit), "name": "Sam", "role": "staff"}
    )
    assert r.status_code == 302
    assert _fresh(app).get("/api/v1/lists", headers=bearer).status_code == 401


def test_a_new_user_can_be_invited_to_choose_their_own_password(
    app: Flask, admin_client: WebClient, outbox: Path, session_factory: sessionmaker[Session]
) -> None:
    form = {"email": "Noor.Haddad@WUSTL.example", "name": "Noor", "role": "staff"}
    r = admin_client.post_form("/admin/users/new", form)
    assert r.status_code == 400 and "mail them a link" in r.get_data(as_text=True)
    r = admin_client.post_form("/admin/users/new", {**form, "invite": "y", "password": "x" * 12})
    assert r.status_code == 400 and "Leave the password empty" in r.get_data(as_text=True)
    r = admin_client.post_form("/admin/users/new", {**form, "invite": "y"})
    assert r.status_code == 302
    assert "on its way to noor.haddad@wustl.example" in admin_client.get(
        r.headers["Location"]
    ).get_data(as_text=True)
    path = _reset_path(outbox, "noor.haddad@wustl.example")
    c = _fresh(app)
    r = c.post(
        path, data={"new": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": c.token(path)}
    )
    assert r.status_code == 302
    c.login("noor.haddad@wustl.example", NEW_PASSWORD)
    assert c.get("/staff/").status_code == 200
    created = _audit(session_factory, "user.create")
    assert created[-1].detail == {"role": "staff", "invited": True}
