"""Building one edition from a flood of content: 500 news items and 500 events.

Times what `mailer digest send` does before the first message goes out, on a
real (SQLite) database: select the week's content, cap and bound it, render
and inline it within the size budget, check it and the maximal sample, and
store the campaign. Prints the HTML size one reader gets and the whole MIME
message size beside the 102 KB clip, and the time beside the 1 s target: the
first build (templates compiled in it) and the median of repeats.
Runs twice: with the default caps, and with caps of 500 so the size budget
has to trim (the worst case: the biggest render and a re-render).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time

from sqlalchemy.orm import Session, sessionmaker

from bench._setup import prepare, sqlite_url
from bench.bench_build import _paragraphs
from mailer.compose.budget import html_bytes
from mailer.compose.snapshot import Snapshot
from mailer.config import Settings
from mailer.content.models import Event, NewsItem, Source
from mailer.delivery import campaigns
from mailer.delivery.message import MessageBuilder, Recipient
from subscribers.models import MailingList

SIZE_TARGET = 102_000
TIME_TARGET = 1.0
EDITION = dt.date(2027, 3, 8)
ITEMS = 500


def _flood(factory: sessionmaker[Session]) -> int:
    """A list, 500 news items of the past week and 500 events of the next two weeks."""
    paras = _paragraphs()
    long_title = " ".join(paras[0].split()[:60])
    with factory() as s:
        ml = MailingList(slug="odei-weekly", name="ODEI Weekly", timezone="America/Chicago")
        feed = Source(kind="news", name="ODEI News", url="https://diversity.wustl.edu/feed/")
        cal = Source(kind="events", name="Campus calendar", url="https://example.org/c.ics")
        s.add_all([ml, feed, cal])
        s.flush()
        noon = dt.datetime(2027, 3, 7, 18, tzinfo=dt.UTC)
        for i in range(ITEMS):
            summary = "".join(f"<p>{paras[(i + k) % len(paras)]}</p>" for k in range(8))
            s.add(
                NewsItem(
                    source_id=feed.id,
                    guid=f"news-{i}",
                    title=f"{i}: {long_title}",
                    url=f"https://diversity.wustl.edu/news/{i}/",
                    summary_html=summary,
                    published_at=noon - dt.timedelta(minutes=15 * i),
                )
            )
            s.add(
                Event(
                    source_id=cal.id,
                    guid=f"event-{i}",
                    title=f"Event {i}: {long_title}",
                    description=" ".join(paras[i % len(paras)] for _ in range(3)),
                    location="Eric P. Newman Education Center, " + long_title,
                    url=f"https://diversity.wustl.edu/events/{i}/",
                    starts_at=dt.datetime(2027, 3, 8, 14, tzinfo=dt.UTC)
                    + dt.timedelta(minutes=30 * i),
                )
            )
        s.commit()
        return ml.id


def _build(
    factory: sessionmaker[Session], list_id: int, settings: Settings
) -> tuple[float, Snapshot]:
    """One whole build, timed; rolled back so the next repeat builds the same edition."""
    with factory() as s:
        ml = s.get(MailingList, list_id)
        assert ml is not None
        started = time.perf_counter()
        outcome = campaigns.create_digest(s, ml, EDITION, settings)
        elapsed = time.perf_counter() - started
        c = outcome.campaign
        assert c is not None and c.status == "draft", (c and c.status, c and c.status_reason)
        snap = Snapshot(c.subject, c.preheader, c.html, c.text)
        s.rollback()
    return elapsed, snap


def _message_bytes(snap: Snapshot, settings: Settings) -> int:
    ml = MailingList(id=1, slug="odei-weekly", name="ODEI Weekly")
    builder = MessageBuilder(snap, ml, settings, campaign_id=1)
    reader = Recipient(1, 1, "alexandra.montgomery-washington@example.org", "Alexandra M.")
    return len(builder.build(reader).raw)


def main(quick: bool) -> None:
    factory = prepare(sqlite_url())
    base = Settings(
        secret_key="bench-secret-key",
        base_url="https://news.example.org",
        backend="null:",
    )
    list_id = _flood(factory)
    repeats = 3 if quick else 5
    print(
        f"{ITEMS} news items and {ITEMS} events in the window; targets: "
        f"HTML < {SIZE_TARGET / 1000:.0f} KB, build < {TIME_TARGET:.1f} s"
    )
    for label, settings in (
        (f"default caps (news {base.news_limit}, events {base.events_limit})", base),
        ("caps 500/500 (the size budget trims)", base.replace(news_limit=500, events_limit=500)),
    ):
        first, snap = _build(factory, list_id, settings)
        times = [_build(factory, list_id, settings)[0] for _ in range(repeats)]
        warm = statistics.median(times)
        size = html_bytes(snap)
        whole = _message_bytes(snap, settings)
        ok = size < SIZE_TARGET and max(first, warm) < TIME_TARGET
        print(
            f"{label}: HTML {size / 1000:.1f} KB (message {whole / 1000:.1f} KB), "
            f"build {first:.2f} s first, {warm:.2f} s median of {repeats}: "
            f"{'met' if ok else 'NOT met'}"
        )


if __name__ == "__main__":
    main(quick=False)
