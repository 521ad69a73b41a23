"""Ingest of 50 sources where one drips forever (target: within its deadline + 10 s).

Times what a user runs: `mailer content ingest` as a subprocess, from start to
exit, against 50 news sources on a loopback HTTP server. One of them answers
200 and then sends one byte every two seconds for ever, the publisher that
used to hold ingest for minutes. The same command against the 49 well-behaved
sources alone is the baseline, measured in the same run.

The deadline is MAILER_FETCH_DEADLINE: the default, 60 s, or 10 s with --quick.

Run with `make bench` (or `python -m bench ingest [--quick]`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from mailer.config import Settings
from mailer.content.sources import add_source
from mailer.db import make_engine, make_sessionmaker, migrate, session_scope

SOURCES = 50
DRIP_SECONDS = 2.0
FEED = (Path(__file__).resolve().parent.parent / "tests/data/feeds/odei-news.rss").read_bytes()


def _server(stop: threading.Event) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/drip":
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n\r\n")
                try:
                    for byte in FEED:  # then spaces, for ever
                        self.wfile.write(bytes([byte]))
                        if stop.wait(DRIP_SECONDS):
                            return
                    while not stop.wait(DRIP_SECONDS):
                        self.wfile.write(b" ")
                except OSError:
                    return  # the client hung up at its deadline
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(FEED)))
            self.end_headers()
            self.wfile.write(FEED)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    return httpd


def _database(folder: str, base: str, with_drip: bool) -> str:
    url = f"sqlite:///{folder}/bench-{'drip' if with_drip else 'good'}.db"
    migrate(url)
    factory = make_sessionmaker(make_engine(url))
    with session_scope(factory) as session:
        for n in range(SOURCES - 1):
            add_source(session, kind="news", url=f"{base}/feed/{n}", name=f"feed {n}")
        if with_drip:
            add_source(session, kind="news", url=f"{base}/drip", name="drips for ever")
    return url


def _ingest(url: str, deadline: float, folder: str) -> tuple[float, str]:
    config = Path(folder) / "empty.toml"
    config.write_text("")
    env = {
        **os.environ,
        "MAILER_DATABASE_URL": url,
        "MAILER_FETCH_DEADLINE": f"{deadline:g}",
        "MAILER_SECRET_KEY": "bench",
        "MAILER_CONFIG": str(config),
    }
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "mailer", "content", "ingest"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    return elapsed, done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr


def main(quick: bool) -> None:
    deadline = 10.0 if quick else Settings().fetch_deadline
    stop = threading.Event()
    httpd = _server(stop)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        with tempfile.TemporaryDirectory(prefix="bench-ingest-") as folder:
            good = _database(folder, base, with_drip=False)
            drip = _database(folder, base, with_drip=True)
            bare, bare_summary = _ingest(good, deadline, folder)
            elapsed, summary = _ingest(drip, deadline, folder)
    finally:
        stop.set()
        httpd.shutdown()
        httpd.server_close()
    target = deadline + 10
    print(f"{'run':<52}{'seconds':>9}")
    print(f"{f'baseline: {SOURCES - 1} good sources':<52}{bare:>9.1f}   {bare_summary}")
    print(f"{f'{SOURCES} sources, one drips a byte every 2 s':<52}{elapsed:>9.1f}   {summary}")
    verdict = "ok" if elapsed <= target else "TOO SLOW"
    print(f"{f'target: deadline {deadline:g} s + 10 s':<52}{target:>9.1f}   {verdict}")
