"""Login, logout, sessions, CSRF, security headers and error pages."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import PASSWORD, WebClient

from mailer.config import Settings
from mailer.db import AuditLog
from mailer.users import User
from mailer.web import create_app, ratelimit
from subscribers.models import MailingList

pytest_plugins = ["web_fixtures"]


def test_password_is_stored_as_argon2id(admin: User) -> None:
    assert admin.password_hash.startswith("$argon2id$")
    assert PASSWORD not in admin.password_hash


def test_login_sends_admin_to_console_and_staff_to_desk(
    client: WebClient, admin: User, staff: User
) -> None:
    assert client.login(admin.email).headers["Location"] == "/admin/"
    client.post_form("/logout", {})
    assert client.login(staff.email).headers["Location"] == "/staff/"


def test_wrong_password_is_refused_with_a_field_error(client: WebClient, admin: User) -> None:
    response = client.post_form("/login", {"email": admin.email, "password": "not it at all"})
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "The email or password is not correct." in page
    assert 'id="password-error"' in page
    assert client.get("/admin/").status_code == 302


def test_failed_logins_slow_this_address_on_this_account(
    client: WebClient, admin: User, session_factory: sessionmaker[Session]
) -> None:
    codes = [
        client.post_form(
            "/login", {"email": admin.email, "password": "wrong password!"}
        ).status_code
        for _ in range(3)
    ]
    assert codes == [401, 401, 401]
    # The fourth try comes too soon: even the right password waits, and the page says how long.
    blocked = client.post_form("/login", {"email": admin.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Too many failed attempts from your address. Wait" in blocked.get_data(as_text=True)
    with session_factory() as s:
        failures = s.scalar(
            select(func.count(AuditLog.id)).where(
                AuditLog.action == "login.failed", AuditLog.target == admin.email
            )
        )
    assert failures == 3


def test_login_is_refused_for_an_address_guessing_many_accounts(
    client: WebClient, admin: User, session_factory: sessionmaker[Session]
) -> None:
    # Failures from this IP against other accounts are on record (as the login view
    # writes them) up to one below the limit; the last is made here, then the IP is refused.
    limit = ratelimit.LOGIN_THROTTLE.per_ip
    with session_factory() as s:
        for i in range(limit - 1):
            ratelimit.LOGIN_THROTTLE.record(s, "127.0.0.1", f"nobody{i}@example.org")
        s.commit()
    r = client.post_form("/login", {"email": "guess@example.org", "password": "guessing!!"})
    assert r.status_code == 401
    r = client.post_form("/login", {"email": admin.email, "password": PASSWORD})
    assert r.status_code == 429
    # Another address is not refused because of this one.
    with session_factory() as s:
        assert ratelimit.LOGIN_THROTTLE.retry_after(s, "192.0.2.7", admin.email) == 0
        assert ratelimit.LOGIN_THROTTLE.retry_after(s, "127.0.0.1", admin.email) > 0


def test_next_parameter_cannot_leave_the_site(client: WebClient, admin: User) -> None:
    r = client.post(
        "/login?next=https://evil.example/x",
        data={"csrf_token": client.token(), "email": admin.email, "password": PASSWORD},
    )
    assert r.headers["Location"] == "/admin/"
    client.post_form("/logout", {})
    r = client.post(
        "/login?next=/admin/lists/",
        data={"csrf_token": client.token(), "email": admin.email, "password": PASSWORD},
    )
    assert r.headers["Location"] == "/admin/lists/"


def test_deactivated_user_loses_the_session(
    admin_client: WebClient, admin: User, session_factory: sessionmaker[Session]
) -> None:
    assert admin_client.get("/admin/").status_code == 200
    with session_factory() as s:
        s.get(User, admin.id).active = False  # type: ignore[union-attr]
        s.commit()
    assert admin_client.get("/admin/").status_code == 302


def test_form_without_csrf_token_is_refused_and_changes_nothing(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    data = {
        "slug": "forged",
        "name": "Forged list",
        "timezone": "America/Chicago",
        "digest_weekday": "0",
        "digest_time": "07:00",
    }
    r = admin_client.post("/admin/lists/new", data=data)
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "This form has expired or was not sent from this site" in page
    assert "Traceback" not in page
    r = admin_client.post("/admin/lists/new", data={**data, "csrf_token": "forged-token"})
    assert r.status_code == 400
    with session_factory() as s:
        assert s.scalar(select(func.count(MailingList.id))) == 0
    # The same form with its token goes through.
    assert admin_client.post_form("/admin/lists/new", data).status_code == 302


def test_logout_needs_a_post_with_csrf(admin_client: WebClient) -> None:
    assert admin_client.get("/logout").status_code == 405
    assert admin_client.post("/logout").status_code == 400
    assert admin_client.get("/admin/").status_code == 200
    admin_client.post_form("/logout", {})
    assert admin_client.get("/admin/").status_code == 302


def test_security_headers_on_every_kind_of_page(client: WebClient) -> None:
    for path in ["/", "/login", "/subscribe", "/archive/", "/no-such-page", "/api/openapi.json"]:
        r = client.get(path)
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "'unsafe-inline'" not in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "same-origin"


def test_session_cookie_flags_follow_the_base_url(settings: Settings) -> None:
    https_app = create_app(settings)  # settings.base_url is https
    r = https_app.test_client().get("/login")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie
    http_app = create_app(settings.replace(base_url="http://localhost:8000"))
    cookie = http_app.test_client().get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    for a in (https_app, http_app):
        a.extensions["mailer.engine"].dispose()


def test_errors_are_pages_not_stack_traces(app: Flask, client: WebClient) -> None:
    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("secret internals")

    r = client.get("/boom")
    assert r.status_code == 500
    body = r.get_data(as_text=True)
    assert "Something went wrong" in body
    assert "secret internals" not in body and "Traceback" not in body
    r = client.get("/admin/lists/999999x")
    assert r.status_code == 404
    assert "Page not found" in r.get_data(as_text=True)
    r = client.get("/api/v1/nothing")
    assert r.status_code == 404 and r.is_json


def test_password_change_ends_other_sessions(
    app: Flask, staff_client: WebClient, staff: User, session_factory: sessionmaker[Session]
) -> None:
    other = app.test_client()
    assert isinstance(other, WebClient)
    other.login(staff.email)
    r = staff_client.post_form(
        "/staff/account",
        {"current": "wrong one!", "new": "a new passphrase", "confirm": "a new passphrase"},
    )
    assert r.status_code == 400 and "This is not your current password." in r.get_data(True)
    r = staff_client.post_form(
        "/staff/account", {"current": PASSWORD, "new": "short", "confirm": "short"}
    )
    assert "at least 10 characters" in r.get_data(as_text=True)
    r = staff_client.post_form(
        "/staff/account", {"current": PASSWORD, "new": "a new passphrase", "confirm": "differs"}
    )
    assert "The two new passwords differ." in r.get_data(as_text=True)
    r = staff_client.post_form(
        "/staff/account",
        {"current": PASSWORD, "new": "a new passphrase", "confirm": "a new passphrase"},
    )
    assert r.status_code == 302
    assert staff_client.get("/staff/").status_code == 200  # this session goes on
    assert other.get("/staff/").status_code == 302  # the other one is logged out
    other.login(staff.email, "a new passphrase")
    with session_factory() as s:
        failures = s.scalar(
            select(func.count(AuditLog.id)).where(AuditLog.action == "login.failed")
        )
    assert failures == 1


def test_private_pages_are_not_cached_and_https_sites_get_hsts(
    admin_client: WebClient, settings: Settings
) -> None:
    assert admin_client.get("/admin/").headers["Cache-Control"] == "no-store"
    assert admin_client.get("/login").headers["Cache-Control"] == "no-store"
    assert "Cache-Control" not in admin_client.get("/archive/").headers
    assert "Strict-Transport-Security" not in admin_client.get("/").headers  # http site
    https_app = create_app(settings)
    r = https_app.test_client().get("/")
    assert r.headers["Strict-Transport-Security"] == "max-age=31536000"
    https_app.extensions["mailer.engine"].dispose()
