"""Peak memory of a whole send, 10,000 against 100,000 recipients.

The audience and the started campaign are created in one process; the send
is the ``mailer worker --once`` command, as an operator runs it, in a
process of its own whose peak RSS is read from outside
(``RUSAGE_CHILDREN`` of a wrapper that runs only it). Nothing in the send
may hold all deliveries at once: enqueue is one INSERT ... SELECT, the
worker holds one batch. Targets: at most 120 MB at 100,000 recipients and
at most 10 MB more than at 10,000.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_MB = 10
TARGET_PEAK_MB = 120
# Runs the command given to it and prints the peak RSS (KB) of that child alone.
_WRAPPER = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
    "stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def _child(args: list[str]) -> None:
    """Run inside the subprocess: ``setup URL COUNT`` (an audience and a started campaign)."""
    from bench import _setup

    if args[0] == "setup":
        from mailer.db import session_scope
        from mailer.delivery import campaigns
        from mailer.delivery.models import Campaign

        url, count = args[1], int(args[2])
        factory = _setup.prepare(url)
        list_id = _setup.audience(factory, count)
        campaign_id = _setup.campaign(factory, list_id, _setup.settings(url))
        with session_scope(factory) as session:
            c = session.get(Campaign, campaign_id)
            assert c is not None
            campaigns.start(session, c, actor="bench")
        return


def measure(count: int) -> dict[str, float]:
    from bench import _setup

    url = _setup.sqlite_url(tempfile.mkdtemp(prefix="mailer-bench-mem-"))
    run = [sys.executable, "-m", "bench.bench_memory"]
    subprocess.run([*run, "setup", url, str(count)], check=True, timeout=900)
    mailer = str(Path(sys.executable).with_name("mailer"))
    env = {
        **_setup.command_env(),
        "MAILER_DATABASE_URL": url,
        "MAILER_BACKEND": "null:",
        "MAILER_SECRET_KEY": "bench-secret-key",
        "MAILER_BASE_URL": "https://news.example.org",
    }
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _WRAPPER, mailer, "worker", "--once"],
        check=True,
        timeout=900,
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    seconds = time.perf_counter() - started
    from sqlalchemy import func, select

    from mailer.db import make_engine, make_sessionmaker
    from mailer.delivery.models import Delivery, DeliveryStatus

    factory = make_sessionmaker(make_engine(url))
    with factory() as session:
        sent = session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.status == DeliveryStatus.SENT)
        )
    factory.kw["bind"].dispose()
    assert sent == count, (sent, count)
    return {"sent": sent, "peak_kb": float(out.strip().splitlines()[-1]), "seconds": seconds}


def main(quick: bool) -> None:
    small, large = (2_000, 20_000) if quick else (10_000, 100_000)
    a = measure(small)
    b = measure(large)
    diff = (b["peak_kb"] - a["peak_kb"]) / 1024
    for count, r in ((small, a), (large, b)):
        print(
            f"{count:>7,} recipients (SQLite), `mailer worker --once`: peak RSS "
            f"{r['peak_kb'] / 1024:.1f} MB, sent in {r['seconds']:.1f} s"
        )
    peak = b["peak_kb"] / 1024
    verdict = "met" if diff <= TARGET_MB and peak <= TARGET_PEAK_MB else "NOT met"
    print(
        f"difference {diff:+.1f} MB (targets: peak <= {TARGET_PEAK_MB} MB at {large:,}, "
        f"difference <= {TARGET_MB} MB: {verdict})"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1:
        _child(sys.argv[1:])
    else:
        main(quick=False)
