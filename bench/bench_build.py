"""Personalised messages per second: the prebuilt-snapshot path against the naive one.

The naive path is what a first mailer does per recipient: render the edition
with Jinja, inline its CSS with premailer, and serialise an ``EmailMessage``.
The fast path (``MessageBuilder``) renders and inlines once and then, per
recipient, signs two tokens and joins pre-encoded pieces. Both produce the
complete MIME bytes, ready for the wire. Measured on one core in this run:
medians of repeats, and their ratio.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import statistics
import time
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path

from mailer.compose.render import render_digest
from mailer.compose.snapshot import PLACEHOLDERS, Snapshot
from mailer.config import Settings
from mailer.content.edition import (
    AnnouncementEntry,
    ComingUpEntry,
    EditionContent,
    EventEntry,
    FeatureEntry,
    Link,
    NewsEntry,
)
from mailer.delivery.message import MessageBuilder, Recipient
from subscribers.models import MailingList
from subscribers.tokens import TokenSigner

SEED = Path(__file__).resolve().parents[1] / "shared" / "seed" / "odei-homepage.txt"
SEED_FALLBACKS = (SEED, Path("/work/shared/seed/odei-homepage.txt"))
FAST_TARGET = 20_000
RATIO_TARGET = 100

SETTINGS = Settings(
    secret_key="bench-secret-key",
    base_url="https://news.example.org",
    bounce_domain="bounces.example.org",
    message_id_domain="mailer.example.org",
)


def _paragraphs() -> list[str]:
    for path in SEED_FALLBACKS:
        if path.exists():
            text = path.read_text(encoding="utf-8")
            return [p.strip() for p in text.split("\n\n") if len(p.strip()) > 80]
    return [
        "The mission of the Office of Diversity, Equity and Inclusion is to provide "
        "leadership, expertise and advocacy on all diversity, equity and inclusion efforts "
        "within Washington University School of Medicine."
    ]


def edition_content(summary_paragraphs: int = 3) -> EditionContent:
    """A full edition from the office's own words: 10 news, 10 events, 3 announcements."""
    paras = _paragraphs()
    tz = dt.timezone(dt.timedelta(hours=-6))
    day = dt.date(2027, 3, 8)

    def body(i: int, n: int) -> str:
        return "".join(f"<p>{paras[(i + k) % len(paras)]}</p>" for k in range(n))

    feature = FeatureEntry(
        slug="womens-history-month",
        name="Women’s History Month",
        title="Commemorate Women’s History Month",
        body_html=body(0, 4),
        starts_on=dt.date(2027, 3, 1),
        ends_on=dt.date(2027, 3, 31),
        links=(Link("Read more", "https://diversity.wustl.edu/womens-history-month"),),
    )
    news = tuple(
        NewsEntry(
            id=i,
            title=f"{paras[i % len(paras)][:60].rstrip()} ({i + 1})",
            url=f"https://diversity.wustl.edu/news/{i + 1}",
            summary_html=body(i, summary_paragraphs),
            published_at=dt.datetime(2027, 3, 1 + i % 7, 12, tzinfo=dt.UTC),
            source_name="ODEI news",
        )
        for i in range(10)
    )
    events = tuple(
        EventEntry(
            id=i,
            title=f"Community conversation {i + 1}: {paras[(i + 3) % len(paras)][:40].rstrip()}",
            starts_at=dt.datetime(2027, 3, 9 + i, 12, tzinfo=tz),
            ends_at=dt.datetime(2027, 3, 9 + i, 13, tzinfo=tz),
            all_day=False,
            location="Eric P. Newman Education Center",
            url=f"https://diversity.wustl.edu/events/{i + 1}",
            description=paras[(i + 5) % len(paras)],
        )
        for i in range(10)
    )
    announcements = tuple(
        AnnouncementEntry(id=i, title=f"From the office ({i + 1})", body_html=body(i + 2, 3))
        for i in range(3)
    )
    return EditionContent(
        list_id=1,
        list_slug="odei-weekly",
        list_name="ODEI Weekly",
        edition_date=day,
        timezone="America/Chicago",
        features=(feature,),
        coming_up=(ComingUpEntry("ramadan", "Ramadan", dt.date(2027, 2, 8), dt.date(2027, 3, 9)),),
        news=news,
        events=events,
        announcements=announcements,
    )


def mailing_list(track_clicks: bool = False) -> MailingList:
    return MailingList(
        id=1,
        slug="odei-weekly",
        name="ODEI Weekly",
        from_name="",
        from_email="",
        reply_to="",
        track_clicks=track_clicks,
    )


def recipients(count: int) -> list[Recipient]:
    return [Recipient(i + 1, i + 1, f"reader{i}@example.org", f"Reader {i}") for i in range(count)]


def fast_rate(snapshot: Snapshot, people: list[Recipient], track_clicks: bool = False) -> float:
    """Messages per second; ``track_clicks`` includes rewriting the links (once) in the time."""
    gc.collect()
    started = time.perf_counter()
    builder = MessageBuilder(snapshot, mailing_list(track_clicks), SETTINGS, campaign_id=1)
    for person in people:
        builder.build(person)
    return len(people) / (time.perf_counter() - started)


def naive_message(content: EditionContent, person: Recipient, signer: TokenSigner) -> bytes:
    """Render, inline and serialise for one recipient, as a naive mailer would."""
    from premailer import Premailer

    ml = mailing_list()
    snapshot = render_digest(content, ml, SETTINGS)
    token = signer.make("unsubscribe", person.subscriber_id, ml.id)
    values = {
        PLACEHOLDERS["name"]: person.name,
        PLACEHOLDERS["email"]: person.email,
        PLACEHOLDERS["unsubscribe_url"]: f"{SETTINGS.base_url}/u/{token}",
        PLACEHOLDERS["preferences_url"]: (
            f"{SETTINGS.base_url}/p/{signer.make('preferences', person.subscriber_id)}"
        ),
    }
    html, text = snapshot.html, snapshot.text
    for key, value in values.items():
        html = html.replace(key, value)
        text = text.replace(key, value)
    html = Premailer(
        html, keep_style_tags=True, cssutils_logging_level=logging.CRITICAL
    ).transform()
    msg = EmailMessage()
    msg["From"] = formataddr((SETTINGS.from_name, SETTINGS.from_email))
    msg["To"] = formataddr((person.name, person.email))
    msg["Subject"] = snapshot.subject
    msg["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    msg["Message-ID"] = make_msgid(domain=SETTINGS.message_id_domain)
    msg["List-Unsubscribe"] = f"<{SETTINGS.base_url}/u/{token}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg.as_bytes(policy=SMTP)


def naive_rate(content: EditionContent, people: list[Recipient]) -> float:
    signer = TokenSigner(SETTINGS.signing_key)
    gc.collect()
    started = time.perf_counter()
    for person in people:
        naive_message(content, person, signer)
    return len(people) / (time.perf_counter() - started)


def realistic_edition(low: int = 60 * 1024) -> tuple[EditionContent, Snapshot]:
    """The smallest edition whose rendered HTML reaches ``low`` bytes (a ~60-80 KB digest).

    Adaptive because the templates change: longer summaries stand in for
    markup the current templates may not have yet.
    """
    for paragraphs in range(1, 60):
        content = edition_content(paragraphs)
        snapshot = render_digest(content, mailing_list(), SETTINGS)
        if len(snapshot.html.encode()) >= low:
            break
    return content, snapshot


def main(quick: bool) -> None:
    content, snapshot = realistic_edition()
    size = len(snapshot.html.encode())
    sample = MessageBuilder(snapshot, mailing_list(), SETTINGS, campaign_id=1).build(
        recipients(1)[0]
    )
    print(f"edition HTML {size / 1024:.1f} KB, one message {len(sample.raw) / 1024:.1f} KB")
    if "<style" not in snapshot.html:
        print(
            "note: the edition has no <style> block (current templates), so premailer has "
            "nothing to inline and the naive path is faster than it will be"
        )
    fast_count = 2_000 if quick else 10_000
    naive_count = 20 if quick else 200
    repeats = 3 if quick else 5
    people = recipients(fast_count)
    # Interleaved, so both see the same moments of a shared machine's load.
    untracked_runs, tracked_runs = [], []
    for _ in range(repeats):
        untracked_runs.append(fast_rate(snapshot, people))
        tracked_runs.append(fast_rate(snapshot, people, True))
    fast, tracked = statistics.median(untracked_runs), statistics.median(tracked_runs)
    naive = statistics.median(naive_rate(content, recipients(naive_count)) for _ in range(3))
    ratio = fast / naive
    print(f"prebuilt snapshot ({fast_count:,} recipients): {fast:,.0f} messages/s")
    print(
        f"prebuilt snapshot, click tracking on ({fast_count:,} recipients): "
        f"{tracked:,.0f} messages/s ({tracked / fast:.0%} of untracked)"
    )
    print(f"naive render+premailer+MIME ({naive_count} recipients): {naive:,.1f} messages/s")
    print(f"ratio {ratio:,.0f}x")
    from bench.bench_variants import variant_rate

    runs = [variant_rate(content, fast_count) for _ in range(repeats)]
    v_build, v_single, v_render, v_all = (statistics.median(r[i] for r in runs) for i in range(4))
    print(
        f"8 topic variants ({fast_count:,} recipients): {v_build:,.0f} messages/s built, "
        f"one variant alternately {v_single:,.0f}/s ({v_build / v_single:.2f}); "
        f"the 8 renders+inlines {v_render:.2f} s; with them {v_all:,.0f} messages/s"
    )
    ok = (
        fast >= FAST_TARGET
        and tracked >= FAST_TARGET
        and v_build >= FAST_TARGET
        and ratio >= RATIO_TARGET
    )
    print(
        f"targets: >= {FAST_TARGET:,}/s (untracked, tracked, 8 variants) and "
        f">= {RATIO_TARGET}x: {'met' if ok else 'NOT met'}"
    )


if __name__ == "__main__":
    main(quick=False)
