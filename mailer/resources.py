"""Where the mailer's own files are, in a source tree and in an installed wheel.

The source tree keeps the templates at the top level (``templates/email``,
``templates/web``) so designers find them; a wheel carries the same folder as
``mailer/_templates`` (the ``package-dir`` mapping in pyproject.toml). Looking
in the package first means an installed mailer never picks up some other
project's top-level ``templates`` folder in site-packages.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static"


def _templates_dir() -> Path:
    for candidate in (PACKAGE_DIR / "_templates", PACKAGE_DIR.parent / "templates"):
        if (candidate / "email").is_dir():
            return candidate
    return PACKAGE_DIR / "_templates"  # missing: the error names where it should be


TEMPLATES_DIR = _templates_dir()
