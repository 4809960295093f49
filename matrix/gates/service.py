"""One gate run end to end: choose the gates, execute them, write the reports, record the history
in the store and, when asked, a passing release dry run as a deployment.

``matrix gate run`` and ``matrix demo`` both call :func:`run`; what a run found comes back as a
:class:`GateRun`, never as printed output to parse.
"""

from __future__ import annotations

import difflib
import re
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matrix import paths
from matrix.clock import Clock
from matrix.config import Settings
from matrix.errors import MatrixError, UsageError
from matrix.gates.runner import GateResult
from matrix.gates.spec import Gate, load_gates

RELEASE_GATE = "g03_release_dry_run"


@dataclass(frozen=True, kw_only=True)
class GateRun:
    """What one run found, where its reports are, and what was recorded in the store."""

    run_id: str
    report_dir: Path
    summary: dict[str, Any]
    results: tuple[GateResult, ...]
    recorded: int | None = None
    """Gate results added to the store's history; None when the history could not be written."""
    not_recorded_because: str = ""
    release: dict[str, Any] | None = None
    """The deployment recorded for a passing release dry run (when one was asked for)."""
    release_asked: bool = False

    def blocks(self, fail_on: str) -> bool:
        """Whether any gate blocks at ``fail_on`` ("error": failed gates; "warning": any failed check)."""
        return any(r.blocks(fail_on) for r in self.results)

    @property
    def history_note(self) -> str:
        """One line on what the store now holds of this run."""
        if self.recorded is None:
            return f"gate history not recorded: {self.not_recorded_because}"
        note = f"gate history: {self.recorded} results recorded in the store"
        if self.release_asked:
            note += (
                f"; deployment {self.release['version']} recorded"
                if self.release
                else "; no deployment (g03 did not pass)"
            )
        return note

    def markdown(self) -> str:
        """The run's summary.md."""
        return (self.report_dir / "summary.md").read_text(encoding="utf-8")

    def as_dict(self) -> dict[str, Any]:
        """The summary (as in summary.json) and the report folder."""
        return {**self.summary, "report_dir": str(self.report_dir)}


def spec_path(path: str | Path | None) -> Path:
    """The gate spec file: ``path``, else the shipped notebooks/gates/gates.json."""
    return Path(path) if path else paths.gates_file()


def choose(
    ids: Sequence[str] = (), *, run_all: bool = False, spec: str | Path | None = None
) -> list[Gate]:
    """The gates of ``spec`` named by ``ids`` (in that order), or every gate with ``run_all``.

    Raises:
        UsageError: nothing is named, or a name is unknown (with the closest known id).
        GateError: the spec is invalid.
    """
    gates = load_gates(spec_path(spec))
    known = {g.id: g for g in gates}
    if not run_all and not ids:
        raise UsageError(f"Name the gates to run, or pass --all; known: {', '.join(known)}.")
    unknown = [i for i in ids if i not in known]
    if unknown:
        hints = [
            f"{u} (did you mean {close[0]}?)"
            if (close := difflib.get_close_matches(u, known, n=1))
            else u
            for u in unknown
        ]
        raise UsageError(f"Unknown gate(s): {'; '.join(hints)}; known: {', '.join(known)}.")
    return gates if run_all else [known[i] for i in ids]


def run(
    settings: Settings,
    *,
    clock: Clock,
    gates: Sequence[Gate],
    run_id: str | None = None,
    jobs: int = 2,
    record_deployment: bool = False,
    progress: Callable[[int], Any] | None = None,
    provider_mode: str | None = None,
) -> GateRun:
    """Run ``gates`` (see :func:`choose`) into ``<reports_dir>/gates/<run_id>/`` and record them.

    The kernels open the settings' store, the one the results are recorded in (its URL, masked,
    goes into the summary); ``provider_mode`` is the AI provider the kernels use (default: the
    settings'). The store must not be held open by this process while the kernels run: an
    embedded DuckDB file has one writer.
    """
    from matrix.gates.report import write_reports
    from matrix.gates.runner import run_gates

    started = clock.now()
    run_id = check_run_id(started.strftime("%Y%m%dT%H%M%SZ") if run_id is None else run_id)
    out_dir = settings.reports_dir / "gates" / run_id
    results = run_gates(list(gates), out_dir, jobs=jobs, storage_url=settings.storage_url, progress=progress,
                        provider_mode=provider_mode)  # fmt: skip
    summary = write_reports(results, out_dir, run_id=run_id, started=started, finished=clock.now(),
                            contracts_dir=settings.contracts_dir, storage_url=settings.storage_url,
                            commit=current_commit())  # fmt: skip
    done = GateRun(run_id=run_id, report_dir=out_dir, summary=summary, results=tuple(results),
                   release_asked=record_deployment)  # fmt: skip
    return _record(done, settings, clock)


RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def check_run_id(run_id: str) -> str:
    """``run_id`` when it is a plain folder name (letters, digits, '.', '_', '-'; not starting
    with '.'), checked before anything is written.

    Raises:
        UsageError: it could name a folder outside ``reports/gates/``, or is empty or too long.
    """
    if not RUN_ID.fullmatch(run_id) or ".." in run_id:
        raise UsageError(
            f"--run-id {run_id!r} is not a plain name: use 1-100 letters, digits, '.', '_' or '-',"
            " starting with a letter or digit (e.g. ci-2026-12-01)."
        )
    return run_id


def _record(done: GateRun, settings: Settings, clock: Clock) -> GateRun:
    """``done`` with its history (and release) stored; a store that cannot be opened is said."""
    from dataclasses import replace

    from matrix.gates.history import record_release, record_run
    from matrix.storage import open_store

    try:
        with open_store(settings=settings, clock=clock, must_exist=True) as store:
            recorded = record_run(store, done.summary, str(done.report_dir))
            release = (
                record_release(store, done.summary, at=clock.now()) if done.release_asked else None
            )
    except MatrixError as exc:
        return replace(done, not_recorded_because=str(exc))
    return replace(done, recorded=recorded, release=release)


def current_commit() -> str | None:
    """The short id of the checked-out commit, or None outside a git checkout."""
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    return found.stdout.strip() or None
