"""Peak memory of a whole send, 10,000 against 100,000 recipients.

Each size runs in a fresh subprocess (the audience is created in one
process, the send measured in another), and reports its peak RSS from
``resource.getrusage``. Nothing in the send may hold all deliveries at
once: enqueue is one INSERT ... SELECT, the worker holds one batch, so the
difference should be small (target: at most 50 MB).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time

TARGET_MB = 50


def _child(args: list[str]) -> None:
    """Run inside the subprocess: ``setup URL COUNT`` or ``send URL``."""
    from bench import _setup

    if args[0] == "setup":
        url, count = args[1], int(args[2])
        factory = _setup.prepare(url)
        list_id = _setup.audience(factory, count)
        _setup.campaign(factory, list_id, _setup.settings(url))
        return
    url = args[1]
    from mailer.db import make_engine, make_sessionmaker, session_scope
    from mailer.delivery import campaigns
    from mailer.delivery.models import Campaign
    from mailer.delivery.worker import Worker

    factory = make_sessionmaker(make_engine(url))
    started = time.perf_counter()
    with session_scope(factory) as session:
        c = session.get(Campaign, 1)
        assert c is not None
        campaigns.start(session, c, actor="bench")
    stats = Worker(factory, _setup.settings(url)).run(once=True)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {"sent": stats.sent, "peak_kb": peak_kb, "seconds": time.perf_counter() - started}
        )
    )


def measure(count: int) -> dict[str, float]:
    from bench import _setup

    url = _setup.sqlite_url(tempfile.mkdtemp(prefix="mailer-bench-mem-"))
    run = [sys.executable, "-m", "bench.bench_memory"]
    subprocess.run([*run, "setup", url, str(count)], check=True, timeout=900)
    out = subprocess.run(
        [*run, "send", url], check=True, timeout=900, capture_output=True, text=True
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    assert result["sent"] == count, result
    return result


def main(quick: bool) -> None:
    small, large = (2_000, 20_000) if quick else (10_000, 100_000)
    a = measure(small)
    b = measure(large)
    diff = (b["peak_kb"] - a["peak_kb"]) / 1024
    for count, r in ((small, a), (large, b)):
        print(
            f"{count:>7,} recipients (SQLite): peak RSS {r['peak_kb'] / 1024:.1f} MB, "
            f"sent in {r['seconds']:.1f} s"
        )
    verdict = "met" if diff <= TARGET_MB else "NOT met"
    print(f"difference {diff:+.1f} MB (target <= {TARGET_MB} MB: {verdict})")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        _child(sys.argv[1:])
    else:
        main(quick=False)
