"""Gate runner benchmark: the shipped suite with --jobs 1 and --jobs 2, and the runner's overhead
per notebook against bare papermill on the same notebook.

    .venv/bin/python benchmarks/bench_gates.py [--runs 3]

All in one process, against one throwaway DuckDB store (migrated, empty), median of ``--runs``:

- the full suite through ``run_gates`` (what ``matrix gate run --all`` does, reports excluded)
  with ``jobs=1`` and ``jobs=2``;
- each gate notebook through ``run_gates`` alone (``jobs=1``: a worker process, the kernel-log
  redirect, recording, check evaluation) against ``papermill.execute_notebook`` called directly
  with the same parameters in this process.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import papermill as pm
from common import spread

from matrix import paths
from matrix.config import default_in_child, export_for_kernels
from matrix.gates.runner import run_gates
from matrix.gates.spec import load_gates
from matrix.storage import open_store

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    gates = load_gates(paths.gates_file())
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        url = f"duckdb:///{work / 'store.duckdb'}"
        open_store(url, migrate=True).close()
        export_for_kernels(
            storage_url=url, provider_mode=default_in_child("MATRIX_PROVIDER_MODE", "local")
        )
        suite: dict[str, list[float]] = {"1": [], "2": []}
        for run in range(args.runs):
            for jobs in (1, 2):
                started = time.perf_counter()
                results = run_gates(gates, work / f"suite-{jobs}-{run}", jobs=jobs, storage_url=url)
                suite[str(jobs)].append(time.perf_counter() - started)
                print(f"suite jobs={jobs} run {run}: {suite[str(jobs)][-1]:.2f} s",
                      [r.verdict for r in results], flush=True)  # fmt: skip
        per_gate = {}
        for gate in gates:
            runner, bare = [], []
            for run in range(args.runs):
                started = time.perf_counter()
                run_gates([gate], work / f"one-{gate.id}-{run}", jobs=1, storage_url=url)
                runner.append(time.perf_counter() - started)
                export_for_kernels(gate_record=str(work / f"bare-{gate.id}-{run}.jsonl"))
                parameters = dict(gate.parameters)
                if gate.needs:
                    parameters["upstream"] = {n: None for n in gate.needs}
                started = time.perf_counter()
                try:
                    pm.execute_notebook(str(gate.notebook), str(work / f"bare-{gate.id}-{run}.ipynb"),
                                        parameters=parameters, kernel_name="python3", progress_bar=False,
                                        cwd=str(gate.notebook.parent))  # fmt: skip
                finally:
                    bare.append(time.perf_counter() - started)
            per_gate[gate.id] = {"runner": spread(runner), "bare": spread(bare)}
            r, b = per_gate[gate.id]["runner"]["median"], per_gate[gate.id]["bare"]["median"]
            print(
                f"{gate.id}: runner {r:.2f} s, bare papermill {b:.2f} s, overhead {100 * (r - b) / b:+.1f} %",
                flush=True,
            )
    result = {"suite": {jobs: spread(v) for jobs, v in suite.items()}, "per_gate": per_gate,
              "cpus": os.cpu_count(), "runs": args.runs}  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "gates.json").write_text(json.dumps(result, indent=2))
    runner_total = sum(g["runner"]["median"] for g in per_gate.values())
    bare_total = sum(g["bare"]["median"] for g in per_gate.values())
    print(f"suite: jobs=1 {result['suite']['1']['median']:.2f} s, jobs=2 {result['suite']['2']['median']:.2f} s;"
          f" per-notebook total: runner {runner_total:.2f} s vs bare {bare_total:.2f} s"
          f" ({100 * (runner_total - bare_total) / bare_total:+.1f} %)")  # fmt: skip


if __name__ == "__main__":
    main()
