"""``matrix gate``: quality gates (notebooks executed with papermill), their reports and history."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from matrix.cli.options import CONTEXT, F, json_option, open_app, storage_option
from matrix.cli.output import emit, table
from matrix.config import Settings

if TYPE_CHECKING:
    from matrix.gates.service import GateRun


@click.group(context_settings=CONTEXT)
def gate() -> None:
    """Quality gates: notebooks executed with papermill, with checks, verdicts and reports."""


def _spec_option(f: F) -> F:
    return click.option("--spec", "spec_path", type=click.Path(dir_okay=False),
                        help="Gate spec file (default: notebooks/gates/gates.json).")(f)  # fmt: skip


@gate.command("list")
@_spec_option
@json_option
def gate_list(spec_path: str | None, as_json: bool) -> None:
    """Every gate of the spec, with its checks."""
    from matrix.gates.service import spec_path as resolve
    from matrix.gates.spec import load_gates

    rows = [{"id": g.id, "title": g.title, "notebook": g.notebook.name,
             "checks": ", ".join(f"{c.name} {c.op} {c.threshold}" for c in g.checks)} for g in load_gates(resolve(spec_path))]  # fmt: skip
    emit(rows, as_json, lambda r: table(r, ("id", "title", "notebook", "checks")))


@gate.command("run")
@click.argument("ids", nargs=-1)
@click.option("--all", "run_all", is_flag=True, help="Run every gate of the spec.")
@_spec_option
@click.option("--run-id", help="Name of the run (default: a timestamp).")
@click.option(
    "--fail-on", type=click.Choice(["warning", "error"]), default="error", show_default=True
)
@click.option(
    "--jobs", type=click.IntRange(1, 16), default=2, show_default=True, help="Kernels in parallel."
)
@click.option(
    "--record-deployment",
    is_flag=True,
    help="When g03_release_dry_run passes, record this version as a deployment of the platform.",
)
@storage_option
@json_option
def gate_run(ids: tuple[str, ...], run_all: bool, spec_path: str | None, run_id: str | None, fail_on: str, jobs: int,
             record_deployment: bool, storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """Execute gates; write reports/gates/<run_id>/ (notebooks, HTML, summary.json/.md, junit.xml).

    Exit 0 when nothing blocks, 1 when a gate fails, 2 on a usage or spec error.
    """
    from tqdm import tqdm

    from matrix.clock import SYSTEM_CLOCK
    from matrix.gates import service

    chosen = service.choose(ids, run_all=run_all, spec=spec_path)
    with tqdm(total=len(chosen), unit="gate", desc="gates", file=sys.stderr, disable=None) as bar:
        done = service.run(Settings.load(storage_url=storage_url), clock=SYSTEM_CLOCK, gates=chosen,
                           run_id=run_id, jobs=jobs,
                           record_deployment=record_deployment, progress=bar.update)  # fmt: skip
    emit(done.as_dict(), as_json, lambda _: _run_text(done))
    if done.blocks(fail_on):
        raise SystemExit(1)


def _run_text(done: GateRun) -> str:
    return done.markdown() + f"\n{done.history_note}\nreports: {done.report_dir}"


@gate.command("history")
@click.option("--gate", "gate_id", help="Only this gate.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@storage_option
@json_option
def gate_history(gate_id: str | None, limit: int, storage_url: str | None, as_json: bool) -> None:
    """Recorded gate results, newest first (verdict, duration, commit, report folder)."""
    from matrix.gates.history import history

    with open_app(storage_url) as app:
        rows = history(app.store, limit=limit, gate_id=gate_id)
    if gate_id is not None and not rows:
        from matrix.gates.service import choose

        choose([gate_id])  # a gate of no spec and no history: named, with the closest known
    emit(
        rows,
        as_json,
        lambda r: table(r, ("run_id", "gate_id", "verdict", "duration_seconds", "commit_sha")),
    )


COMMANDS = (gate,)
