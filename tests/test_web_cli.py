"""``mailer users`` and ``mailer web`` from the command line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailer import auth
from mailer.commands.users import command as users
from mailer.commands.web import command as web
from mailer.config import Settings
from mailer.users import User


def test_users_create_with_password_from_stdin(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    runner = CliRunner()
    result = runner.invoke(
        users,
        ["create", "Ada@Example.org", "--role", "admin", "--name", "Ada", "--password-stdin"],
        input="a long admin passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin ada@example.org" in result.output
    with session_factory() as s:
        user = s.scalar(select(User).where(User.email == "ada@example.org"))
        assert user is not None and user.role == "admin" and user.name == "Ada"
        assert auth.verify_password(user.password_hash, "a long admin passphrase")
    again = runner.invoke(
        users, ["create", "ada@example.org", "--role", "staff", "--password-stdin"], input="x" * 12
    )
    assert again.exit_code == 1 and "already exists" in again.output


def test_users_create_prompts_and_checks_the_password(settings: Settings) -> None:
    runner = CliRunner()
    weak = runner.invoke(
        users, ["create", "sam@example.org", "--role", "staff"], input="short\nshort\n"
    )
    assert weak.exit_code == 1 and "at least 10 characters" in weak.output
    ok = runner.invoke(
        users,
        ["create", "sam@example.org", "--role", "staff"],
        input="staff passphrase 1\nstaff passphrase 1\n",
    )
    assert ok.exit_code == 0, ok.output
    bad_role = runner.invoke(users, ["create", "x@example.org", "--role", "owner"])
    assert bad_role.exit_code == 2 and "'owner' is not one of" in bad_role.output
    listing = runner.invoke(users, ["list"])
    assert "sam@example.org" in listing.output and "staff" in listing.output


def test_users_token_is_printed_once_and_stored_as_a_digest(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    runner = CliRunner()
    runner.invoke(
        users, ["create", "ada@example.org", "--role", "admin", "--password-stdin"], input="p" * 12
    )
    result = runner.invoke(users, ["token", "ada@example.org"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.startswith("mlr_") and len(token) > 40
    with session_factory() as s:
        assert auth.user_for_token(s, token) is not None
        user = s.scalar(select(User).where(User.email == "ada@example.org"))
        assert user is not None and user.api_token_hash == auth.token_digest(token)
    # A new token replaces the old one.
    newer = runner.invoke(users, ["token", "ada@example.org"]).output.strip()
    with session_factory() as s:
        assert auth.user_for_token(s, token) is None
        assert auth.user_for_token(s, newer) is not None
    missing = runner.invoke(users, ["token", "nobody@example.org"])
    assert missing.exit_code == 1 and "mailer users create" in missing.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_mailer_web_serves_the_app(settings: Settings) -> None:
    assert "gunicorn" in CliRunner().invoke(web, ["--help"]).output
    port = _free_port()
    env = {
        **os.environ,
        "MAILER_DATABASE_URL": settings.database_url,
        "MAILER_SECRET_KEY": "cli-test-secret",
        "MAILER_BASE_URL": f"http://127.0.0.1:{port}",
    }
    code = "from mailer.commands.web import command; command()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        body = ""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as r:
                    body = r.read().decode()
                    csp = r.headers["Content-Security-Policy"]
                break
            except OSError:
                time.sleep(0.2)
        assert "Staff login" in body, proc.stdout.read(2000) if proc.poll() is not None else ""
        assert "default-src 'self'" in csp
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_wsgi_module_exposes_app(settings: Settings) -> None:
    code = "from mailer.web.wsgi import app; print(type(app).__name__, app.name)"
    env = {**os.environ, "MAILER_DATABASE_URL": settings.database_url, "MAILER_SECRET_KEY": "k"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.stdout.strip() == "Flask mailer.web", out.stderr


def test_users_password_resets_a_forgotten_password(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    runner = CliRunner()
    runner.invoke(
        users, ["create", "sam@example.org", "--role", "staff", "--password-stdin"], input="q" * 12
    )
    short = runner.invoke(users, ["password", "sam@example.org", "--password-stdin"], input="x")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    ok = runner.invoke(
        users, ["password", "Sam@Example.org", "--password-stdin"], input="new passphrase!\n"
    )
    assert ok.exit_code == 0, ok.output
    with session_factory() as s:
        assert auth.authenticate(s, "sam@example.org", "new passphrase!") is not None
        assert auth.authenticate(s, "sam@example.org", "q" * 12) is None
    missing = runner.invoke(
        users, ["password", "nobody@example.org", "--password-stdin"], input="long enough pass\n"
    )
    assert missing.exit_code == 1 and "no user nobody@example.org" in missing.output
