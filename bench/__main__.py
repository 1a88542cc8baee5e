"""`make bench`: run every benchmark module (jobs, programme, throughput) and print its results.

`python -m bench throughput` runs one. The throughput part needs wrk (BENCH_SECONDS, BENCH_CONNECTIONS).
"""
from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import bench


def main(selected: list[str]) -> None:
    names = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_"))
    for name in names:
        if selected and name not in selected:
            continue
        module = importlib.import_module(f"bench.{name}")
        started = time.perf_counter()
        print(f"== {name} ==", flush=True)
        for line in module.run():
            print(line, flush=True)
        print(f"({time.perf_counter() - started:.1f} s)\n", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
