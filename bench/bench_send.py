"""Whole sends as a user runs them: ``mailer worker --once``, timed from start to exit.

Each run copies one prepared SQLite database (an audience and a started
digest campaign of the realistic ~70 KB edition) and times the ``mailer
worker --once`` command in a subprocess against:

- the local SMTP sink of bench_smtp (aiosmtpd in its own process), one
  connection, without DKIM and with DKIM (RSA-2048; then RSA + Ed25519).
  Target: with DKIM / without >= 0.9 (median of paired runs' ratios);
- a local fake of each HTTP API (tests/http_fakes.py) that waits 100 ms
  before answering every request, as a real API 100 ms away would.
  Target: >= 1,000 messages/s per worker.

Process start and imports are inside the timing (a speed claim is a
whole-command claim); creating the audience is not.
"""

from __future__ import annotations

import multiprocessing as mp
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from multiprocessing.queues import Queue
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from bench import _setup
from bench.bench_smtp import _serve
from mailer.db import session_scope
from mailer.delivery import campaigns
from mailer.delivery.models import Campaign

SECRET = "bench-secret-key"
LATENCY = 0.1
API_TARGET = 1_000
MAILER = str(Path(sys.executable).with_name("mailer"))


def prepare(folder: Path, count: int) -> Path:
    """A SQLite database with ``count`` readers and a started campaign; returns its path."""
    url = _setup.sqlite_url(str(folder))
    factory = _setup.prepare(url)
    list_id = _setup.audience(factory, count)
    campaign_id = _setup.campaign(factory, list_id, _setup.settings(url))
    with session_scope(factory) as session:
        c = session.get(Campaign, campaign_id)
        assert c is not None
        campaigns.start(session, c, actor="bench")
    factory.kw["bind"].dispose()
    return folder / "bench.db"


def keys(folder: Path) -> dict[str, str]:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ed_key = ed25519.Ed25519PrivateKey.generate()
    (folder / "rsa.pem").write_bytes(
        rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    (folder / "ed.pem").write_bytes(
        ed_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    rsa_env = {
        "MAILER_DKIM_DOMAIN": "example.org",
        "MAILER_DKIM_SELECTOR": "odei2026",
        "MAILER_DKIM_PRIVATE_KEY_PATH": str(folder / "rsa.pem"),
    }
    return rsa_env | {
        "MAILER_DKIM_ED25519_SELECTOR": "odei2026e",
        "MAILER_DKIM_ED25519_KEY_PATH": str(folder / "ed.pem"),
    }


def run_worker(template: Path, backend: str, count: int, env: dict[str, str]) -> float:
    """Messages/s of one ``mailer worker --once`` on a fresh copy of ``template``."""
    folder = Path(tempfile.mkdtemp(prefix="mailer-bench-send-"))
    try:
        db = folder / "bench.db"
        shutil.copyfile(template, db)
        environment = {
            **_setup.command_env(),
            "MAILER_DATABASE_URL": f"sqlite:///{db}",
            "MAILER_BACKEND": backend,
            "MAILER_SECRET_KEY": SECRET,
            "MAILER_BASE_URL": "https://news.example.org",
            **env,
        }
        started = time.perf_counter()
        done = subprocess.run(
            [MAILER, "worker", "--once"],
            env=environment,
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=900,
        )
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"bench_send: mailer worker failed:\n{done.stderr[-2000:]}")
        return count / elapsed
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def smtp_part(template: Path, count: int, repeats: int, dkim_env: dict[str, str]) -> None:
    ctx = mp.get_context("spawn")
    port_queue: Queue[int] = ctx.Queue()
    stop = ctx.Event()
    server = ctx.Process(target=_serve, args=(port_queue, stop), daemon=True)
    server.start()
    try:
        port = port_queue.get(timeout=30)
        backend = f"smtp://127.0.0.1:{port}?connections=1&helo=bench.local"
        rsa_only = {k: v for k, v in dkim_env.items() if "ED25519" not in k}
        plans = [("no DKIM", {}), ("DKIM RSA", rsa_only), ("DKIM RSA+Ed25519", dkim_env)]
        rates: dict[str, list[float]] = {label: [] for label, _ in plans}
        for _ in range(repeats):  # interleaved, so drifting load hits all alike
            for label, env in plans:
                rates[label].append(run_worker(template, backend, count, env))
        base = rates["no DKIM"]
        print(f"SMTP, 1 connection, {count:,} recipients, `mailer worker --once`, {repeats} runs")
        worst = None
        for label, _ in plans:
            ratio = statistics.median(r / b for r, b in zip(rates[label], base, strict=True))
            if label != "no DKIM":
                worst = ratio if worst is None else min(worst, ratio)
            print(
                f"  {label:<17} {statistics.median(rates[label]):>8,.0f} msg/s"
                f"  ({', '.join(f'{r:,.0f}' for r in rates[label])}; {ratio:.2f} of no DKIM)"
            )
        verdict = "met" if worst is not None and worst >= 0.9 else "NOT met"
        print(f"  target with DKIM / without >= 0.90: {verdict} (worst {worst:.2f})")
    finally:
        stop.set()
        server.join(timeout=10)
        if server.is_alive():
            server.terminate()


def api_part(template: Path, count: int, repeats: int) -> None:
    from tests.http_fakes import FakeApi, FakeMailgun, FakePostmark, FakeSendGrid

    fakes: list[tuple[str, FakeApi, str]] = [
        ("SendGrid", FakeSendGrid(), "sendgrid://SG.test-key@"),
        ("Mailgun", FakeMailgun(), "mailgun://key-test@mg.example.org"),
        ("Postmark", FakePostmark(), "postmark://00000000-test-token@"),
    ]
    print(f"HTTP APIs whose fakes wait {LATENCY * 1000:.0f} ms per request, {count:,} recipients")
    for name, fake, url in fakes:
        fake.latency = LATENCY
        fake.keep = False  # count what was accepted, do not hold every message
        with fake:
            backend = f"{url}?base_url={fake.url}"
            rates = [run_worker(template, backend, count, {}) for _ in range(repeats)]
            accepted = fake.accepted_count
        rate = statistics.median(rates)
        verdict = "met" if rate >= API_TARGET else "NOT met"
        print(
            f"  {name:<9} {rate:>8,.0f} msg/s ({', '.join(f'{r:,.0f}' for r in rates)}; "
            f"{len(fake.requests)} requests; accepted {accepted:,}; "
            f"target >= {API_TARGET:,}/s {verdict})"
        )
        if accepted != count * repeats:
            print(f"  {name}: only {accepted:,} of {count * repeats:,} accepted")


def main(quick: bool) -> None:
    count, repeats = (2_000, 1) if quick else (10_000, 3)
    folder = Path(tempfile.mkdtemp(prefix="mailer-bench-send-"))
    try:
        template = prepare(folder, count)
        dkim_env = keys(folder)
        smtp_part(template, count, repeats, dkim_env)
        api_part(template, count, repeats)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
