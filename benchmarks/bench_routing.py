"""Routing measured as a model, and what routing costs: the shipped rules on each part of the
labelled corpus, and the planner's time per message.

    .venv/bin/python benchmarks/bench_routing.py [--runs 5] [--repeat 10]

Prints, per corpus part (dev, test, all), the cases, the accuracy and the harmful confusions of
the shipped routing rules (the numbers ``matrix routing eval`` prints), then the planner's cost:
every corpus text planned ``--repeat`` times per run, in microseconds per message, as the median
(min-max) over ``--runs`` runs. Writes ``benchmarks/results/routing.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from common import spread

from matrix.concierge.planner import plan
from matrix.policy import shipped_routing
from matrix.routing import load_corpus, rules_report


def quality() -> dict[str, Any]:
    """The shipped rules' scores on each part of the corpus."""
    found = {}
    for part in ("dev", "test", "all"):
        report = rules_report(part)
        found[part] = {"cases": report.cases, "correct": report.correct,
                       "accuracy": report.accuracy, "harmful": len(report.harmful)}  # fmt: skip
    return found


def planner_cost(runs: int, repeat: int) -> dict[str, float]:
    """Microseconds per planned message over the corpus's texts."""
    table = shipped_routing()
    texts = [c.text for c in load_corpus()]
    per_message = []
    for _ in range(runs):
        started = time.perf_counter()
        for _ in range(repeat):
            for text in texts:
                plan(text, table)
        per_message.append((time.perf_counter() - started) / (repeat * len(texts)) * 1e6)
    return spread(per_message)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    results: dict[str, Any] = {"machine": platform.platform(), "python": platform.python_version(),
                               "load_before": os.getloadavg()}  # fmt: skip
    results["quality"] = quality()
    results["planner_us_per_message"] = planner_cost(args.runs, args.repeat)
    results["load_after"] = os.getloadavg()
    folder = Path(__file__).resolve().parent / "results"
    folder.mkdir(exist_ok=True)
    (folder / "routing.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
