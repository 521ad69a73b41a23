"""A whole send as a user runs it, against the bare smtplib loop: 1 and 4 connections.

``mailer worker --once`` (process start, imports, claims, building,
sending, recording, exit: everything the operator waits for) delivers one
started campaign to the local aiosmtpd sink of bench_smtp. The yardstick is
the fastest honest client: a bare ``smtplib`` loop (in this process, already
imported) that connects N connections, sends the same number of messages
of the same bytes (one of the campaign's own messages, built beforehand)
and quits. Runs alternate loop / ours so the machine's drifting load hits
both alike; the ratio printed is the median of the paired runs' ratios.
Target: ours / loop >= 0.9 at 1 and at 4 connections.

Two editions: the realistic ~70 KB digest of bench_build, and a short
announcement (~8 KB), where the command's fixed and per-message costs weigh
most against the server's own work.
"""

from __future__ import annotations

import multiprocessing as mp
import shutil
import statistics
import tempfile
from multiprocessing.queues import Queue
from pathlib import Path

from bench import _setup
from bench.bench_send import SECRET, run_worker
from bench.bench_smtp import HOST, _loop, _serve
from mailer.db import session_scope
from mailer.delivery import campaigns
from mailer.delivery.message import MessageBuilder, Recipient
from mailer.delivery.models import Campaign, CampaignKind, CampaignStatus
from subscribers.models import MailingList

TARGET = 0.9
SHORT_TEXT = (
    "The Office of Diversity, Equity and Inclusion invites {{ name }} to the "
    "Women's History Month lecture on Thursday at noon in the Eric P. Newman "
    "Education Center. Lunch is provided; registration is open until Tuesday.\n"
) * 12


def prepare(folder: Path, count: int, short: bool) -> tuple[Path, bytes]:
    """A SQLite database with a started campaign, and one of its messages' bytes."""
    url = _setup.sqlite_url(str(folder))
    factory = _setup.prepare(url)
    list_id = _setup.audience(factory, count)
    settings = _setup.settings(url, secret_key=SECRET)
    campaign_id = _setup.campaign(factory, list_id, settings)
    with session_scope(factory) as session:
        c = session.get(Campaign, campaign_id)
        assert c is not None
        if short:
            c.kind = CampaignKind.ANNOUNCEMENT
            c.subject = "Women's History Month lecture on Thursday"
            c.text = SHORT_TEXT
            c.html = "<html><body>" + SHORT_TEXT.replace("\n", "<br>\n") + "</body></html>"
            c.status = CampaignStatus.DRAFT
        session.flush()
        campaigns.start(session, c, actor="bench")
        ml = session.get(MailingList, c.list_id)
        assert ml is not None
        from mailer.compose.snapshot import Snapshot

        snap = Snapshot(c.subject, c.preheader, c.html, c.text)
        builder = MessageBuilder(snap, ml, settings, campaign_id=c.id)
        raw = builder.build(Recipient(1, 1, "reader1@example.org", "Reader 1")).raw
    factory.kw["bind"].dispose()
    return folder / "bench.db", raw


def measure(
    template: Path, raw: bytes, port: int, count: int, repeats: int
) -> tuple[list[str], list[float]]:
    """One row per connection count, and the ratios (ours / loop) they print."""
    rows, ratios = [], []
    for connections in (1, 4):
        backend = f"smtp://{HOST}:{port}?connections={connections}&helo=bench.local"
        _loop(port, raw, min(count, 100), connections)  # warm the server up
        loops, ours = [], []
        for _ in range(repeats):
            loops.append(_loop(port, raw, count, connections, connect=True))
            ours.append(run_worker(template, backend, count, {}))
        ratio = statistics.median(o / n for o, n in zip(ours, loops, strict=True))
        rows.append(
            f"  {connections} connection{'s' if connections > 1 else ' '}  loop "
            f"{statistics.median(loops):>6,.0f} msg/s  whole command "
            f"{statistics.median(ours):>6,.0f} msg/s  ({', '.join(f'{r:,.0f}' for r in ours)})"
            f"  ratio {ratio:.2f}"
        )
        ratios.append(ratio)
    return rows, ratios


def main(quick: bool) -> None:
    repeats = 3 if quick else 5
    ctx = mp.get_context("spawn")
    port_queue: Queue[int] = ctx.Queue()
    stop = ctx.Event()
    server = ctx.Process(target=_serve, args=(port_queue, stop), daemon=True)
    server.start()
    ratios: list[float] = []
    try:
        port = port_queue.get(timeout=30)
        for short, count in ((False, 500 if quick else 2_000), (True, 2_000 if quick else 10_000)):
            folder = Path(tempfile.mkdtemp(prefix="mailer-bench-whole-"))
            try:
                template, raw = prepare(folder, count, short)
                kind = "announcement" if short else "digest"
                print(
                    f"`mailer worker --once` against a bare smtplib loop: {count:,} "
                    f"recipients of the {len(raw) / 1024:.1f} KB {kind}, medians of {repeats}"
                )
                rows, found = measure(template, raw, port, count, repeats)
                print("\n".join(rows), flush=True)
                ratios += found
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        worst = min(ratios)
        verdict = "met" if worst >= TARGET else "NOT met"
        print(f"target whole command / loop >= {TARGET:.2f} at 1 and 4 connections: {verdict}")
    finally:
        stop.set()
        server.join(timeout=10)
        if server.is_alive():
            server.terminate()
