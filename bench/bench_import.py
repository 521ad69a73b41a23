"""CSV import speed: 1,000,000 rows into a fresh SQLite database (target: under 60 s).

Run with `make bench` (or `python -m bench import [--quick]`); --quick uses
50,000 rows. Set BENCH_PROFILE=1 to print a pyinstrument profile.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path

from mailer.db import make_engine, make_sessionmaker, migrate, session_scope
from subscribers.imports import import_csv
from subscribers.models import MailingList

DIVISIONS = [
    "Office of Diversity, Equity and Inclusion",
    "Academic Affairs",
    "Graduate Medical Education",
    "Faculty Affairs",
    "Student Affairs",
    "Pediatrics",
    "Surgery",
]
FIRST = ["Ana", "Kofi", "Amara", "Lee", "Priya", "Mateo", "Aisha", "Wei", "Noah", "Zoe"]
LAST = ["Ruiz", "Mensah", "Diallo", "Jordan", "Patel", "Garcia", "Khan", "Chen", "Smith", "Okafor"]


def write_csv(path: Path, rows: int) -> None:
    rnd = random.Random(8058)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("email,name,division\r\n")
        for i in range(rows):
            first, last = rnd.choice(FIRST), rnd.choice(LAST)
            division = rnd.choice(DIVISIONS)
            address = f"{first.lower()}.{last.lower()}{i}@wustl.example"
            fh.write(f'{address},{first} {last},"{division}"\r\n')


def main(quick: bool) -> None:
    rows = 50_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        csv_path = Path(tmp) / "members.csv"
        write_csv(csv_path, rows)
        url = f"sqlite:///{tmp}/bench.db"
        migrate(url)
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        with session_scope(factory) as session:
            mailing_list = MailingList(slug="weekly", name="ODEI Weekly")
            session.add(mailing_list)
        profiler = None
        if os.environ.get("BENCH_PROFILE"):
            from pyinstrument import Profiler

            profiler = Profiler()
            profiler.start()
        started, cpu = time.perf_counter(), time.process_time()
        report = import_csv(factory, csv_path, mailing_list, confirmed=True, actor="bench")
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        if profiler is not None:
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False))
        # Importing the same file again: every row is unchanged (the upsert path).
        again = time.perf_counter()
        second = import_csv(factory, csv_path, mailing_list, confirmed=True, actor="bench")
        again_seconds = time.perf_counter() - again
        engine.dispose()
    assert report.imported == rows and report.rejected == 0, report
    assert second.unchanged == rows, second
    print(f"rows                 {rows:>12,}")
    print(f"import, new          {seconds:>10.1f} s  {rows / seconds:>10,.0f} rows/s")
    print(f"  of which CPU       {cpu:>10.1f} s  (the rest is waiting: disk, a busy machine)")
    print(f"import, unchanged    {again_seconds:>10.1f} s  {rows / again_seconds:>10,.0f} rows/s")
    if not quick:
        verdict = "ok" if seconds < 60 else "TOO SLOW"
        print(f"target 1M < 60 s     {verdict}")
