"""Benchmark results: a measurement beside its baseline, reported as a ratio."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Result:
    name: str
    metric: str
    value: float
    baseline_name: str
    baseline: float
    unit: str
    higher_is_better: bool = True
    target: str = ""
    extra: dict[str, float | str] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("nan")


def print_results(results: list[Result]) -> None:
    for r in results:
        print(
            f"{r.name:<34} {r.metric:<22} {r.value:>12.2f} {r.unit:<10} "
            f"vs {r.baseline_name:<30} {r.baseline:>12.2f}  ratio {r.ratio:6.3f}"
            + (f"  (target {r.target})" if r.target else "")
        )
        for k, v in r.extra.items():
            print(f"{'':<36}{k}: {v}")


def save(results: list[Result], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([{**asdict(r), "ratio": r.ratio} for r in results], indent=2))
