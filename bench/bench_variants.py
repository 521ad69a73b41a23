"""Build rate with topic variants: 8 topic sets over 10,000 recipients, beside one.

Readers who chose topics get the edition rendered for their topic set
(``mailer.compose.variants``): rendered and inlined once per set, then
filled per reader like any edition. Three topics give 8 sets (every
subset, "everything" included); readers are spread over them round-robin and
``VariantBuilder`` picks each reader's prebuilt message. The renders are
timed apart and in the whole rate.
"""

from __future__ import annotations

import dataclasses
import gc
import itertools
import time

from bench.bench_build import SETTINGS, mailing_list, recipients
from mailer.compose.inline import PremailerInliner
from mailer.compose.render import render_digest
from mailer.compose.snapshot import Snapshot
from mailer.compose.variants import render_variants
from mailer.content.edition import EditionContent
from mailer.delivery.message import MessageBuilder, Recipient
from mailer.delivery.variants import VariantBuilder
from subscribers.topics import topic_key

TOPICS = (1, 2, 3)


def tagged(content: EditionContent) -> EditionContent:
    """Each item carries one or two of the three topics, in turn."""

    def tags(i: int) -> frozenset[int]:
        return frozenset({TOPICS[i % 3], TOPICS[(i + i // 3) % 3]})

    return dataclasses.replace(
        content,
        news=tuple(dataclasses.replace(n, topics=tags(i)) for i, n in enumerate(content.news)),
        events=tuple(dataclasses.replace(e, topics=tags(i)) for i, e in enumerate(content.events)),
        announcements=tuple(
            dataclasses.replace(a, topics=tags(i)) for i, a in enumerate(content.announcements)
        ),
    )


def keys() -> list[str]:
    """The 8 topic sets of three topics: every subset ("" is everything)."""
    return [topic_key(c) for n in range(len(TOPICS) + 1) for c in itertools.combinations(TOPICS, n)]


def _rate(builder: MessageBuilder | VariantBuilder, people: list[Recipient]) -> float:
    gc.collect()
    started = time.perf_counter()
    for person in people:
        builder.build(person)
    return len(people) / (time.perf_counter() - started)


def variant_rate(content: EditionContent, count: int) -> tuple[float, float, float, float]:
    """(8 variants: messages/s built, the one-variant rate measured right before it on the
    same machine state, seconds rendering the 8 variants, 8 variants' messages/s in all)."""
    content = tagged(content)
    ml = mailing_list()
    gc.collect()
    started = time.perf_counter()
    inliner = PremailerInliner()
    full: Snapshot = render_digest(content, ml, SETTINGS, inliner=inliner)
    others = render_variants(content, keys(), ml, SETTINGS, inliner=inliner)
    rendered = time.perf_counter() - started
    builder = VariantBuilder(MessageBuilder(full, ml, SETTINGS, campaign_id=1), ml)
    for key, snapshot in others.items():
        builder.add(key, snapshot)
    people = recipients(count)
    order = keys()
    builder.assign({p.subscriber_id: order[i % len(order)] for i, p in enumerate(people)})
    single = _rate(MessageBuilder(full, ml, SETTINGS, campaign_id=1), people)
    built = _rate(builder, people)
    return built, single, rendered, count / (count / built + rendered)
