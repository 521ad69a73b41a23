"""Backends are chosen by URL; each scheme is one module here with a ``from_url``.

``maildir:./outbox`` -> ``maildir.py``, ``smtp://...`` and ``smtps://...`` ->
``smtp.py``, ``sendgrid://KEY@`` -> ``sendgrid.py`` and so on: adding a
transport is adding one file.
"""

from __future__ import annotations

import importlib
from urllib.parse import urlsplit

from mailer.config import Settings
from mailer.delivery.backends.base import (
    Backend,
    BackendError,
    Outcome,
    OutgoingMessage,
    SendResult,
)

__all__ = [
    "Backend",
    "BackendError",
    "Outcome",
    "OutgoingMessage",
    "SendResult",
    "backend_from_url",
]

# Schemes served by a module of another name.
ALIASES = {"smtps": "smtp", "smtp+starttls": "smtp"}


def backend_from_url(url: str, settings: Settings) -> Backend:
    scheme = urlsplit(url).scheme or url.split(":", 1)[0]
    module_name = ALIASES.get(scheme, scheme)
    if not module_name.isidentifier():
        raise BackendError(f"backend URL {url!r}: unknown scheme {scheme!r}")
    try:
        module = importlib.import_module(f"mailer.delivery.backends.{module_name}")
    except ModuleNotFoundError:
        raise BackendError(
            f"backend URL {url!r}: unknown scheme {scheme!r} "
            "(known: maildir, smtp, smtps, null, and the API backends)"
        ) from None
    backend: Backend = module.from_url(url, settings)
    return backend
