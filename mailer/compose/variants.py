"""One edition, several variants: the rule that says what each topic set gets.

The variant rule:

- a reader who chose no topics gets the whole edition (the all-topics
  variant, which is also what the archive shows);
- a reader who chose topics gets the features and "coming up" (they go to
  everyone), and only the news, events and announcements that carry at least
  one of their topics; an item with no topic of the list reaches only readers
  who chose none;
- a reader who already got an announcement of the edition on its own (they
  chose "each announcement as it is approved") gets the digest without it:
  the variant key names those announcements ("3,5;got=12"), so nobody gets
  one twice, and nobody who switched to instant after it went out misses it;
- a section left empty is left out (the templates skip empty sections);
- an edition left without features, news, events and announcements for a
  topic set is *empty*: its readers are not sent anything (their deliveries
  are skipped with the reason).

Each distinct topic set in use among an edition's readers is rendered and
inlined once (``render_variants``); per reader only placeholders are filled,
exactly as for an edition without topics.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from mailer.compose.inline import Inliner, PremailerInliner
from mailer.compose.render import render_digest
from mailer.compose.snapshot import Snapshot
from mailer.config import Settings
from mailer.content.edition import EditionContent
from subscribers.models import MailingList
from subscribers.topics import split_key

#: Why a reader whose topics (or mode) left the edition empty was not sent it.


def for_topics(
    content: EditionContent, topics: frozenset[int], *, got: frozenset[int] = frozenset()
) -> EditionContent:
    """The part of the edition a reader of ``topics`` gets (all of it for no topics),
    without the announcements in ``got`` (they came to the reader on their own)."""
    if got:
        content = dataclasses.replace(
            content, announcements=tuple(a for a in content.announcements if a.id not in got)
        )
    if not topics:
        return content
    return dataclasses.replace(
        content,
        news=tuple(n for n in content.news if n.topics & topics),
        events=tuple(e for e in content.events if e.topics & topics),
        announcements=tuple(a for a in content.announcements if a.topics & topics),
    )


def as_sent(content: EditionContent, snapshot: Snapshot) -> EditionContent:
    """The content restricted to what the all-topics render kept (caps and budget).

    Variants are made from this, so no variant shows an item the edition
    itself left out, and an announcement left for the next edition stays
    pending for everyone.
    """
    items: Any = snapshot.meta.get("items")
    if not isinstance(items, dict):
        return content
    news, events, notes = (set(items.get(k, [])) for k in ("news", "events", "announcements"))
    return dataclasses.replace(
        content,
        news=tuple(n for n in content.news if n.id in news),
        events=tuple(e for e in content.events if e.id in events),
        announcements=tuple(a for a in content.announcements if a.id in notes),
    )


def reader_note(topic_names: list[str], got_some: bool) -> str:
    """The variant's line for its readers: what it holds, so nobody wonders where the rest is."""
    parts = []
    if topic_names:
        names = (
            topic_names[0]
            if len(topic_names) == 1
            else (", ".join(topic_names[:-1]) + " and " + topic_names[-1])
        )
        parts.append(f"Chosen for your topics: {names}.")
    if got_some:
        parts.append("Announcements reached you one by one as they were approved.")
    return " ".join(parts)


def render_variant(
    content: EditionContent,
    key: str,
    mailing_list: MailingList,
    settings: Settings,
    *,
    inliner: Inliner | None = None,
    names: Mapping[int, str] | None = None,
) -> Snapshot | None:
    """The edition for topic key ``key``, rendered and inlined; None when it is empty.

    ``names`` are the list's topic names by id, for the variant's line to its readers.
    """
    topics, got = split_key(key)
    shown = for_topics(content, topics, got=got)
    if shown.is_empty:
        return None
    chosen = [(names or {}).get(t, f"topic {t}") for t in sorted(topics)]
    note = reader_note(chosen, bool(got & {a.id for a in content.announcements}))
    return render_digest(shown, mailing_list, settings, inliner=inliner, reader_note=note)


def render_variants(
    content: EditionContent,
    keys: Iterable[str],
    mailing_list: MailingList,
    settings: Settings,
    *,
    inliner: Inliner | None = None,
    names: Mapping[int, str] | None = None,
) -> dict[str, Snapshot | None]:
    """Every topic key's variant (except "", the edition itself), one premailer for all."""
    inliner = inliner or PremailerInliner()
    return {
        key: render_variant(content, key, mailing_list, settings, inliner=inliner, names=names)
        for key in sorted(set(keys) - {""})
    }
