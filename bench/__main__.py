"""Run every benchmark module in this folder and print its table.

Each ``bench_*.py`` exposes ``main(quick: bool) -> None`` and prints its own
figures, measured side by side in this one run (the machine is shared and
noisy, so modules report medians of repeats and ratios, not single timings).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument("names", nargs="*", help="only these benchmarks (e.g. build smtp)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args()
    here = Path(__file__).parent
    modules = sorted(
        m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_")
    )
    if args.names:
        modules = [m for m in modules if m.removeprefix("bench_") in args.names]
    if not modules:
        sys.exit("no benchmark matched")
    for name in modules:
        module = importlib.import_module(f"bench.{name}")
        print(f"\n== {name.removeprefix('bench_')} ==", flush=True)
        started = time.perf_counter()
        module.main(args.quick)
        print(f"({time.perf_counter() - started:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
