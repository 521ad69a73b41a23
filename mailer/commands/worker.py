"""`mailer worker`: deliver queued campaigns."""

from __future__ import annotations

import datetime as dt
import signal
import threading
import time

import click
from sqlalchemy.orm import Session, sessionmaker

from mailer import prompt_exit
from mailer.cli_support import console, needs_schema, session_factory, settings
from mailer.config import Settings
from mailer.delivery.backends import BackendError
from mailer.delivery.models import CampaignStatus
from mailer.delivery.store import CampaignProgress
from mailer.delivery.worker import Worker, sql_store


def _campaign_state(
    factory: sessionmaker[Session], s: Settings, campaign_id: int
) -> CampaignProgress:
    """The campaign's progress as every worker sees it (the counts live in the store)."""
    return sql_store(factory, s).progress(campaign_id)


def deliver_with_progress(
    factory: sessionmaker[Session],
    s: Settings,
    campaign_id: int,
    *,
    poll: float = 0.5,
    stop: threading.Event | None = None,
) -> str:
    """Send one campaign from this process and show its progress until it is done.

    A worker drains the campaign in a background thread while the bar reads
    the campaign's counts from the database, so it also counts what other
    workers send. It stops when the campaign is sent, paused (the reason is
    shown) or cancelled, or when all that is left waits for a retry later.
    Returns the final status.
    """
    # Loaded here, not with the module: `mailer worker` itself draws no bar.
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    stop = stop or threading.Event()
    try:
        worker_ = Worker(factory, s, stop=stop)
    except (BackendError, ValueError) as exc:
        raise click.ClickException(f"backend {s.backend!r}: {exc}") from None
    errors: list[BaseException] = []

    def work() -> None:
        try:
            worker_.run(once=True, campaign_id=campaign_id)
        except BaseException as exc:  # shown after the bar, not lost in a thread
            errors.append(exc)

    state = _campaign_state(factory, s, campaign_id)
    start_done = state.done
    started = time.monotonic()
    columns = (
        TextColumn("[bold]campaign {task.fields[cid]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("sent {task.fields[sent]}"),
        TextColumn("failed {task.fields[failed]}"),
        TextColumn("{task.fields[rate]:.0f} msg/s"),
        TextColumn("{task.fields[left]} left"),
    )
    thread = threading.Thread(target=work, name="send", daemon=True)
    thread.start()
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(
            "send",
            total=state.total,
            completed=start_done,
            cid=campaign_id,
            sent=state.sent,
            failed=state.failed,
            rate=0.0,
            left="-",
        )
        while True:
            try:
                thread.join(timeout=poll)
            except KeyboardInterrupt:
                # Let the batch in flight finish and be recorded, then stop.
                stop.set()
                thread.join(timeout=60)
                raise
            state = _campaign_state(factory, s, campaign_id)
            done = state.done
            elapsed = max(time.monotonic() - started, 1e-6)
            rate = (done - start_done) / elapsed
            todo = max(state.total - done, 0)
            left = _duration(todo / rate) if rate > 0 and todo else "-"
            progress.update(
                task,
                completed=done,
                sent=state.sent,
                failed=state.failed,
                rate=rate,
                left=left,
            )
            if state.status != CampaignStatus.SENDING or stop.is_set():
                break
            if not thread.is_alive():
                if errors or (state.sending == 0 and state.due == 0):
                    break
                if state.due and not state.sending:
                    # Something became due after our worker finished (e.g. a retry): go again.
                    thread = threading.Thread(target=work, name="send", daemon=True)
                    thread.start()
    stop.set()
    thread.join(timeout=60)
    if errors:
        raise errors[0]
    state = _campaign_state(factory, s, campaign_id)
    waiting = state.queued + state.sending
    colour = "green" if state.status == CampaignStatus.SENT else "yellow"
    line = (
        f"[{colour}]Campaign {campaign_id} {state.status}[/{colour}]: {state.sent} sent, "
        f"{state.failed} failed, {state.skipped} skipped of {state.total}."
    )
    if state.reason:
        line += f" Reason: {state.reason}"
    if state.status == CampaignStatus.SENDING and waiting:
        line += f" {waiting} wait for a retry; a running `mailer worker` sends them."
    console.print(line)
    return state.status


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


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
@click.option(
    "--lease",
    "lease_seconds",
    type=click.FloatRange(min=1),
    default=None,
    help="Seconds after which another worker may resend this worker's batch if it stops "
    "renewing its lease (default: MAILER_LEASE_SECONDS, 30).",
)
@needs_schema
def command(once: bool, campaign_id: int | None, idle: float, lease_seconds: float | None) -> None:
    """Deliver queued campaigns through the configured backend (MAILER_BACKEND).

    Run as many workers as you like, on one machine or many: on PostgreSQL
    they share campaigns batch by batch (FOR UPDATE SKIP LOCKED), on SQLite
    they take turns. The global rate limit (MAILER_RATE_PER_SECOND,
    MAILER_RATE_PER_HOUR) holds across all of them.

    SIGTERM or Ctrl-C finishes the current batch and exits. A worker killed
    harder leaves its batch `sending`; another worker resends it once the dead
    one's lease has expired (--lease seconds without a heartbeat). A lost
    database connection is retried with backoff; the worker carries on.

    Example: mailer worker --once   (send what is due now, then exit)
    """
    s = settings()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        ttl = dt.timedelta(seconds=lease_seconds) if lease_seconds else None
        factory = session_factory(s)
        w = Worker(factory, s, stop=stop, lease_ttl=ttl)
    except (BackendError, ValueError) as exc:
        raise click.ClickException(f"backend {s.backend!r}: {exc}") from None
    totals: dict[int, list[int]] = {}
    last_report = [time.monotonic()]

    def report(cid: int, sent: int, failed: int) -> None:
        # One line per campaign every few seconds, not one per batch.
        tally = totals.setdefault(cid, [0, 0])
        tally[0] += sent
        tally[1] += failed
        if time.monotonic() - last_report[0] >= 5:
            last_report[0] = time.monotonic()
            for c, (s_, f_) in sorted(totals.items()):
                click.echo(f"campaign {c}: {s_} sent, {f_} failed so far")

    w.progress = report
    stats = w.run(once=once, campaign_id=campaign_id, idle=idle)
    # Plain lines (click), not rich: a worker never loads rich (see cli_support).
    click.echo(f"Worker done: {stats.sent} sent, {stats.failed} failed in {stats.batches} batches.")
    # Everything is recorded and the backend closed: close the database too, and
    # let the process end without the interpreter's teardown (mailer.prompt_exit).
    factory.kw["bind"].dispose()
    prompt_exit.request()
