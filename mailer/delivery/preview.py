"""Preview files of an edition: the HTML, text and .eml a sample reader gets.

They come from the same ``MessageBuilder`` build as a real delivery (with
real signed links for a sample reader), so the preview is byte for byte the
message that will be sent, headers included.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mailer.compose.personalise import SAMPLE_EMAIL, SAMPLE_NAME
from mailer.compose.snapshot import Snapshot
from mailer.config import Settings
from mailer.delivery.message import MessageBuilder, Recipient
from subscribers.models import MailingList


@dataclass(frozen=True)
class PreviewFiles:
    html: Path
    text: Path
    eml: Path


def write_preview(
    snapshot: Snapshot,
    mailing_list: MailingList,
    settings: Settings,
    out_dir: Path,
    stem: str,
    *,
    campaign_id: int = 0,
) -> PreviewFiles:
    """Write ``stem``.html, .txt and .eml for the sample reader into ``out_dir``."""
    builder = MessageBuilder(
        snapshot, mailing_list, settings, campaign_id=campaign_id, structured=True
    )
    message = builder.build(Recipient(0, 0, SAMPLE_EMAIL, SAMPLE_NAME))
    out_dir.mkdir(parents=True, exist_ok=True)
    files = PreviewFiles(out_dir / f"{stem}.html", out_dir / f"{stem}.txt", out_dir / f"{stem}.eml")
    files.html.write_text(message.html, encoding="utf-8")
    files.text.write_text(message.text, encoding="utf-8")
    files.eml.write_bytes(message.raw)
    return files
