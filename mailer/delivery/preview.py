"""Preview files of an edition: the HTML, text and .eml a sample reader gets.

They come from the same ``MessageBuilder`` build as a real delivery (with
real signed links for a sample reader), so the preview is byte for byte the
message that will be sent, headers included.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer.compose.personalise import SAMPLE_EMAIL, SAMPLE_NAME
from mailer.compose.snapshot import Snapshot
from mailer.config import Settings
from mailer.delivery.message import MessageBuilder, Recipient
from mailer.delivery.models import Campaign, CampaignKind, CampaignStatus
from mailer.delivery.variants import Variant, fresh_variants, stored_variants
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
        snapshot, mailing_list, settings, campaign_id=campaign_id, structured=True, mime=True
    )
    message = builder.build(Recipient(0, 0, SAMPLE_EMAIL, SAMPLE_NAME))
    out_dir.mkdir(parents=True, exist_ok=True)
    files = PreviewFiles(out_dir / f"{stem}.html", out_dir / f"{stem}.txt", out_dir / f"{stem}.eml")
    html, text = message.bodies()
    files.html.write_text(html, encoding="utf-8")
    files.text.write_text(text, encoding="utf-8")
    files.eml.write_bytes(message.raw)
    return files


@dataclass(frozen=True)
class Edition:
    """What a preview or check looks at: the snapshot and where it came from."""

    snapshot: Snapshot
    mailing_list: MailingList
    edition_date: dt.date
    source: str  # "rendered now", "stored campaign N (status)" or "sample (...)"
    notes: tuple[str, ...] = ()
    empty: bool = False
    campaign_id: int = 0
    # One per topic set in use among the list's readers (mailer.delivery.variants).
    variants: tuple[Variant, ...] = ()


def stored_snapshot(session: Session, mailing_list: MailingList, on: dt.date) -> Edition | None:
    """The digest already created for the week of ``on``, which is what a send would use.

    A week's edition is created once (its key is the list and the ISO week)
    and sent from its stored snapshot, so once it exists that, not a fresh
    render, is what must be previewed and checked. A blocked edition is
    rendered again when it is next sent, so it is not returned: the preview
    and check then show the edition as it would now be made.
    """
    monday = on - dt.timedelta(days=on.weekday())
    campaign = session.scalar(
        select(Campaign)
        .where(
            Campaign.list_id == mailing_list.id,
            Campaign.kind == CampaignKind.DIGEST,
            Campaign.edition_date >= monday,
            Campaign.edition_date < monday + dt.timedelta(days=7),
            Campaign.status != CampaignStatus.BLOCKED,
        )
        .order_by(Campaign.id.desc())
        .limit(1)
    )
    if campaign is None:
        return None
    meta = {**(campaign.meta or {}), "kind": "digest", "campaign_id": campaign.id}
    snapshot = Snapshot(campaign.subject, campaign.preheader, campaign.html, campaign.text, meta)
    return Edition(
        snapshot,
        mailing_list,
        campaign.edition_date or on,
        f"stored campaign {campaign.id} ({campaign.status})",
        campaign_id=campaign.id,
        variants=stored_variants(session, campaign.id, mailing_list.id),
    )


def current_edition(
    session: Session,
    mailing_list: MailingList,
    on: dt.date,
    settings: Settings,
    *,
    fresh: bool = False,
) -> Edition:
    """The digest of ``mailing_list`` for the week of ``on`` exactly as a send would make it.

    The stored campaign once this week's edition exists (unless ``fresh``),
    else the content selected and rendered now. Raises
    ``mailer.compose.render.TemplateProblem`` for a broken template.
    """
    from mailer.compose.render import render_digest
    from mailer.content.selection import select_edition_content
    from mailer.delivery.campaigns import edition_history

    stored = None if fresh else stored_snapshot(session, mailing_list, on)
    if stored is not None:
        return stored
    history = edition_history(session, mailing_list.id, on)
    content = select_edition_content(session, mailing_list, on, settings, history)
    snapshot = render_digest(content, mailing_list, settings)
    return Edition(
        snapshot,
        mailing_list,
        content.edition_date,
        "rendered now",
        content.notes,
        content.is_empty,
        variants=fresh_variants(session, content, snapshot, mailing_list, settings),
    )
