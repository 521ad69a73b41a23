"""Thin, lazy links to the stages the scheduler drives but does not own.

Ingest, announcement rendering and the bounce mailbox are written by other
parts of the project. Each is imported only when its job runs, so a missing
or broken stage makes that one job log a clear error (naming the function it
expected) instead of stopping the scheduler or every other job.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

#: (module, function) the scheduler calls; the contract each stage promised.
INGEST = ("mailer.content.ingest", "ingest_all")  # (session_factory, settings, progress=None)
RENDER_ANNOUNCEMENT = ("mailer.compose.render", "render_announcement")  # (entry, list, settings)
# TODO(feedback): the bounce stage is expected to provide
# mailer.feedback.mailbox.process_mailbox(session_factory, settings); rename here if it differs.
PROCESS_MAILBOX = ("mailer.feedback.mailbox", "process_mailbox")

_warned: set[str] = set()


class StageMissing(RuntimeError):
    """A stage the scheduler calls is not installed in this build."""


def resolve(target: tuple[str, str]) -> Callable[..., Any]:
    """Import ``module.function`` now; raise StageMissing naming what was expected."""
    module_name, func_name = target
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise StageMissing(f"{module_name}.{func_name} is not available: {exc}") from None
        raise
    func = getattr(module, func_name, None)
    if func is None:
        raise StageMissing(f"{module_name} has no {func_name}()")
    return func


def available(target: tuple[str, str]) -> bool:
    try:
        resolve(target)
    except StageMissing:
        return False
    return True


def call_stage(target: tuple[str, str], *args: Any, **kwargs: Any) -> Any:
    """Call a stage; when it is absent, log once per process and return None."""
    try:
        func = resolve(target)
    except StageMissing as exc:
        key = ".".join(target)
        if key not in _warned:
            _warned.add(key)
            log.error("scheduler job skipped: %s (this build lacks that stage)", exc)
        return None
    return func(*args, **kwargs)


def announcement_body_html(body_md: str) -> str:
    """Staff Markdown to sanitised HTML (markdown-it-py, then nh3).

    TODO(content): use the announcements module's own renderer once it exists,
    so the rule for what staff may write lives in one place.
    """
    import nh3
    from markdown_it import MarkdownIt

    return nh3.clean(MarkdownIt("commonmark", {"html": False}).render(body_md or ""))
