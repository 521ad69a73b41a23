"""The public archive's copy of a sent edition: the snapshot without anything personal.

A snapshot carries per-recipient placeholders (``mailer.compose.snapshot``).
For the archive, links built from the personal URL slots (unsubscribe,
preferences) are removed with their anchor (their words stay), the name
becomes the greeting fallback and the address reads "your address", so no archived page
can act on anybody's subscription.
"""

from __future__ import annotations

import lxml.html

from mailer.compose.snapshot import PLACEHOLDERS

URL_SLOTS = ("unsubscribe_url", "preferences_url")


def _plain_replacements(fallback_name: str) -> dict[str, str]:
    values = {key: "" for key in PLACEHOLDERS}
    values["name"] = fallback_name
    values["email"] = "your address"
    return {PLACEHOLDERS[key]: value for key, value in values.items()}


def _replace_all(text: str, replacements: dict[str, str]) -> str:
    for placeholder, value in replacements.items():
        text = text.replace(placeholder, value)
    return text


def public_html(html: str, fallback_name: str) -> str:
    """The edition's HTML with personal links dropped and personal fields blanked."""
    if not html.strip():
        return ""
    doc = lxml.html.document_fromstring(html)
    url_marks = [PLACEHOLDERS[k] for k in URL_SLOTS if k in PLACEHOLDERS]
    for anchor in list(doc.iter("a")):
        href = anchor.get("href", "")
        if any(mark in href for mark in url_marks):
            anchor.drop_tag()  # keep the words, lose the link
    doctype = doc.getroottree().docinfo.doctype or "<!DOCTYPE html>"
    out = lxml.html.tostring(doc, doctype=doctype, encoding="unicode", method="html")
    return _replace_all(out, _plain_replacements(fallback_name))


def public_text(text: str, fallback_name: str) -> str:
    return _replace_all(text, _plain_replacements(fallback_name))
