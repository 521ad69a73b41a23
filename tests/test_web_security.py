"""Sessions end when they should, logins slow an attacker down without locking the
owner out, and malformed input never reaches the database as a 500.

Issue 13's security findings, each at request level with Flask's test client
against a real database (SQLite and PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import PASSWORD, WebClient

from mailer import auth
from mailer.db import AuditLog
from mailer.users import User
from mailer.web import ratelimit
from subscribers.models import MailingList

pytest_plugins = ["web_fixtures"]

COOKIE = "mailer_session"


def _new_client(app: Flask, ip: str = "127.0.0.1") -> WebClient:
    c = app.test_client()
    assert isinstance(c, WebClient)
    c.environ_base["REMOTE_ADDR"] = ip
    return c


def _saved_cookie(client: WebClient) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    return cookie.value


def _replay(app: Flask, cookie: str) -> WebClient:
    """Another browser holding a copy of the cookie (stolen, or saved before logout)."""
    c = _new_client(app)
    c.set_cookie(COOKIE, cookie, domain="localhost")
    return c


# --- sessions ------------------------------------------------------------------------


def test_logout_ends_the_session_even_for_a_saved_cookie(
    app: Flask, staff_client: WebClient, staff: User
) -> None:
    saved = _saved_cookie(staff_client)
    assert _replay(app, saved).get("/staff/").status_code == 200
    staff_client.post_form("/logout", {})
    # The copy of the cookie taken before logout opens nothing any more.
    replayed = _replay(app, saved).get("/staff/")
    assert replayed.status_code == 302
    assert replayed.headers["Location"].startswith("/login")
    # Logging in again works and gives a fresh, working session.
    staff_client.login(staff.email)
    assert staff_client.get("/staff/").status_code == 200


def test_logout_ends_every_session_of_that_user(
    app: Flask, staff_client: WebClient, staff: User
) -> None:
    other = _new_client(app, "192.0.2.50")
    other.login(staff.email)
    staff_client.post_form("/logout", {})
    assert other.get("/staff/").status_code == 302


def test_password_change_ends_saved_sessions_but_keeps_this_one(
    app: Flask, staff_client: WebClient, staff: User
) -> None:
    saved = _saved_cookie(staff_client)
    r = staff_client.post_form(
        "/staff/account",
        {"current": PASSWORD, "new": "a new passphrase", "confirm": "a new passphrase"},
    )
    assert r.status_code == 302
    assert staff_client.get("/staff/").status_code == 200
    assert _replay(app, saved).get("/staff/").status_code == 302


def test_cli_password_reset_ends_web_sessions(
    app: Flask, staff_client: WebClient, staff: User, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        user = s.get(User, staff.id)
        assert user is not None
        auth.set_password(user, "a forgotten one, reset")
        s.commit()
    assert staff_client.get("/staff/").status_code == 302


def test_the_cookie_carries_nothing_derived_from_the_password_hash(
    app: Flask, staff_client: WebClient, staff: User
) -> None:
    data = app.session_interface.get_signing_serializer(app).loads(  # type: ignore[attr-defined]
        _saved_cookie(staff_client)
    )
    values = [str(v) for v in data.values()]
    # No piece of the hash (today's last 16 characters, or any 6 in a row) is in it.
    hash_ = staff.password_hash
    pieces = {hash_[i : i + 6] for i in range(len(hash_) - 5)}
    assert not [v for v in values if any(p in v for p in pieces)], data


# --- login throttling ----------------------------------------------------------------


def _fail(client: WebClient, email: str) -> int:
    r = client.post_form("/login", {"email": email, "password": "not the password"})
    return r.status_code


def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out(
    app: Flask, admin: User, session_factory: sessionmaker[Session]
) -> None:
    attacker = _new_client(app, "203.0.113.9")
    assert [_fail(attacker, admin.email) for _ in range(3)] == [401, 401, 401]
    # More failures from that address, as the login view records them (without the
    # seconds of waiting between them that a real attacker has to spend).
    with session_factory() as s:
        for _ in range(5):
            ratelimit.LOGIN_THROTTLE.record(s, "203.0.113.9", admin.email)
        s.commit()
    refused = attacker.post_form("/login", {"email": admin.email, "password": PASSWORD})
    assert refused.status_code == 429
    assert re.search(r"Wait \d+ (second|minute)", refused.get_data(as_text=True))
    # The admin, from their own address, logs in at once.
    owner = _new_client(app, "198.51.100.4")
    assert owner.login(admin.email).headers["Location"] == "/admin/"
    with session_factory() as s:
        rows = list(s.scalars(select(AuditLog).where(AuditLog.action == "login.failed")))
    # Every counted failure is on record with the attacker's address.
    assert len(rows) == 8 and {r.actor for r in rows} == {"203.0.113.9"}


def test_the_delay_grows_with_each_failure_for_that_address_and_account(
    session: Session,
) -> None:
    now = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)
    throttle = ratelimit.LOGIN_THROTTLE
    waits = []
    for _ in range(8):
        waits.append(throttle.retry_after(session, "203.0.113.9", "ada@example.org", now=now))
        session.add(
            AuditLog(actor="203.0.113.9", action=throttle.action, target="ada@example.org", at=now)
        )
        session.flush()
    assert waits[:3] == [0, 0, 0]
    assert all(b > a for a, b in itertools.pairwise(waits[3:])), waits
    # Another address, or another account from this address, is not slowed by it.
    assert throttle.retry_after(session, "198.51.100.4", "ada@example.org", now=now) == 0
    assert throttle.retry_after(session, "203.0.113.9", "sam@example.org", now=now) == 0
    # The delay runs out.
    later = now + dt.timedelta(seconds=waits[-1] * 2 + 1)
    assert throttle.retry_after(session, "203.0.113.9", "ada@example.org", now=later) == 0


def test_an_address_guessing_many_accounts_is_refused_for_a_while(session: Session) -> None:
    now = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)
    throttle = ratelimit.LOGIN_THROTTLE
    for i in range(throttle.per_ip):
        session.add(
            AuditLog(actor="203.0.113.9", action=throttle.action, target=f"u{i}@x.org", at=now)
        )
    session.flush()
    assert throttle.retry_after(session, "203.0.113.9", "fresh@x.org", now=now) > 0
    assert throttle.retry_after(session, "198.51.100.4", "fresh@x.org", now=now) == 0
    after_window = now + throttle.window + dt.timedelta(seconds=1)
    assert throttle.retry_after(session, "203.0.113.9", "fresh@x.org", now=after_window) == 0


# --- optional fields and malformed input ---------------------------------------------


def test_scripted_list_form_without_sender_fields_stores_them_empty(
    admin_client: WebClient, session_factory: sessionmaker[Session], web_settings: object
) -> None:
    from mailer.delivery.message import MessageBuilder, Snapshot

    data = {
        "slug": "scripted",
        "name": "Scripted list",
        "timezone": "America/Chicago",
        "digest_weekday": "0",
        "digest_time": "07:00",
    }
    assert admin_client.post_form("/admin/lists/new", data).status_code == 302
    with session_factory() as s:
        mlist = s.scalar(select(MailingList).where(MailingList.slug == "scripted"))
        assert mlist is not None
        assert (mlist.from_email, mlist.reply_to, mlist.from_name, mlist.description) == (
            "",
            "",
            "",
            "",
        )
        builder = MessageBuilder(
            Snapshot(subject="Hello", preheader="", html="<p>x</p>", text="x"),
            mlist,
            web_settings,  # type: ignore[arg-type]
            campaign_id=1,
        )
    assert builder.from_email == "odei-news@example.org"  # the default sender applies


NAUGHTY = Path(__file__).parent / "data" / "web" / "naughty-numbers.txt"
OUR_OWN = [
    # The values the console got wrong, and the edges of the id range.
    "99999999999999999999999",
    "2147483648",  # one more than the largest INTEGER id
    "-99999999999999999999999",
    "0",
    "12abc",
    "\u00b2",  # a superscript two: str.isdigit() says yes, int() says no
    "' OR 1=1 --",
    "x" * 2000,
]
# Real-world: lines of the Big List of Naughty Strings (see the file's header). Every
# GET route gets them all; the POST routes (a CSRF check, then the same converters)
# get our own, to keep the test's time in bounds.
MALFORMED = [
    *OUR_OWN,
    *(
        line
        for line in NAUGHTY.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ),
]
QUERY_NAMES = (
    *("after", "before", "limit", "q", "list", "status", "id", "next", "date"),
    # The record pages (suppressions, bounces, audit log).
    *("reason", "kind", "trust", "campaign", "address", "actor", "action", "since", "until"),
    *("source", "joined_from", "joined_to"),  # the subscriber search (issue 13, item 2)
)


def _paths(app: Flask, value: str) -> list[tuple[str, str]]:
    """(method, path) for every rule, each of its variables set to ``value``."""
    from urllib.parse import quote

    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in {"static", "hooks.receive", "auth.logout"}:
            continue
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(r"<(?:[a-z]+:)?" + name + ">", quote(value, safe=""), path)
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            out.append((method, path))
    return out


def test_malformed_ids_and_query_parameters_never_answer_500(
    app: Flask, admin_client: WebClient, admin: User, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        user = s.get(User, admin.id)
        assert user is not None
        token = auth.issue_api_token(user)
        s.commit()
    headers = {"Authorization": f"Bearer {token}"}
    csrf = admin_client.token("/admin/")
    failures = []
    for value in MALFORMED:
        query = {name: value for name in QUERY_NAMES}
        for method, path in _paths(app, value):
            if method == "POST" and value not in OUR_OWN:
                continue
            kwargs: dict[str, object] = {"headers": headers} if path.startswith("/api/") else {}
            if method == "GET":
                r = admin_client.get(path, query_string=query, **kwargs)  # type: ignore[arg-type]
            elif path.startswith("/api/"):
                r = admin_client.post(path, json={}, **kwargs)  # type: ignore[arg-type]
            else:
                r = admin_client.post(path, data={"csrf_token": csrf})
            if r.status_code >= 500:
                failures.append((method, path[:80], value[:30], r.status_code))
    assert failures == []


def test_a_huge_after_answers_400_on_the_console_and_the_api(
    admin_client: WebClient, admin: User, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        user = s.get(User, admin.id)
        assert user is not None
        token = auth.issue_api_token(user)
        s.commit()
    huge = "99999999999999999999999"
    assert admin_client.get(f"/admin/subscribers/?after={huge}").status_code == 400
    r = admin_client.get(
        f"/api/v1/subscribers?after={huge}", headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 400 and "after" in r.get_json()["detail"]
    assert admin_client.get("/admin/subscribers/?after=abc").status_code == 400
    assert admin_client.get("/admin/subscribers/?after=").status_code == 200
    assert admin_client.get("/admin/subscribers/?after=5").status_code == 200


def test_an_admin_ends_every_session_of_a_user(
    app: Flask,
    admin_client: WebClient,
    staff_client: WebClient,
    staff: User,
    session_factory: sessionmaker[Session],
) -> None:
    saved = _saved_cookie(staff_client)
    path = f"/admin/users/{staff.id}"
    assert "End all sessions of sam.staff@example.org" in admin_client.get(path).get_data(True)
    assert admin_client.post(f"{path}/end-sessions").status_code == 400  # no CSRF token
    assert staff_client.get("/staff/").status_code == 200
    r = admin_client.post(f"{path}/end-sessions", data={"csrf_token": admin_client.token(path)})
    assert r.status_code == 302
    assert staff_client.get("/staff/").status_code == 302
    assert _replay(app, saved).get("/staff/").status_code == 302
    assert admin_client.get("/admin/").status_code == 200  # the admin's own session goes on
    with session_factory() as s:
        row = s.scalar(select(AuditLog).where(AuditLog.action == "user.sessions.end"))
        assert row is not None and row.target == f"user:{staff.email}"
    staff_client.login(staff.email)  # the password still works
    assert staff_client.get("/staff/").status_code == 200
