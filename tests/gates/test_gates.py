"""Gates: fixture notebooks that pass, raise, hang, record nothing or record an empty value each get
the right verdict and exit status; one failure never hides another; reports are complete."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from matrix.cli import main
from matrix.contracts import Catalog
from matrix.errors import ConfigError
from matrix.gates.spec import load_gates
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "gates" / "fixtures"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path, dict]:  # type: ignore[type-arg]
    reports = tmp_path_factory.mktemp("reports")
    import os

    os.environ["MATRIX_REPORTS_DIR"] = str(reports)
    try:
        code = main(["gate", "run", "--all", "--spec", str(FIXTURES / "gates.json"), "--run-id", "fixtures",
                     "--jobs", "2", "--json"])  # fmt: skip
    finally:
        del os.environ["MATRIX_REPORTS_DIR"]
    out_dir = reports / "gates" / "fixtures"
    return code, out_dir, json.loads((out_dir / "summary.json").read_text())


def test_each_fixture_gets_its_verdict_and_none_hides_another(run) -> None:  # type: ignore[no-untyped-def]
    code, _, summary = run
    verdicts = {g["id"]: g["verdict"] for g in summary["gates"]}
    assert verdicts == {"g91_passes": "pass", "g92_raises": "fail", "g93_hangs": "fail", "g94_silent": "fail",
                        "g95_empty": "no-data", "g96_warns": "pass"}  # fmt: skip
    assert code == 1 and summary["verdict"] == "fail"
    gates = {g["id"]: g for g in summary["gates"]}
    assert gates["g92_raises"]["error"]["exception"] == "ZeroDivisionError"
    assert gates["g92_raises"]["error"]["cell_index"] == 4
    assert gates["g92_raises"]["recorded"] == {"value": 1}  # what ran before the error is kept
    assert (
        "Timeout" in gates["g93_hangs"]["error"]["message"]
        or "timed out" in gates["g93_hangs"]["error"]["message"]
    )
    assert gates["g94_silent"]["error"]["message"] == "the notebook recorded nothing"
    assert (
        gates["g96_warns"]["checks"][0]["outcome"] == "fail"
        and gates["g96_warns"]["checks"][0]["level"] == "warning"
    )


def test_summary_validates_and_artifacts_are_written(run) -> None:  # type: ignore[no-untyped-def]
    _, out_dir, summary = run
    catalog = Catalog(ROOT / "contracts")
    catalog.validate(catalog.resolve_id("gate-verdict"), summary)
    for name in (
        "summary.md",
        "junit.xml",
        "g91_passes.ipynb",
        "g91_passes.html",
        "g92_raises.html",
    ):
        assert (out_dir / name).exists(), name
    suite = ET.parse(out_dir / "junit.xml").getroot()
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert len(cases) == 6 and suite.get("failures") == "3" and suite.get("skipped") == "1"
    assert (
        cases["g92_raises"].find("failure") is not None
        and cases["g95_empty"].find("skipped") is not None
    )


def test_a_pass_with_failed_warning_checks_says_so_everywhere(run) -> None:  # type: ignore[no-untyped-def]
    _, out_dir, summary = run
    gates = {g["id"]: g for g in summary["gates"]}
    warned = [c["name"] for c in gates["g96_warns"]["checks"] if c["outcome"] == "fail"]
    assert gates["g96_warns"]["verdict"] == "pass" and gates["g96_warns"]["warnings"] == warned
    assert gates["g91_passes"]["warnings"] == [] and summary["warnings"] == len(warned)
    assert f"| g96_warns | pass with {len(warned)} warning" in (out_dir / "summary.md").read_text()
    case = {c.get("name"): c for c in ET.parse(out_dir / "junit.xml").getroot().iter("testcase")}[
        "g96_warns"
    ]
    assert case.find("failure") is None and warned[0] in (case.findtext("system-out") or "")
    assert case.find("properties/property[@name='warnings']").get("value") == str(len(warned))  # type: ignore[union-attr]


def test_exit_codes_for_passing_warning_and_usage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.setenv("MATRIX_REPORTS_DIR", str(tmp_path))
    spec = ["--spec", str(FIXTURES / "gates.json")]
    assert main(["gate", "run", "g91_passes", *spec]) == 0
    assert main(["gate", "run", "g96_warns", *spec]) == 0
    assert main(["gate", "run", "g96_warns", "--fail-on", "warning", *spec]) == 1
    capsys.readouterr()
    assert main(["gate", "run", "g91_pases", *spec]) == 2
    assert "did you mean g91_passes" in capsys.readouterr().err
    assert main(["gate", "run", *spec]) == 2


def test_spec_problems_are_listed_before_anything_runs(tmp_path: Path) -> None:
    (tmp_path / "gates.json").write_text(json.dumps({"gates": [
        {"id": "g01_a", "notebook": "missing.ipynb", "checks": [{"name": "x", "op": "==", "threshold": 0}]},
        {"id": "g01_a", "notebook": "missing.ipynb", "checks": [{"name": "x", "op": "~", "threshold": 0}]},
        {"id": "bad id", "notebook": "x.ipynb", "checks": []},
    ]}))  # fmt: skip
    with pytest.raises(ConfigError) as info:
        load_gates(tmp_path / "gates.json")
    message = str(info.value)
    for part in (
        "does not exist",
        "is a duplicate",
        "checks[0] needs name, op",
        "'bad id' must look like",
        "checks nothing",
    ):
        assert part in message


def test_shipped_spec_loads_and_takes_targets_from_the_catalog() -> None:
    gates = {g.id: g for g in load_gates(ROOT / "notebooks" / "gates" / "gates.json")}
    assert list(gates) == ["g01_contract_checks", "g02_preprod_validate", "g03_release_dry_run", "g04_rollback_drill",
                           "g05_deploy_readiness", "g06_slo", "g07_ai_budget", "g08_delivery"]  # fmt: skip
    assert gates["g03_release_dry_run"].needs == ("g02_preprod_validate",)
    [success, *_] = gates["g06_slo"].checks
    assert (success.name, success.op, success.threshold) == (
        "owner_interaction_success_ratio",
        ">=",
        0.99,
    )


def test_unknown_metrics_and_needs_are_spec_problems(tmp_path: Path) -> None:
    (tmp_path / "a.ipynb").write_text("{}")
    (tmp_path / "gates.json").write_text(json.dumps({"gates": [
        {"id": "g01_a", "notebook": "a.ipynb", "needs": ["g09_nope"], "checks": [{"metric": "task_sucess_ratio"}]},
    ]}))  # fmt: skip
    with pytest.raises(ConfigError) as info:
        load_gates(tmp_path / "gates.json")
    assert "Unknown metric 'task_sucess_ratio'. Did you mean task_success_ratio" in str(info.value)
    assert "needs 'g09_nope' is not another gate" in str(info.value)
