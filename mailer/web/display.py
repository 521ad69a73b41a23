"""How times, campaign states and rules' messages read on the console's pages.

Every time is shown in a named zone: the list's own where the thing belongs
to a list (a campaign's start, an announcement's send time), else the
installation's ``default_timezone``; never bare UTC, which nobody at the
school reads in.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app


def local_time(value: dt.datetime | None, zone: str = "") -> str:
    """``Dec 2, 2026 10:00 CST``: ``value`` in ``zone`` (default: the installation's zone)."""
    if value is None:
        return "—"
    name = zone or current_app.extensions["mailer.settings"].default_timezone
    try:
        tz = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(tz).strftime("%b %-d, %Y %H:%M %Z")


def sentence(message: object) -> str:
    """A rule's message (``str(exc)``, lower-case, no stop) as the page shows it: a sentence."""
    text = str(message)
    return text[:1].upper() + text[1:] + "."


def status_text(status: str, reason: str) -> str:
    """One phrase for a state and its reason: "Cancelled by ada@…", not "cancelled cancelled by"."""
    label = status[:1].upper() + status[1:]
    reason = reason.strip()
    if not reason:
        return label
    if reason.lower().startswith(status.lower()):
        return reason[:1].upper() + reason[1:]
    return f"{label}: {reason}"
