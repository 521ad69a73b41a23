"""The mailer installs like any Python package: a built wheel carries its templates,
static files and migrations, and `mailer demo` works from an empty folder after a
plain `pip install` into a fresh virtual environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest
from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:  # type: ignore[type-arg]
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_package_in_the_tree_is_listed_for_the_wheel() -> None:
    """pyproject lists packages (for the templates mapping): a new one must not be left out."""
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = set(find_packages(str(ROOT), include=["mailer*", "subscribers*"]))
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    assert listed - found == {"mailer._templates"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # Built from a clean copy: setuptools leaves build/ behind, and a stale build/ in the
    # checkout could hide a file the sdist or wheel would really miss.
    src = out / "src"
    skip = shutil.ignore_patterns(".*", "build", "dist", "*.egg-info", "__pycache__", "outbox")
    shutil.copytree(ROOT, src, ignore=skip)
    subprocess.run(
        # --no-deps: build only our own wheel here; installing it below resolves the deps.
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-w", str(out), "-q"],
        check=True,
        capture_output=True,
        timeout=600,
    )
    [built] = out.glob("odei_mailer-*.whl")
    return built


@pytest.mark.slow
def test_the_wheel_carries_templates_static_files_and_migrations(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    source_templates = {
        "mailer/_templates/" + p.relative_to(ROOT / "templates").as_posix()
        for p in (ROOT / "templates").rglob("*")
        if p.is_file()
    }
    assert source_templates and source_templates <= names, sorted(source_templates - names)[:5]
    for required in (
        "mailer/_templates/email/digest.html",
        "mailer/_templates/web/admin/lists.html",
        "mailer/static/style.css",
        "mailer/migrations/env.py",
        "mailer/migrations/script.py.mako",
        "mailer/migrations/versions/0001_initial_schema.py",
        "subscribers/lists.py",
    ):
        assert required in names, required
    assert not any(n.startswith("templates/") for n in names)  # not a top-level package


@pytest.mark.slow
def test_demo_runs_from_an_empty_folder_after_a_plain_install(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    # Nothing from this checkout: no MAILER_* settings, no PYTHONPATH (through which pip
    # would find the checkout's egg-info, call the wheel installed and skip it), another
    # folder.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAILER_", "PYTHON"))}
    env["COLUMNS"] = "200"
    pip = subprocess.run(
        [str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert pip.returncode == 0, pip.stderr[-3000:]
    assert (env_dir / "bin" / "mailer").exists(), pip.stdout[-2000:] + pip.stderr[-2000:]
    empty = tmp_path / "empty"
    empty.mkdir()
    demo = subprocess.run(
        [str(env_dir / "bin" / "mailer"), "demo"],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-3000:]
    assert "templates are missing" not in demo.stderr
    where = subprocess.run(
        [str(env_dir / "bin" / "python"), "-c", "import mailer; print(mailer.__file__)"],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(env_dir) in where and str(ROOT) not in where  # the installed copy ran
    assert list((empty / "outbox" / "new").iterdir())  # the digest went out
    assert list((empty / "preview").glob("*.html"))
