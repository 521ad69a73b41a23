"""An edition fits in the inbox by construction: section caps, item bounds, a size budget.

Gmail clips a message whose HTML passes about 102 KB, and the clipped part
holds the unsubscribe link. Sources decide how much arrives (a calendar with
250 events in two weeks, a feed whose summaries are whole articles), so the
size of an edition cannot be left to them. Three steps, cheapest first:

1. **Caps** per section: at most ``news_limit`` news items (newest first) and
   ``events_limit`` events (soonest first); the events left out are counted
   for a "N more events" link to the list's events page.
2. **Bounds** per item: titles, locations and summaries are cut to a length
   (with an ellipsis), so one item cannot weigh more than a few kilobytes.
3. **Budget**: the message one real reader gets (HTML and text parts, as
   quoted-printable, and its headers) must stay within
   :data:`MESSAGE_BUDGET_BYTES`; if not, items are left out from the
   end of the sections (oldest news, latest events, then the last
   announcements, which then wait for the next edition) and the edition is
   rendered again, until it fits.
"""

from __future__ import annotations

import binascii
import dataclasses
import math
from collections.abc import Callable
from html import escape

from mailer.compose.checks import personalised_sample
from mailer.compose.formatting import as_text
from mailer.compose.snapshot import Snapshot
from mailer.content.edition import EditionContent

#: The whole message of one reader stays under this, so the message (and so its
#: HTML part) is inside Gmail's 102 KB clip with room to spare.
MESSAGE_BUDGET_BYTES = 96_000
#: What the headers of one message take at most (List-*, DKIM, VERP, Message-ID).
HEADERS_ALLOWANCE = 4_000
#: Caps above this are read as this: more items than fit in any message would only
#: make the first render slow before the budget cuts them.
SECTION_MAX = 50
TITLE_MAX = 160
LOCATION_MAX = 160
DESCRIPTION_MAX = 300
#: Characters of summary text kept per news item; a longer summary becomes its first
#: sentences as plain text (the item's link has the rest).
SUMMARY_MAX = 600
#: Renders at most: each round drops at least the overshoot's share of items.
MAX_ROUNDS = 8


@dataclasses.dataclass(frozen=True)
class Fitted:
    """The rendered edition that fits, and what was left out to make it fit."""

    snapshot: Snapshot
    content: EditionContent
    more_events: int  # events of the window not shown (cap and budget)
    trimmed: dict[str, int]  # items left out by the budget, per section


def cut(text: str | None, limit: int) -> str:
    """``text`` on one line, at most ``limit`` characters, cut at a word with an ellipsis."""
    line = " ".join((text or "").split())
    if len(line) <= limit:
        return line
    head = line[: limit - 1]
    if " " in head[limit // 2 :]:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(",;:.-–— ") + "…"


def _summary(html: str | None) -> str:
    if not html or len(html) <= SUMMARY_MAX:
        return html or ""
    text = as_text(html, width=10_000)
    if len(text) <= SUMMARY_MAX and len(html) <= 4 * SUMMARY_MAX:
        return html
    return f"<p>{escape(cut(text, SUMMARY_MAX))}</p>"


def cap(content: EditionContent, news_limit: int, events_limit: int) -> EditionContent:
    """The edition with each section cut to its cap, and every item bounded in length."""
    return dataclasses.replace(
        content,
        news=tuple(
            dataclasses.replace(
                n, title=cut(n.title, TITLE_MAX), summary_html=_summary(n.summary_html)
            )
            for n in content.news[: min(max(news_limit, 0), SECTION_MAX)]
        ),
        events=tuple(
            dataclasses.replace(
                e,
                title=cut(e.title, TITLE_MAX),
                location=cut(e.location, LOCATION_MAX),
                description=cut(e.description, DESCRIPTION_MAX),
            )
            for e in content.events[: min(max(events_limit, 0), SECTION_MAX)]
        ),
        announcements=tuple(
            dataclasses.replace(a, title=cut(a.title, TITLE_MAX)) for a in content.announcements
        ),
    )


def html_bytes(snapshot: Snapshot) -> int:
    """Size of the HTML part as one reader gets it (links and name filled in)."""
    return len(personalised_sample(snapshot.html).encode("utf-8"))


def message_bytes(snapshot: Snapshot) -> int:
    """Size of one reader's whole message: both parts quoted-printable, plus headers."""
    size = HEADERS_ALLOWANCE
    for part in (snapshot.html, snapshot.text):
        data = personalised_sample(part).encode("utf-8")
        encoded = binascii.b2a_qp(data, quotetabs=False, istext=True, header=False)
        size += len(encoded) + encoded.count(b"\n")  # CRLF line ends on the wire
    return size


def _shrink(content: EditionContent, size: int, budget: int) -> EditionContent | None:
    """A smaller edition, with about the overshoot's share of items left out; None if none left."""
    sections = ("news", "events", "announcements")
    counts = {name: len(getattr(content, name)) for name in sections}
    total = sum(counts.values())
    if total == 0:
        return None
    # Items scale the size roughly linearly on top of a fixed part (header, feature,
    # footer); keeping budget/size of them, less a margin, undershoots that fixed part.
    drop = max(1, total - math.floor(total * budget / size * 0.9))
    keep = dict(counts)
    # Leave out news and events alternately from their ends; announcements last.
    while drop and (keep["news"] or keep["events"]):
        for name in ("events", "news"):
            if drop and keep[name]:
                keep[name] -= 1
                drop -= 1
    while drop and keep["announcements"]:
        keep["announcements"] -= 1
        drop -= 1
    return dataclasses.replace(
        content, **{name: getattr(content, name)[: keep[name]] for name in sections}
    )


def fit_to_budget(
    content: EditionContent,
    render: Callable[[EditionContent, int], Snapshot],
    *,
    events_in_window: int,
    budget: int = MESSAGE_BUDGET_BYTES,
) -> Fitted:
    """Render ``content`` (already capped) with ``render(content, more_events)`` until it fits.

    Returns the last rendering; if even an edition without news, events and
    announcements is over the budget (a huge feature or template), that one
    is returned and ``check`` reports its size as an error, which blocks it.
    """
    shown = content
    snapshot = render(shown, events_in_window - len(shown.events))
    for _ in range(MAX_ROUNDS):
        size = message_bytes(snapshot)
        smaller = _shrink(shown, size, budget) if size > budget else None
        if smaller is None:
            break
        shown = smaller
        snapshot = render(shown, events_in_window - len(shown.events))
    trimmed = {
        name: len(getattr(content, name)) - len(getattr(shown, name))
        for name in ("news", "events", "announcements")
    }
    return Fitted(snapshot, shown, events_in_window - len(shown.events), trimmed)
