"""The Jinja2 environment for email templates: built-ins, user overrides, strict rendering.

Templates are looked up first in the user's folder (``MAILER_TEMPLATES_DIR``)
and then in the built-in ``templates/email/``, so an office overrides any
layout, message or partial by dropping in a file of the same name. Rendering
is strict (``StrictUndefined``): a typo in a variable stops the edition with a
``TemplateProblem`` naming the file and line, before anything is sent.
"""

from __future__ import annotations

import functools
import traceback
from pathlib import Path
from typing import Any

import jinja2

from mailer.compose import formatting
from mailer.resources import TEMPLATES_DIR

BUILTIN_DIR = TEMPLATES_DIR / "email"


class TemplateProblem(ValueError):
    """A template cannot be rendered; the message names the template file and line."""

    def __init__(self, message: str, *, filename: str = "", lineno: int | None = None) -> None:
        super().__init__(message)
        self.filename = filename
        self.lineno = lineno


def _autoescape(name: str | None) -> bool:
    return bool(name) and str(name).endswith((".html", ".htm"))


@functools.lru_cache(maxsize=8)
def environment(templates_dir: str = "") -> jinja2.Environment:
    """One environment per user templates folder (cached: templates compile once)."""
    search: list[str] = []
    if templates_dir:
        user = Path(templates_dir).expanduser()
        if not user.is_dir():
            raise TemplateProblem(
                f"templates_dir {templates_dir!r} is not a directory; "
                "set MAILER_TEMPLATES_DIR to a folder of your own templates or leave it empty"
            )
        # A user folder may hold the email templates directly or in an email/ subfolder.
        if (user / "email").is_dir():
            search.append(str(user / "email"))
        search.append(str(user))
    if not BUILTIN_DIR.is_dir():
        raise TemplateProblem(
            f"the built-in email templates are missing ({BUILTIN_DIR}); reinstall the mailer "
            "(pip install odei-mailer, or pip install . from its source tree)"
        )
    search.append(str(BUILTIN_DIR))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(search),
        undefined=jinja2.StrictUndefined,
        autoescape=_autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(formatting.FILTERS)
    return env


def _source_file(env: jinja2.Environment, name: str) -> str | None:
    """Where ``name`` would be loaded from, without compiling it (None if nowhere)."""
    assert env.loader is not None
    try:
        _, filename, _ = env.loader.get_source(env, name)
    except jinja2.TemplateNotFound:
        return None
    return filename or ""


def is_user_template(env: jinja2.Environment, name: str) -> bool:
    """True when ``name`` resolves to a file outside the built-in folder."""
    filename = _source_file(env, name)
    return filename is not None and not Path(filename).resolve().is_relative_to(BUILTIN_DIR)


def has_template(env: jinja2.Environment, name: str) -> bool:
    return _source_file(env, name) is not None


def _template_frame(exc: BaseException) -> tuple[str, int | None]:
    """The innermost traceback frame that belongs to a template file."""
    found: tuple[str, int | None] = ("", None)
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith((".html", ".txt", ".htm")):
            found = (frame.filename, frame.lineno)
    return found


def render(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    """Render one template, turning every Jinja failure into a ``TemplateProblem``."""
    try:
        template = env.get_template(name)
        return template.render(context)
    except jinja2.TemplateSyntaxError as exc:
        filename = exc.filename or exc.name or name
        raise TemplateProblem(
            f"{filename}, line {exc.lineno}: template syntax error: {exc.message}",
            filename=filename,
            lineno=exc.lineno,
        ) from exc
    except jinja2.TemplateNotFound as exc:
        raise TemplateProblem(
            f"template {exc.name!r} not found (needed by {name}); looked in "
            + ", ".join(getattr(env.loader, "searchpath", [])),
            filename=str(exc.name),
        ) from exc
    except jinja2.UndefinedError as exc:
        filename, lineno = _template_frame(exc)
        where = f"{filename}, line {lineno}" if filename else name
        raise TemplateProblem(
            f"{where}: {exc.message}; fix the template or pass the variable",
            filename=filename or name,
            lineno=lineno,
        ) from exc
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError) as exc:
        filename, lineno = _template_frame(exc)
        where = f"{filename}, line {lineno}" if filename else name
        raise TemplateProblem(
            f"{where}: {type(exc).__name__}: {exc}", filename=filename or name, lineno=lineno
        ) from exc
