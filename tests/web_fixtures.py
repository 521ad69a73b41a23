"""Fixtures for the web tests: the app, a test client with CSRF and login helpers,
a live server on loopback for Chromium, and axe-core for accessibility checks.

Import what a module needs: ``from web_fixtures import app, client, ...``.
"""

from __future__ import annotations

import json
import re
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
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server
from werkzeug.test import TestResponse

from mailer import auth
from mailer.config import Settings, set_settings
from mailer.users import User
from mailer.web import create_app

PASSWORD = "correct horse battery staple"
AXE_VERSION = "4.10.3"
AXE_CACHE = Path(__file__).resolve().parent.parent / ".cache" / "axe"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html) or re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


class WebClient(FlaskClient):
    """A test client that can fetch a CSRF token and log in."""

    def token(self, path: str = "/login") -> str:
        return csrf_from(self.get(path).get_data(as_text=True))

    def post_form(self, path: str, data: dict[str, Any], **kwargs: Any) -> TestResponse:
        return self.post(path, data={"csrf_token": self.token(), **data}, **kwargs)

    def login(self, email: str, password: str = PASSWORD) -> TestResponse:
        response = self.post_form("/login", {"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
        return response


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


def axe_check(page: Any, axe_source: str, name: str, artifacts: Path) -> list[dict[str, Any]]:
    """Run axe-core in the page; return serious and critical violations (report saved)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Injected through the DevTools protocol, so the page's CSP does not apply.
        page.evaluate(axe_source)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    artifacts.mkdir(parents=True, exist_ok=True)
    (artifacts / f"{name}.axe.json").write_text(json.dumps(result["violations"], indent=1))
    return [v for v in result["violations"] if v.get("impact") in {"serious", "critical"}]


# --- data ------------------------------------------------------------------------------


def add_list(s: Session, slug: str = "odei-weekly", **kw: Any) -> Any:
    from subscribers.models import MailingList

    values: dict[str, Any] = {
        "name": "ODEI Weekly",
        "description": "News, heritage-month features and upcoming events from the "
        "Office of Diversity, Equity and Inclusion.",
        **kw,
    }
    mlist = MailingList(slug=slug, **values)
    s.add(mlist)
    s.flush()
    return mlist


def add_campaign(s: Session, mlist: Any, key: str, **kw: Any) -> Any:
    from mailer.delivery.models import Campaign

    values: dict[str, Any] = {
        "kind": "digest",
        "subject": "ODEI Weekly: Commemorate Women’s History Month",
        "preheader": "Happy Ramadan, Black History & The Arts, and the Desegregation History Wall.",
        "status": "sent",
        **kw,
    }
    campaign = Campaign(list_id=mlist.id, edition_key=key, **values)
    s.add(campaign)
    s.flush()
    return campaign
