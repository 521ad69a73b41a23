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
3. **Budget**: the rendered HTML, as one real reader gets it, must stay
   within :data:`HTML_BUDGET_BYTES`; if not, items are left out from the
   end of the sections (oldest news, latest events, then the last
   announcements, which then wait for the next edition) and the edition is
   rendered again, until it fits.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from html import escape

from mailer.compose.checks import SIZE_WARNING_BYTES, personalised_sample
from mailer.compose.formatting import as_text
from mailer.compose.snapshot import Snapshot
from mailer.content.edition import EditionContent

#: The HTML of an edition stays under the size where ``check`` starts to warn,
#: well inside Gmail's 102 KB clip.
HTML_BUDGET_BYTES = SIZE_WARNING_BYTES
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
            for n in content.news[: max(news_limit, 0)]
        ),
        events=tuple(
            dataclasses.replace(
                e,
                title=cut(e.title, TITLE_MAX),
                location=cut(e.location, LOCATION_MAX),
                description=cut(e.description, DESCRIPTION_MAX),
            )
            for e in content.events[: max(events_limit, 0)]
        ),
        announcements=tuple(
            dataclasses.replace(a, title=cut(a.title, TITLE_MAX)) for a in content.announcements
        ),
    )


def html_bytes(snapshot: Snapshot) -> int:
    """Size of the HTML part as one reader gets it (links and name filled in)."""
    return len(personalised_sample(snapshot.html).encode("utf-8"))


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
    budget: int = HTML_BUDGET_BYTES,
) -> Fitted:
    """Render ``content`` (already capped) with ``render(content, more_events)`` until it fits.

    Returns the last rendering; if even an edition without news, events and
    announcements is over the budget (a huge feature or template), that one
    is returned and ``check`` reports its size as an error, which blocks it.
    """
    shown = content
    snapshot = render(shown, events_in_window - len(shown.events))
    for _ in range(MAX_ROUNDS):
        size = html_bytes(snapshot)
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
