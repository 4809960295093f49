"""Run gates: execute each notebook with papermill (the only module that imports it), read what it
recorded, evaluate the checks. Gates run in parallel processes; one gate's failure never hides
another's result. A notebook that raises, times out or records nothing fails its gate."""

from __future__ import annotations

import json
import os
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matrix.config import Settings, absolute_storage_url, export_for_kernels
from matrix.gates.spec import Gate

RECORD_ENV = "MATRIX_GATE_RECORD"
"""The variable that tells a gate notebook's ``record()`` where to write (the ``gate_record``
setting)."""


@dataclass(kw_only=True)
class GateResult:
    gate: Gate
    verdict: str = "fail"
    duration_seconds: float = 0.0
    recorded: dict[str, Any] = field(default_factory=dict)
    checks: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None
    output: Path | None = None

    @property
    def warnings(self) -> list[str]:
        """The warning-level checks that failed (the gate passes, and says so)."""
        return [
            c["name"] for c in self.checks if c["outcome"] == "fail" and c["level"] == "warning"
        ]

    def blocks(self, fail_on: str) -> bool:
        if self.verdict == "fail":
            return True
        return fail_on == "warning" and any(c["outcome"] == "fail" for c in self.checks)


def _execute(
    gate: Gate,
    output: Path,
    storage_url: str | None,
    parameters: dict[str, Any],
    provider_mode: str | None = None,
) -> tuple[dict[str, Any], dict[str, Any] | None, float]:
    """Run one notebook in this (worker) process; return what it recorded and any error."""
    import papermill as pm

    record = Path(tempfile.mkstemp(prefix=f"{gate.id}-", suffix=".jsonl")[1])
    # Kernels run in the notebook's folder: a relative DuckDB path must point at the same file.
    # This worker process exists to run kernels, so it exports both for the kernels it starts.
    export_for_kernels(
        storage_url=absolute_storage_url(storage_url or Settings.load().storage_url),
        gate_record=str(record),
        provider_mode=provider_mode,
    )
    started = time.perf_counter()
    error = None
    # The kernel writes its own chatter to stderr; keep it beside the notebook, not on the console.
    log = os.open(output.with_suffix(".kernel.log"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    saved = os.dup(2)
    os.dup2(log, 2)
    try:
        pm.execute_notebook(str(gate.notebook), str(output), parameters=parameters, kernel_name="python3",
                            execution_timeout=gate.timeout_seconds, progress_bar=False, cwd=str(gate.notebook.parent))  # fmt: skip
    except pm.PapermillExecutionError as exc:
        error = {
            "message": f"{exc.ename}: {exc.evalue}"[:500],
            "cell_index": exc.cell_index,
            "exception": exc.ename,
        }
    except Exception as exc:  # timeouts and dead kernels arrive as nbclient errors
        error = {
            "message": f"{type(exc).__name__}: {exc}"[:500],
            "cell_index": None,
            "exception": type(exc).__name__,
        }
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(log)
    duration = time.perf_counter() - started
    recorded: dict[str, Any] = {}
    for line in record.read_text().splitlines():
        item = json.loads(line)
        recorded[item["name"]] = item["value"]
    record.unlink(missing_ok=True)
    return recorded, error, duration


def evaluate(
    gate: Gate, recorded: dict[str, Any], error: dict[str, Any] | None
) -> tuple[str, list[dict[str, Any]]]:
    """The verdict and each check's outcome (pass, fail, no-data)."""
    checks = []
    for check in gate.checks:
        value = recorded.get(check.name)
        if check.name not in recorded:
            outcome, message = "fail", "the notebook recorded no value"
        elif value is None:
            outcome, message = "no-data", "recorded as empty"
        else:
            try:
                outcome = "pass" if check.passes(value) else "fail"
                message = (f"{value!r} {check.op} {check.threshold!r}" if outcome == "pass"
                           else f"{value!r}, expected {check.op} {check.threshold!r}")  # fmt: skip
            except TypeError:
                outcome, message = "fail", f"{value!r} cannot be compared with {check.threshold!r}"
        checks.append({"name": check.name, "operator": check.op, "threshold": check.threshold, "level": check.level,
                       "value": value if isinstance(value, int | float | str | bool) or value is None else str(value),
                       "outcome": outcome, "message": message})  # fmt: skip
    if error is not None or not recorded:
        return "fail", checks
    if any(c["outcome"] == "fail" and c["level"] == "error" for c in checks):
        return "fail", checks
    if any(c["outcome"] == "no-data" for c in checks):
        return "no-data", checks
    return "pass", checks


def run_gates(gates: list[Gate], out_dir: Path, *, jobs: int = 2, storage_url: str | None = None,
              progress: Any = None, provider_mode: str | None = None) -> list[GateResult]:  # fmt: skip
    """Run ``gates`` up to ``jobs`` at a time (their kernels on ``provider_mode`` when given); a gate that ``needs`` others starts after them and
    gets their verdicts as its ``upstream`` parameter (None for a needed gate not in this run)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    chosen = {g.id for g in gates}
    done: dict[str, GateResult] = {}
    pending = list(gates)
    running: dict[Future[Any], Gate] = {}
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        while pending or running:
            for gate in [g for g in pending if all(n in done or n not in chosen for n in g.needs)]:
                parameters = dict(gate.parameters)
                if gate.needs:
                    parameters["upstream"] = {
                        n: done[n].verdict if n in done else None for n in gate.needs
                    }
                future = pool.submit(
                    _execute,
                    gate,
                    out_dir / f"{gate.id}.ipynb",
                    storage_url,
                    parameters,
                    provider_mode,
                )
                running[future] = gate
                pending.remove(gate)
            if not running:  # what is left waits on itself
                for gate in pending:
                    done[gate.id] = _result(gate, out_dir, {}, {"message": "its needs form a cycle: "
                                            + ", ".join(gate.needs), "cell_index": None, "exception": None}, 0.0)  # fmt: skip
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                gate = running.pop(future)
                try:
                    recorded, error, duration = future.result()
                except Exception as exc:  # the worker itself died
                    recorded, error, duration = {}, {"message": f"{type(exc).__name__}: {exc}", "cell_index": None,
                                                      "exception": type(exc).__name__}, 0.0  # fmt: skip
                done[gate.id] = _result(gate, out_dir, recorded, error, duration)
                if progress:
                    progress(1)
    return [done[g.id] for g in gates]


def _result(gate: Gate, out_dir: Path, recorded: dict[str, Any], error: dict[str, Any] | None,
            duration: float) -> GateResult:  # fmt: skip
    verdict, checks = evaluate(gate, recorded, error)
    if not recorded and error is None:
        error = {"message": "the notebook recorded nothing", "cell_index": None, "exception": None}
    return GateResult(gate=gate, verdict=verdict, duration_seconds=duration, recorded=recorded,
                      checks=checks, error=error, output=out_dir / f"{gate.id}.ipynb")  # fmt: skip
