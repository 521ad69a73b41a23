"""Shared by the provider modules: the rejection error, secrets, header lookup."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any


class WebhookRejected(ValueError):
    """The request is not from the provider (bad or missing signature, stale, malformed)."""


def secret(settings: Any, name: str) -> str:
    """A webhook secret from the settings if they have it, else from ``MAILER_<NAME>``."""
    value = getattr(settings, name, "") or os.environ.get(f"MAILER_{name.upper()}", "")
    return str(value)


def header(headers: Mapping[str, str], name: str) -> str:
    """Case-insensitive header lookup (WSGI, Flask and plain dicts all work)."""
    for key, value in headers.items():
        if key.lower() == name.lower():
            return str(value)
    return ""


def int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
