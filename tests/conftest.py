"""Shared fixtures: a migrated database per test, on SQLite always and PostgreSQL when asked.

Migrating is slow, so each backend is migrated once per session: SQLite into a
template file copied for each test, PostgreSQL in place and emptied with one
TRUNCATE between tests. Set MAILER_TEST_POSTGRES_URL to run every database
test on PostgreSQL as well (``.ci/run`` does).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings, set_settings
from mailer.db import Base, make_engine, make_sessionmaker, migrate, normalise_url

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def _worker_database(base_url: str, worker: str) -> str:
    """This xdist worker's own database beside the one CI made, created empty.

    Tests TRUNCATE and migrate their PostgreSQL database, so two workers must never
    share one; each gets ``<database>_<worker>``, and the environment variable is
    rewritten so subprocesses and modules that read it see the same database.
    """
    from sqlalchemy.engine import make_url

    url = make_url(normalise_url(base_url))
    name = f"{url.database}_{worker}"
    admin = make_engine(url.render_as_string(hide_password=False))
    with admin.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


if XDIST_WORKER and os.environ.get("MAILER_TEST_POSTGRES_URL"):
    os.environ["MAILER_TEST_POSTGRES_URL"] = _worker_database(
        os.environ["MAILER_TEST_POSTGRES_URL"], XDIST_WORKER
    )
POSTGRES_URL = os.environ.get("MAILER_TEST_POSTGRES_URL", "")

DB_KINDS = ["sqlite", "postgresql"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if IN_CI and not POSTGRES_URL:
        raise pytest.UsageError("CI=true but MAILER_TEST_POSTGRES_URL is not set")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A worker drops the database it made for itself; CI's own database is CI's to drop."""
    if not (XDIST_WORKER and POSTGRES_URL):
        return
    from sqlalchemy.engine import make_url

    url = make_url(normalise_url(POSTGRES_URL))
    admin = make_engine(url.set(database="postgres").render_as_string(hide_password=False))
    with admin.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(autouse=True)
def _console_width_read_at_print() -> None:
    """Rich fixes a console's width from COLUMNS when the console is made.

    The CLI's consoles are made once, on the first import of ``mailer.cli_support``;
    an xdist worker runs with COLUMNS=80 in its environment, so the console froze at
    80 columns and a test's own ``COLUMNS=250`` was ignored. With the width unset,
    Rich reads COLUMNS each time it prints. A real ``mailer`` process runs one command.
    """
    support = sys.modules.get("mailer.cli_support")
    if support is not None:
        for console in (support.console, support.err_console):
            real = getattr(console, "_console", console)  # made on first use
            if real is not None:
                real._width = real._height = None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_migrated() -> str:
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured: set MAILER_TEST_POSTGRES_URL to run these")
    url = normalise_url(POSTGRES_URL)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    migrate(url)
    return url


def _truncate_postgres(url: str) -> None:
    engine = make_engine(url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=DB_KINDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated, empty database of each kind; the URL is all a subprocess needs."""
    if request.param == "sqlite":
        path = tmp_path / "mailer.db"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_migrated")
    _truncate_postgres(url)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    return tmp_path / "outbox"


@pytest.fixture
def settings(db_url: str, outbox: Path, tmp_path: Path) -> Iterator[Settings]:
    """Settings pointing at this test's database and Maildir, installed process-wide."""
    s = Settings(
        database_url=db_url,
        backend=f"maildir:{outbox}",
        base_url="https://news.example.org",
        secret_key="test-secret-key-not-for-production",
        secret_key_file=str(tmp_path / "secret"),
        bounce_domain="bounces.example.org",
        message_id_domain="mailer.example.org",
        unsubscribe_mailto="unsubscribe@example.org",
    )
    set_settings(s)
    yield s
    set_settings(None)


@pytest.fixture
def cli_env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    """Environment for running `mailer` (CliRunner or a subprocess) against this test's setup."""
    empty = tmp_path / "empty-mailer.toml"
    empty.write_text("")
    return {
        "MAILER_DATABASE_URL": settings.database_url,
        "MAILER_BACKEND": settings.backend,
        "MAILER_BASE_URL": settings.base_url,
        "MAILER_SECRET_KEY": settings.secret_key,
        "MAILER_CONFIG": str(empty),
    }


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Screenshots and other evidence a test keeps for people to look at."""
    path = Path(os.environ.get("MAILER_TEST_ARTIFACTS", "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def chromium_path() -> str:
    """Debian's Chromium; installed on demand as root, never a downloaded browser build."""
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if Path(path).exists():
        return path
    if os.geteuid() == 0 and shutil.which("apt-get"):
        import subprocess

        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium"],
            check=False,
            capture_output=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            timeout=900,
        )
        if Path("/usr/bin/chromium").exists():
            return "/usr/bin/chromium"
    message = "Debian chromium is not installed (apt-get install chromium)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """A headless Chromium driven by Playwright, shared by the session's browser tests."""
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if IN_CI:
            pytest.fail("playwright is not installed")
        pytest.skip("playwright is not installed")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
