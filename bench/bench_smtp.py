"""SMTP throughput: our SmtpBackend against a minimal smtplib loop, 1 and 4 connections.

The yardstick is the fastest honest client: one prebuilt message sent with
``smtplib.SMTP.sendmail`` over already-open connections (a thread per
connection). Our backend sends the same bytes over the same number of
connections, in engine-sized batches, with its per-recipient bookkeeping.
Target: ours / loop >= 0.9 (the median of paired runs' ratios).

Profiled (cProfile, 1 connection), the client side spends about 11 us of its
own per message; the rest is waiting for the server, so the ratio measures
the transport's shape (connection reuse, round trips), not Python overhead.

The receiving aiosmtpd server runs in a separate process, so its event loop
does not compete with the client threads for the GIL. Connection set-up is
outside the timed part for both. Runs alternate loop/ours and report medians,
because the machine is shared and noisy.
"""

from __future__ import annotations

import asyncio
import email.policy
import functools
import multiprocessing as mp
import smtplib
import statistics
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event as EventType

from mailer.delivery.backends.base import Outcome, OutgoingMessage
from mailer.delivery.backends.smtp import SmtpBackend, SmtpConfig

HOST = "127.0.0.1"
SENDER = "bounces+1.abcdefghij@bounces.example.org"
RECIPIENT = "member@example.org"
BATCH = 500


def _serve(port_queue: Queue[int], stop: EventType) -> None:
    """Child process: an aiosmtpd sink on a free loopback port."""
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            return "250 2.0.0 OK"

    class PortZero(Controller):
        def _trigger_server(self) -> None:
            server = self.server
            assert isinstance(server, asyncio.Server)
            self.port = server.sockets[0].getsockname()[1]
            super()._trigger_server()

    controller = PortZero(Sink(), hostname=HOST, port=0)
    controller.start()
    port_queue.put(controller.port)
    stop.wait()
    controller.stop()


def _message() -> bytes:
    msg = EmailMessage(policy=email.policy.SMTP)  # CRLF line ends, as on the wire
    msg["From"] = "WashU Med ODEI <odei-news@example.org>"
    msg["To"] = f"Member <{RECIPIENT}>"
    msg["Subject"] = "ODEI Weekly: Women's History Month and upcoming events"
    msg["Date"] = formatdate()
    msg["Message-ID"] = make_msgid(domain="mailer.example.org")
    msg["List-Id"] = "ODEI Weekly <weekly.odei.example.org>"
    msg["List-Unsubscribe"] = "<https://odei.example.org/u/TOKEN>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    body = (
        "This week the Office of Diversity, Equity and Inclusion celebrates Women's "
        "History Month, with news from across the school and upcoming events.\n"
    ) * 40
    msg.set_content(body)
    msg.add_alternative(f"<html><body><p>{body}</p></body></html>", subtype="html")
    return msg.as_bytes()


def _loop(port: int, raw: bytes, count: int, connections: int, connect: bool = False) -> float:
    """The yardstick: sendmail over open connections; returns messages per second.

    ``connect``: each thread also opens (EHLO) and closes (QUIT) its connection
    inside the timing, as a whole command must.
    """
    share = [count // connections + (i < count % connections) for i in range(connections)]

    def open_client() -> smtplib.SMTP:
        client = smtplib.SMTP(HOST, port, "bench.local")
        client.ehlo()
        return client

    def run(client: smtplib.SMTP | None, n: int) -> None:
        client = client or open_client()
        for _ in range(n):
            client.sendmail(SENDER, [RECIPIENT], raw)
        if connect:
            client.quit()

    clients = [None if connect else open_client() for _ in range(connections)]
    jobs: list[Callable[[], None]] = [
        functools.partial(run, c, n) for c, n in zip(clients, share, strict=True)
    ]
    elapsed = _timed_threads(jobs)
    for client in clients:
        if client is not None:
            client.quit()
    return count / elapsed


def _ours(port: int, raw: bytes, count: int, connections: int) -> float:
    backend = SmtpBackend(
        SmtpConfig(HOST, port, "plain", connections=connections, timeout=30, helo="bench.local")
    )
    backend.open()
    messages = [OutgoingMessage(i, SENDER, RECIPIENT, raw) for i in range(count)]
    sent = 0

    def run() -> None:
        nonlocal sent
        for start in range(0, count, BATCH):
            results = backend.send(messages[start : start + BATCH])
            sent += sum(r.outcome is Outcome.SENT for r in results)

    elapsed = _timed_threads([run])
    backend.close()
    if sent != count:
        raise SystemExit(f"bench_smtp: only {sent} of {count} messages were accepted")
    return count / elapsed


def _timed_threads(jobs: list[Callable[[], None]]) -> float:
    if len(jobs) == 1:
        started = time.perf_counter()
        jobs[0]()
        return time.perf_counter() - started
    threads = [threading.Thread(target=job) for job in jobs]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def main(quick: bool) -> None:
    count, repeats = (300, 3) if quick else (2000, 5)
    ctx = mp.get_context("spawn")
    port_queue: Queue[int] = ctx.Queue()
    stop = ctx.Event()
    server = ctx.Process(target=_serve, args=(port_queue, stop), daemon=True)
    server.start()
    try:
        port = port_queue.get(timeout=30)
        raw = _message()
        print(f"{count} messages of {len(raw):,} bytes, {repeats} runs each, medians")
        print(f"{'connections':>11} {'loop msg/s':>11} {'ours msg/s':>11} {'ours/loop':>10}")
        worst = None
        for connections in (1, 4):
            loop_rates, our_rates = [], []
            _loop(port, raw, min(count, 100), connections)  # warm up both sides
            for _ in range(repeats):
                loop_rates.append(_loop(port, raw, count, connections))
                our_rates.append(_ours(port, raw, count, connections))
            loop_rate, our_rate = statistics.median(loop_rates), statistics.median(our_rates)
            # Each run of ours follows a run of the loop; the median of those paired
            # ratios resists the load of other users drifting over the whole bench.
            ratio = statistics.median(o / n for o, n in zip(our_rates, loop_rates, strict=True))
            worst = ratio if worst is None else min(worst, ratio)
            print(f"{connections:>11} {loop_rate:>11,.0f} {our_rate:>11,.0f} {ratio:>10.2f}")
        verdict = "meets" if worst is not None and worst >= 0.9 else "BELOW"
        print(f"target ours/loop >= 0.90: {verdict} (worst {worst:.2f})")
    finally:
        stop.set()
        server.join(timeout=10)
        if server.is_alive():
            server.terminate()


if __name__ == "__main__":
    main(quick=True)
