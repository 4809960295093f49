"""A gate's HTML report opens with its verdict in the brand's colour, every check's value as
people read it (no float with more than 4 significant digits) and the worst offender named."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import plotly.graph_objects as go

from matrix import brand
from matrix.gates.report import write_reports
from matrix.gates.runner import GateResult, evaluate
from matrix.gates.spec import Check, Gate
from matrix.notebook import figure_bundle
from tests.conftest import ROOT

T = datetime(2026, 12, 1, 8, 16, 16, 690000, tzinfo=UTC)


def _executed(path: Path) -> Path:
    """An executed notebook with one chart, as a gate kernel leaves it."""
    figure = go.Figure(go.Bar(x=["sim-01", "sim-02"], y=[0.6666666666666666, 0.995]))
    figure.update_layout(title="owner_interaction_success_ratio by tenant (ratio), worst first")
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("show(success)")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data=figure_bundle(figure, with_library=True))
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# g06 · Service levels"), cell]
    nbformat.write(nb, path)
    return path


def _result(gate: Gate, recorded: dict[str, object], out: Path, seconds: float) -> GateResult:
    verdict, checks = evaluate(gate, recorded, None)
    return GateResult(gate=gate, verdict=verdict, duration_seconds=seconds, recorded=recorded,
                      checks=checks, output=out)  # fmt: skip


def _visible(page: str) -> str:
    """The text a reader sees: no scripts, styles or tags."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_gate_report_colours_verdicts_rounds_values_and_names_the_worst_offender(
    tmp_path: Path,
) -> None:
    slo = Gate(id="g06_slo", title="Service levels", notebook=Path("g06_slo.ipynb"), checks=(
        Check(name="owner_interaction_success_ratio", op=">=", threshold=0.99),
        Check(name="owner_interaction_latency_p95_ms", op="<=", threshold=1200),
        Check(name="task_success_ratio", op=">=", threshold=0.98),
    ))  # fmt: skip
    recorded = {"owner_interaction_success_ratio": 0.6666666666666666,
                "owner_interaction_success_ratio.tenant": "sim-02",
                "owner_interaction_latency_p95_ms": 1234.5678901, "owner_interaction_latency_p95_ms.tenant": "sim-01",
                "task_success_ratio": 0.99512345}  # fmt: skip
    ok = Gate(id="g91_passes", title="Passes", notebook=Path("p.ipynb"),
              checks=(Check(name="value", op="==", threshold=1),))  # fmt: skip
    empty = Gate(id="g95_empty", title="Empty", notebook=Path("e.ipynb"),
                 checks=(Check(name="value", op="==", threshold=0),))  # fmt: skip
    results = [
        _result(slo, recorded, _executed(tmp_path / "g06_slo.ipynb"), 8.7123456),
        _result(ok, {"value": 1}, _executed(tmp_path / "p.ipynb"), 1.25),
        _result(empty, {"value": None}, _executed(tmp_path / "e.ipynb"), 0.5),
    ]
    summary = write_reports(results, tmp_path, run_id="r-1", started=T, finished=T, storage_url=None,
                            contracts_dir=ROOT / "contracts", commit=None)  # fmt: skip
    colours = brand.resolve(scheme="light").colours

    page = (tmp_path / "g06_slo.html").read_text()
    assert f'class="verdict verdict-fail" style="background:{colours["bad"]}' in page
    assert (
        f'class="verdict verdict-pass" style="background:{colours["good"]}' in page
    )  # the passing check
    seen = _visible(page)
    # The worst offender is the check furthest past its threshold (a third below 99%, against
    # 3% over 1.2 s), with the tenant the notebook recorded for it.
    assert (
        "Worst offender: owner_interaction_success_ratio in tenant sim-02: 66.7%, expected ≥ 99%"
        in seen
    )
    assert "1,235 ms, expected ≤ 1.2 s" in seen and "99.5% ≥ 98%" in seen
    long_numbers = re.findall(r"\d*\.\d{4,}|\d{5,}", seen.replace(",", ""))
    assert not long_numbers, long_numbers
    assert 'class="plotly-graph-div"' in page and "Plotly.newPlot(" in page  # the chart is drawn

    assert (
        f'verdict-pass" style="background:{colours["good"]}'
        in (tmp_path / "g91_passes.html").read_text()
    )
    assert (
        f'verdict-no-data" style="background:{colours["warn"]}'
        in (tmp_path / "g95_empty.html").read_text()
    )

    markdown = (tmp_path / "summary.md").read_text()
    assert (
        "| g06_slo | fail | 8.7 s | owner_interaction_success_ratio in tenant sim-02: 66.7%, expected ≥ 99% |"
        in markdown
    )
    assert "0.666" not in markdown and "1234.5" not in markdown
    stored = json.loads((tmp_path / "summary.json").read_text())
    assert stored == summary
    checks = {c["name"]: c for c in stored["gates"][0]["checks"]}
    assert (
        checks["owner_interaction_success_ratio"]["value"] == 0.6666666666666666
    )  # machines keep the value
    assert checks["owner_interaction_success_ratio"]["message"] == "66.7%, expected ≥ 99%"
