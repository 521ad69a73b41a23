"""Preview files of a snapshot: the HTML and text a sample recipient gets, and the .eml.

What is previewed is the snapshot itself, personalised exactly as delivery
personalises it, so the preview is what will be sent. The .eml comes from
delivery's ``MessageBuilder`` (the real headers: List-Unsubscribe, Message-ID,
...); on a build without it, a plain multipart/alternative stands in, marked
as a preview in its headers.
"""

from __future__ import annotations

import email.policy
import email.utils
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from mailer.compose.personalise import personalise
from mailer.compose.snapshot import Snapshot
from mailer.config import Settings

SAMPLE_NAME = "Sample Reader"
SAMPLE_EMAIL = "sample@example.org"


@dataclass(frozen=True)
class PreviewFiles:
    html: Path
    text: Path
    eml: Path
    eml_from_builder: bool


def sample_values(settings: Settings) -> dict[str, str]:
    base = settings.base_url.rstrip("/")
    return {
        "name": SAMPLE_NAME,
        "email": SAMPLE_EMAIL,
        "unsubscribe_url": f"{base}/u/preview-sample-token",
        "preferences_url": f"{base}/p/preview-sample-token",
    }


def _builder_eml(snapshot: Snapshot, mailing_list: Any, settings: Settings) -> bytes | None:
    try:
        from mailer.delivery.message import (  # type: ignore[import-not-found,unused-ignore]
            MessageBuilder,
            Recipient,
        )
    except ImportError:
        return None
    builder = MessageBuilder(snapshot, mailing_list, settings, campaign_id=0)
    message = builder.build(
        Recipient(delivery_id=0, subscriber_id=0, email=SAMPLE_EMAIL, name=SAMPLE_NAME)
    )
    return bytes(message.raw)


def _standin_eml(snapshot: Snapshot, mailing_list: Any, settings: Settings) -> bytes:
    html, text = personalise(snapshot, sample_values(settings))
    msg = EmailMessage(policy=email.policy.SMTP)
    from_name = getattr(mailing_list, "from_name", "") or settings.from_name
    from_email = getattr(mailing_list, "from_email", "") or settings.from_email
    msg["From"] = email.utils.formataddr((from_name, from_email))
    msg["To"] = email.utils.formataddr((SAMPLE_NAME, SAMPLE_EMAIL))
    msg["Subject"] = snapshot.subject
    msg["Date"] = email.utils.formatdate(localtime=False)
    msg["Message-ID"] = email.utils.make_msgid(domain=settings.message_id_domain)
    msg["X-Mailer-Preview"] = "stand-in; the sent message also carries List-* headers"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg.as_bytes()


def write_preview(
    snapshot: Snapshot, mailing_list: Any, settings: Settings, out_dir: Path, stem: str
) -> PreviewFiles:
    """Write ``stem``.html, .txt and .eml for the sample recipient into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    html, text = personalise(snapshot, sample_values(settings))
    paths = PreviewFiles(
        html=out_dir / f"{stem}.html",
        text=out_dir / f"{stem}.txt",
        eml=out_dir / f"{stem}.eml",
        eml_from_builder=False,
    )
    paths.html.write_text(html, encoding="utf-8")
    paths.text.write_text(text, encoding="utf-8")
    raw = _builder_eml(snapshot, mailing_list, settings)
    from_builder = raw is not None
    if raw is None:
        raw = _standin_eml(snapshot, mailing_list, settings)
    paths.eml.write_bytes(raw)
    return PreviewFiles(paths.html, paths.text, paths.eml, from_builder)
