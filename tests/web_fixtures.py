"""Fixtures for the web tests: the app, a test client with CSRF and login helpers,
a live server on loopback for Chromium, and axe-core for accessibility checks.

Load it in a test module with ``pytest_plugins = ["web_fixtures"]``; plain helpers
(the CSRF-aware client, data builders, the axe runner) are in ``web_helpers``.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import PASSWORD, WebClient
from werkzeug.serving import make_server

from mailer import auth
from mailer.config import Settings, set_settings
from mailer.users import User
from mailer.web import create_app

AXE_VERSION = "4.10.3"
AXE_CACHE = Path(__file__).resolve().parent.parent / ".cache" / "axe"


@pytest.fixture
def web_settings(settings: Settings) -> Iterator[Settings]:
    """The test settings over plain http, as the test client speaks (no Secure cookie)."""
    s = settings.replace(base_url="http://localhost")
    set_settings(s)
    yield s
    set_settings(None)


@pytest.fixture
def app(web_settings: Settings) -> Iterator[Flask]:
    application = create_app(web_settings)
    application.test_client_class = WebClient
    yield application
    application.extensions["mailer.engine"].dispose()


@pytest.fixture
def client(app: Flask) -> WebClient:
    c = app.test_client()
    assert isinstance(c, WebClient)
    return c


UserFactory = Callable[..., User]


@pytest.fixture
def make_user(session_factory: sessionmaker[Session]) -> UserFactory:
    def make(email: str, role: str = "staff", password: str = PASSWORD, name: str = "") -> User:
        with session_factory() as s:
            user = auth.create_user(s, email, password, role, name)
            s.commit()
            return user

    return make


@pytest.fixture
def admin(make_user: UserFactory) -> User:
    return make_user("ada.admin@example.org", "admin", name="Ada Admin")


@pytest.fixture
def staff(make_user: UserFactory) -> User:
    return make_user("sam.staff@example.org", "staff", name="Sam Staff")


@pytest.fixture
def admin_client(app: Flask, admin: User) -> WebClient:
    c = app.test_client()
    assert isinstance(c, WebClient)
    c.login(admin.email)
    return c


@pytest.fixture
def staff_client(app: Flask, staff: User) -> WebClient:
    c = app.test_client()
    assert isinstance(c, WebClient)
    c.login(staff.email)
    return c


# --- a live server for the browser -----------------------------------------------------


class _Deferred:
    """The WSGI app is made after the socket is bound, once the port (and so base_url) is known."""

    app: Flask | None = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        assert self.app is not None
        return self.app(environ, start_response)


@dataclass
class LiveServer:
    url: str
    app: Flask
    settings: Settings


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    """The app on 127.0.0.1 (port chosen by the OS), served in a thread."""
    deferred = _Deferred()
    server = make_server("127.0.0.1", 0, deferred, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    s = settings.replace(base_url=url)
    set_settings(s)
    deferred.app = create_app(s)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url, deferred.app, s)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        deferred.app.extensions["mailer.engine"].dispose()
        set_settings(None)


# --- axe-core --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe.min.js from the npm registry package, cached in .cache/axe/ (never a CDN)."""
    target = AXE_CACHE / AXE_VERSION / "axe.min.js"
    if not target.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is needed once to fetch axe-core (apt-get install npm)")
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                [npm, "pack", f"axe-core@{AXE_VERSION}", "--silent"],
                cwd=tmp,
                check=True,
                capture_output=True,
                timeout=180,
            )
            (tarball,) = Path(tmp).glob("axe-core-*.tgz")
            with tarfile.open(tarball) as tar:
                member = tar.extractfile("package/axe.min.js")
                assert member is not None
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(member.read())
    return target.read_text(encoding="utf-8")
