"""Fill one recipient's values into a snapshot: the only per-recipient work on the body.

The snapshot was rendered and inlined once; each message costs one regular
expression pass over each part. Values are escaped for where they land: in
the HTML part every value is HTML-escaped and links are also made URL-safe;
in the text part values go in raw (links URL-safe), as a reader would type them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from urllib.parse import quote

from mailer.compose.snapshot import PLACEHOLDERS, Snapshot

SAMPLE_NAME = "Sample Reader"
SAMPLE_EMAIL = "sample@example.org"

_PATTERN = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS.values()))
_KEY_OF = {placeholder: key for key, placeholder in PLACEHOLDERS.items()}
# Characters a URL may carry as they are; anything else (spaces, quotes, <, >,
# non-ASCII) is percent-encoded so it cannot break out of an href.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"


def _clean(value: str) -> str:
    return " ".join(str(value).replace("\r", " ").replace("\n", " ").split())


def url_safe(url: str) -> str:
    return quote(_clean(url), safe=_URL_SAFE)


def recipient_values(
    values: Mapping[str, str], fallback_name: str = ""
) -> tuple[dict[str, str], dict[str, str]]:
    """Escaped replacements for the HTML part and the text part, keyed by placeholder.

    Build these once per recipient and ``fill`` both parts (and any header
    that needs them); ``fallback_name`` stands in for a blank name
    ("Hello friend,", from ``settings.greeting_fallback``).
    """
    missing = set(PLACEHOLDERS) - set(values)
    if missing:
        raise KeyError(f"recipient values missing: {', '.join(sorted(missing))}")
    if not _clean(values["name"]) and fallback_name:
        values = {**values, "name": fallback_name}
    for_html: dict[str, str] = {}
    for_text: dict[str, str] = {}
    for key, placeholder in PLACEHOLDERS.items():
        raw = url_safe(values[key]) if key.endswith("_url") else _clean(values[key])
        for_text[placeholder] = raw
        for_html[placeholder] = html.escape(raw, quote=True)
    return for_html, for_text


def fill(template: str, replacements: Mapping[str, str]) -> str:
    """Replace every placeholder in one pass (a value can never be re-substituted)."""
    return _PATTERN.sub(lambda m: replacements[m.group(0)], template)


def personalise(
    snapshot: Snapshot, values: Mapping[str, str], fallback_name: str = ""
) -> tuple[str, str]:
    """The HTML and text parts for one recipient.

    ``values`` maps the keys of ``PLACEHOLDERS`` (name, email, unsubscribe_url,
    preferences_url) to this recipient's values; a blank name becomes
    ``fallback_name`` (pass ``settings.greeting_fallback``).
    """
    for_html, for_text = recipient_values(values, fallback_name)
    return fill(snapshot.html, for_html), fill(snapshot.text, for_text)


def sample_values(settings_base_url: str) -> dict[str, str]:
    """Values of a sample reader, for previews and template design."""
    base = settings_base_url.rstrip("/")
    return {
        "name": SAMPLE_NAME,
        "email": SAMPLE_EMAIL,
        "unsubscribe_url": f"{base}/u/preview-sample-token",
        "preferences_url": f"{base}/p/preview-sample-token",
    }
