"""`mailer worker`: deliver queued campaigns."""

from __future__ import annotations

import signal
import threading
import time

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from sqlalchemy.orm import Session, sessionmaker

from mailer.cli_support import console, needs_schema, session_factory, settings
from mailer.config import Settings
from mailer.db import session_scope
from mailer.delivery.backends import BackendError
from mailer.delivery.models import Campaign
from mailer.delivery.worker import Worker


def _campaign_state(
    factory: sessionmaker[Session], campaign_id: int
) -> tuple[str, str, int, int, int]:
    with session_scope(factory) as session:
        c = session.get(Campaign, campaign_id)
        assert c is not None
        return (
            c.status,
            c.status_reason,
            c.total_count,
            c.sent_count + c.skipped_count,
            c.failed_count,
        )


def deliver_with_progress(factory: sessionmaker[Session], s: Settings, campaign_id: int) -> None:
    """Drain one campaign in this process, showing sent, failed, rate and time left."""
    status, _, total, done, failed = _campaign_state(factory, campaign_id)
    started = time.monotonic()
    columns = (
        TextColumn("[bold]campaign {task.fields[cid]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("failed {task.fields[failed]}"),
        TextColumn("{task.fields[rate]:.0f} msg/s"),
        TimeRemainingColumn(),
    )
    try:
        worker_ = Worker(factory, s)
    except (BackendError, ValueError) as exc:
        raise click.ClickException(f"backend {s.backend!r}: {exc}") from None
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(
            "send", total=total, completed=done + failed, cid=campaign_id, failed=failed, rate=0.0
        )

        def on_batch(cid: int, sent: int, failed_now: int) -> None:
            nonlocal done, failed
            done += sent
            failed += failed_now
            elapsed = max(time.monotonic() - started, 1e-6)
            progress.update(task, completed=done + failed, failed=failed, rate=done / elapsed)

        worker_.progress = on_batch
        worker_.run(once=True, campaign_id=campaign_id)
    status, reason, total, done, failed = _campaign_state(factory, campaign_id)
    colour = "green" if status == "sent" else "yellow"
    console.print(
        f"[{colour}]Campaign {campaign_id} {status}[/{colour}]: {done} delivered, "
        f"{failed} failed of {total}." + (f" {reason}" if reason else "")
    )


@click.command("worker")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option("--campaign", "campaign_id", type=int, default=None, help="Only this campaign.")
@click.option(
    "--idle",
    type=float,
    default=2.0,
    show_default=True,
    help="Seconds to wait when nothing is due.",
)
@needs_schema
def command(once: bool, campaign_id: int | None, idle: float) -> None:
    """Deliver queued campaigns through the configured backend (MAILER_BACKEND).

    Run as many workers as you like on PostgreSQL: they share campaigns
    batch by batch. SIGTERM or Ctrl-C finishes the current batch and exits;
    anything interrupted harder is resent by the next worker.
    """
    s = settings()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        w = Worker(session_factory(s), s, stop=stop)
    except (BackendError, ValueError) as exc:
        raise click.ClickException(f"backend {s.backend!r}: {exc}") from None
    w.progress = lambda cid, sent, failed: console.print(
        f"campaign {cid}: +{sent} sent, +{failed} failed"
    )
    stats = w.run(once=once, campaign_id=campaign_id, idle=idle)
    console.print(
        f"Worker done: {stats.sent} sent, {stats.failed} failed in {stats.batches} batches."
    )
