"""A campaign's variants: made when the edition is made, used by every worker batch.

When a digest is made, every distinct topic set in use among the list's
readers is rendered once (``mailer.compose.variants``), checked like the
edition itself, and stored (``CampaignVariant``). Before each batch the
worker reads the claimed readers' current topic keys (so a change takes
effect from the next batch), renders a set first seen mid-send from the
edition's stored items, and skips the readers whose variant is empty.
``VariantBuilder`` then builds each message from its reader's variant with
the usual prebuilt ``MessageBuilder``: nothing is rendered per recipient.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailer.compose.snapshot import Snapshot
from mailer.config import Settings
from mailer.content.edition import EditionContent
from mailer.content.edition_codec import from_json, to_json
from mailer.delivery.backends.base import OutgoingMessage
from mailer.delivery.message import MessageBuilder, Recipient
from mailer.delivery.models import Campaign
from mailer.delivery.outbox import Claimed
from mailer.delivery.store import VariantStore
from mailer.delivery.variant_keys import (
    NOT_FOR_THEM,
    digest_keys,
    instant_key,
    is_instant,
    keys_in_use,
    received,
)
from mailer.delivery.variant_models import CampaignVariant
from subscribers.models import MailingList
from subscribers.topic_models import Topic
from subscribers.topics import lists_with_instant_readers, split_key

if TYPE_CHECKING:  # rendering (premailer, lxml, icalendar) loads only when a variant is made
    from mailer.compose.checks import Finding
    from mailer.compose.inline import Inliner

#: Why a reader was skipped: their topics hold nothing in this edition.
EMPTY_REASON = "nothing in this edition for the reader's topics"

__all__ = [
    "EMPTY_REASON",
    "NOT_FOR_THEM",
    "Variant",
    "VariantBuilder",
    "digest_keys",
    "fresh_variants",
    "has_variants",
    "instant_key",
    "is_instant",
    "keys_in_use",
    "load_variant",
    "make_variants",
    "needs_variants",
    "received",
    "route",
    "skip_reason",
    "stored_variants",
    "variant_snapshots",
]


#: Why a reader an announcement campaign is no longer for (their mode or topics changed,
#: or the announcement carries none of their topics) was skipped.
NOT_FOR_THEM_REASON = (
    "not for this reader: the announcement carries none of their topics, "
    "or they get the weekly digest"
)


def skip_reason(key: str) -> str:
    """The reason recorded on a skipped delivery for a reader of variant ``key``."""
    return NOT_FOR_THEM_REASON if key == NOT_FOR_THEM else EMPTY_REASON


def topic_names(session: Session, list_id: int) -> dict[int, str]:
    rows = session.execute(select(Topic.id, Topic.name).where(Topic.list_id == list_id))
    return {topic_id: name for topic_id, name in rows}


def needs_variants(session: Session, list_id: int) -> bool:
    """Does the list need variants even if every reader gets everything now: it has
    topics or instant readers, whose choices may change during the send?"""
    if session.scalar(select(Topic.id).where(Topic.list_id == list_id).limit(1)) is not None:
        return True
    return list_id in lists_with_instant_readers(session)


def _row(campaign_id: int, key: str, snapshot: Snapshot | None) -> CampaignVariant:
    if snapshot is None:
        return CampaignVariant(
            campaign_id=campaign_id, topics=key, empty=True, subject="", preheader="",
            html="", text="", content={},
        )  # fmt: skip
    return CampaignVariant(
        campaign_id=campaign_id,
        topics=key,
        empty=False,
        subject=snapshot.subject,
        preheader=snapshot.preheader,
        html=snapshot.html,
        text=snapshot.text,
        content={},
    )


def make_variants(
    session: Session,
    campaign: Campaign,
    content: EditionContent,
    snapshot: Snapshot,
    mailing_list: MailingList,
    settings: Settings,
    *,
    inliner: Inliner | None = None,
) -> list[Finding]:
    """Render, check and store the variants of every topic set in use; their findings.

    Replaces variants stored before (a blocked edition made again). The
    all-topics row keeps the edition's items for variants needed later.
    Findings name their variant ("topics Academic Pathway Programs: ...").
    """
    from mailer.compose.checks import Finding, check_snapshot
    from mailer.compose.variants import as_sent, render_variants

    session.execute(delete(CampaignVariant).where(CampaignVariant.campaign_id == campaign.id))
    sent = as_sent(content, snapshot)
    keys = keys_in_use(session, mailing_list.id, [a.id for a in sent.announcements])
    if keys == {""} and not needs_variants(session, mailing_list.id):
        return []
    session.add(
        CampaignVariant(
            campaign_id=campaign.id,
            topics="",
            empty=False,
            subject=snapshot.subject,
            preheader=snapshot.preheader,
            html="",  # the campaign's own html/text: not stored twice
            text="",
            content=to_json(sent),
        )
    )
    names = topic_names(session, mailing_list.id)
    variants = render_variants(sent, keys, mailing_list, settings, inliner=inliner, names=names)
    findings: list[Finding] = []
    for key, variant in variants.items():
        session.add(_row(campaign.id, key, variant))
        if variant is None:
            continue
        ids, got = split_key(key)
        label = ", ".join(str(names.get(i, i)) for i in sorted(ids)) or "all"
        label += f" (without {len(got)} announcement(s) got on their own)" if got else ""
        findings += [
            Finding(f.level, f.rule, f"topics {label}: {f.message}")
            for f in check_snapshot(variant)
        ]
    session.flush()
    return findings


def variant_snapshots(session: Session, campaign_id: int) -> dict[str, Snapshot | None]:
    """The stored variants of a campaign other than the all-topics one (None: empty)."""
    rows = session.scalars(
        select(CampaignVariant).where(
            CampaignVariant.campaign_id == campaign_id, CampaignVariant.topics != ""
        )
    )
    return {
        r.topics: None if r.empty else Snapshot(r.subject, r.preheader, r.html, r.text)
        for r in rows
    }


def has_variants(session: Session, campaign_id: int) -> bool:
    """Does the campaign have variants (its list had topics when it was made)?"""
    return (
        session.scalar(
            select(CampaignVariant.id).where(CampaignVariant.campaign_id == campaign_id).limit(1)
        )
        is not None
    )


def load_variant(
    session: Session, campaign_id: int, key: str, settings: Settings
) -> Snapshot | None:
    """The variant of ``key``: stored, or rendered now from the edition's stored items.

    A set first seen mid-send (a reader changed topics) is rendered once and
    stored; a second worker doing the same at the same moment finds the row.
    """
    row = session.scalar(
        select(CampaignVariant).where(
            CampaignVariant.campaign_id == campaign_id, CampaignVariant.topics == key
        )
    )
    if row is not None:
        return None if row.empty else Snapshot(row.subject, row.preheader, row.html, row.text)
    base = session.scalar(
        select(CampaignVariant).where(
            CampaignVariant.campaign_id == campaign_id, CampaignVariant.topics == ""
        )
    )
    campaign = session.get(Campaign, campaign_id)
    assert base is not None and campaign is not None
    mailing_list = session.get(MailingList, campaign.list_id)
    assert mailing_list is not None
    from mailer.compose.inline import PremailerInliner
    from mailer.compose.variants import render_variant

    content = from_json(base.content)
    snapshot = render_variant(
        content,
        key,
        mailing_list,
        settings,
        inliner=PremailerInliner(),
        names=topic_names(session, mailing_list.id),
    )
    try:
        with session.begin_nested():
            session.add(_row(campaign_id, key, snapshot))
            session.flush()
    except IntegrityError:
        return load_variant(session, campaign_id, key, settings)
    return snapshot


class VariantBuilder:
    """Builds each reader's message from their variant; one ``MessageBuilder`` per variant.

    ``assign`` tells it each reader's key for the coming batch (the worker
    reads them before every batch); "" is the campaign's own edition.
    """

    def __init__(self, base: MessageBuilder, mailing_list: MailingList) -> None:
        self.base = base
        self.mailing_list = mailing_list
        self.list_id = base.list_id
        self._builders: dict[str, MessageBuilder] = {"": base}
        self._keys: dict[int, str] = {}
        self._empty: set[str] = set()

    def known(self, key: str) -> bool:
        return key in self._builders or key in self._empty

    def add(self, key: str, snapshot: Snapshot | None) -> None:
        if snapshot is None:
            self._empty.add(key)
            return
        b = self.base
        self._builders[key] = MessageBuilder(
            snapshot,
            self.mailing_list,
            b.settings,
            campaign_id=b.campaign_id,
            structured=b.structured,
            mime=b.mime,
            signer=b.signer,
        )

    def is_empty(self, key: str) -> bool:
        return key in self._empty

    def assign(self, keys: Mapping[int, str]) -> None:
        self._keys = dict(keys)

    def build(self, recipient: Recipient, message_id: str = "") -> OutgoingMessage:
        key = self._keys.get(recipient.subscriber_id, "")
        return self._builders[key].build(recipient, message_id)


@dataclass(frozen=True)
class Variant:
    """One topic set's edition as previews and checks show it (``snapshot`` None: empty)."""

    key: str
    label: str  # the topics' names, "Academic Pathway Programs, MD Diversity Programs"
    slug: str  # the topics' slugs joined by "+", for file names
    snapshot: Snapshot | None


def _labelled(
    session: Session, list_id: int, found: Mapping[str, Snapshot | None]
) -> tuple[Variant, ...]:
    topics = {t.id: t for t in session.scalars(select(Topic).where(Topic.list_id == list_id))}
    out = []
    for key in sorted(found):
        ids, got = split_key(key)
        chosen = [topics[i] for i in sorted(ids) if i in topics]
        label = ", ".join(t.name for t in chosen) or "all"
        out.append(
            Variant(
                key,
                label + (" (without the announcements they got on their own)" if got else ""),
                ("+".join(t.slug for t in chosen) or "all")
                + ("-got-" + "-".join(str(a) for a in sorted(got)) if got else ""),
                found[key],
            )
        )
    return tuple(out)


def stored_variants(session: Session, campaign_id: int, list_id: int) -> tuple[Variant, ...]:
    """The variants a stored campaign holds, labelled."""
    return _labelled(session, list_id, variant_snapshots(session, campaign_id))


def fresh_variants(
    session: Session,
    content: EditionContent,
    snapshot: Snapshot,
    mailing_list: MailingList,
    settings: Settings,
) -> tuple[Variant, ...]:
    """The variants a send made now would render (topic sets in use), labelled."""
    from mailer.compose.variants import as_sent, render_variants

    keys = keys_in_use(session, mailing_list.id, [a.id for a in content.announcements])
    if keys == {""}:
        return ()
    found = render_variants(
        as_sent(content, snapshot),
        keys,
        mailing_list,
        settings,
        names=topic_names(session, mailing_list.id),
    )
    return _labelled(session, mailing_list.id, found)


def route(
    store: VariantStore,
    builder: VariantBuilder,
    campaign_id: int,
    claimed: list[Claimed],
    settings: Settings,
) -> list[Claimed]:
    """Before a batch: read each claimed reader's key, render a variant first seen
    now, skip readers whose variant is empty (with the reason); the rows to send."""
    keys = store.reader_keys(
        campaign_id,
        builder.list_id,
        [c.subscriber_id for c in claimed if c.subscriber_id is not None],
    )
    for key in set(keys.values()):
        if not builder.known(key):
            builder.add(key, store.variant(campaign_id, key, settings))
    builder.assign(keys)
    empty: dict[str, list[int]] = {}
    for c in claimed:
        key = keys.get(c.subscriber_id or 0, "")
        if builder.is_empty(key):
            empty.setdefault(skip_reason(key), []).append(c.delivery_id)
    for reason, ids in empty.items():
        store.skip(campaign_id, ids, reason)
    skipped = {i for ids in empty.values() for i in ids}
    return [c for c in claimed if c.delivery_id not in skipped]
