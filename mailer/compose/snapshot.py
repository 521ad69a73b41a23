"""The rendered edition: what compose hands to delivery, stored on the campaign.

The HTML and text are rendered and inlined once per edition. The few parts
that differ per recipient are left as placeholders, plain ASCII identifiers
that survive Jinja, premailer and lxml untouched; delivery fills them in per
message (escaped for HTML or URLs), never rendering or inlining again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The per-recipient slots. Templates see them as ``recipient.<key>``.
PLACEHOLDERS: dict[str, str] = {
    "name": "__MAILER_NAME__",
    "email": "__MAILER_EMAIL__",
    "unsubscribe_url": "__MAILER_UNSUBSCRIBE_URL__",
    "preferences_url": "__MAILER_PREFERENCES_URL__",
}


@dataclass(frozen=True)
class Snapshot:
    subject: str
    preheader: str
    html: str  # complete, inlined document with placeholders
    text: str  # plain-text twin with the same placeholders
    meta: dict[str, object] = field(default_factory=dict, compare=False)
