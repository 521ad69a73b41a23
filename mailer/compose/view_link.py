""" "View in your browser": the link at the top of every digest and announcement.

It leads to the edition's copy in the web app, ``/view/<list id>/<ref>?t=<sig>``,
where ``ref`` names the edition without its campaign (which does not exist
yet when the edition is rendered): ``2027-W10`` for the list's digest of
that ISO week (the week is the edition's identity, as in its edition key),
``announcement-12`` for an announcement. The signature is an HMAC of the
list and the ref under the secret key, so on a private list the link opens
that one edition and cannot be changed into another. It names no reader: it
is the same in every copy, rendered once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from mailer.config import Settings


def digest_ref(edition_date: dt.date) -> str:
    year, week, _ = edition_date.isocalendar()
    return f"{year}-W{week:02d}"


def announcement_ref(announcement_id: int) -> str:
    return f"announcement-{announcement_id}"


def sign(settings: Settings, list_id: int, ref: str) -> str:
    message = f"view:{list_id}:{ref}".encode()
    digest = hmac.new(settings.signing_key.encode(), message, hashlib.sha256).hexdigest()
    return digest[:32]


def verify(settings: Settings, list_id: int, ref: str, token: str) -> bool:
    return hmac.compare_digest(sign(settings, list_id, ref), token or "")


def view_url(settings: Settings, list_id: int, ref: str) -> str:
    base = settings.base_url.rstrip("/")
    return f"{base}/view/{list_id}/{ref}?t={sign(settings, list_id, ref)}"
