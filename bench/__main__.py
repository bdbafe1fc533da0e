"""Run every benchmark: ``make bench`` or ``python -m bench [name ...]``."""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import sys
from pathlib import Path

from bench.report import Result, print_results, save


def main(selected: list[str]) -> int:
    names = sorted(
        m.name
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if m.name.startswith("bench_")
    )
    if selected:
        names = [n for n in names if any(s in n for s in selected)]
    results: list[Result] = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}: {(module.__doc__ or '').strip().splitlines()[0]}", flush=True)
        got = asyncio.run(module.run())
        print_results(got)
        results.extend(got)
    save(results, Path(__file__).parent / "results" / "latest.json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
