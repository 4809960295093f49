"""The shipped gates: the rollback drill catches a planted data-losing migration, deploy readiness
refuses placeholders and never shows a secret, gate history and release deployments are recorded."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

import pytest

from matrix.app import build
from matrix.cli import main
from matrix.concierge import Concierge
from matrix.gates import checks
from matrix.gates.history import history
from matrix.storage import Store, open_store
from tests.conftest import ROOT

GATES = ROOT / "notebooks" / "gates"
SECRET = "sk-live-7f3a9c1e5b2d4086a1c3e5f7"  # a key-shaped value that must never be shown


def _spec(folder: Path, gate_id: str, parameters: dict) -> Path:  # type: ignore[type-arg]
    """A spec with one shipped gate (same notebook and checks) and the given parameters."""
    shipped = json.loads((GATES / "gates.json").read_text())
    [gate] = [g for g in shipped["gates"] if g["id"] == gate_id]
    shutil.copy(GATES / gate["notebook"], folder / gate["notebook"])
    (folder / "gates.json").write_text(json.dumps({"gates": [{**gate, "parameters": parameters}]}))
    return folder / "gates.json"


def _run(spec: Path, run_id: str, *extra: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main(["gate", "run", "--all", "--spec", str(spec), "--run-id", run_id, "--json", *extra])
    summary = json.loads((spec.parent / "reports" / "gates" / run_id / "summary.json").read_text())
    return code, summary


def _busy(store: Store, concierge: Concierge) -> None:
    for text in (
        "Agende uma reunião com a Ana amanhã às 10h",
        "Bom dia!",
        "Cobrar a fatura da Ana",
    ):
        concierge.interact("acme", "owner-1", text)


def test_rollback_drill_keeps_every_row(
    store: Store, concierge: Concierge, backend_url: str
) -> None:
    _busy(store, concierge)
    store.close()
    drill = checks.rollback_drill(backend_url, release_migrations=2)
    assert drill.error is None and drill.rows > 10 and drill.tables > 20
    assert drill.from_version == drill.to_version - 2
    assert drill.lost_after_upgrade == 0 and drill.restore_differences == 0


def test_g04_fails_when_a_migration_loses_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock
) -> None:  # type: ignore[no-untyped-def]
    url = f"duckdb:///{tmp_path / 'store.duckdb'}"
    store = open_store(url, clock=clock, migrate=True)
    store.tenants.add("acme")
    from matrix.config import Settings

    settings = Settings.load(storage_url=url, provider_mode="local")
    _busy(store, build(settings, store=store, clock=clock).concierge)
    store.close()
    planted = tmp_path / "migrations"
    shutil.copytree(str(resources.files("matrix.storage").joinpath("migrations")), planted)
    version = len(list(planted.glob("*.sql"))) + 1
    (planted / f"{version:04d}_trim_history.sql").write_text(
        "-- A release that 'trims' the event log: it loses data.\n\n-- migrate:up\n"
        "DELETE FROM event_log WHERE name LIKE 'owner.%';\n\n-- migrate:down\nSELECT 1;\n"
    )
    monkeypatch.setenv("MATRIX_REPORTS_DIR", str(tmp_path / "reports"))
    spec = _spec(tmp_path, "g04_rollback_drill", {"migrations_dir": str(planted)})
    code, summary = _run(spec, "planted", "--storage-url", url)
    [gate] = summary["gates"]
    assert code == 1 and gate["verdict"] == "fail"
    assert gate["recorded"]["lost_after_upgrade"] > 0 and gate["recorded"]["rows_checked"] > 0
    # Without the planted migration the same store passes the drill.
    spec = _spec(tmp_path, "g04_rollback_drill", {})
    code, summary = _run(spec, "clean", "--storage-url", url)
    assert code == 0 and summary["gates"][0]["verdict"] == "pass"


def test_g05_refuses_placeholders_and_never_shows_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATRIX_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("MATRIX_OPENAI_API_KEY", SECRET)
    placeholders = tmp_path / "deploy.env"
    placeholders.write_text("# production\nMATRIX_STORAGE_URL=postgresql://matrix:changeme@host:5432/matrix\n"
                            "MATRIX_PROVIDER_MODE=openai\nMATRIX_OPENAI_API_KEY=<your-openai-key>\n")  # fmt: skip
    code, summary = _run(
        _spec(tmp_path, "g05_deploy_readiness", {"env_file": str(placeholders)}), "placeholders"
    )
    [gate] = summary["gates"]
    assert code == 1 and gate["verdict"] == "fail"
    assert (
        gate["recorded"]["placeholder_settings"] == 2 and gate["recorded"]["missing_settings"] == 0
    )
    real = tmp_path / "real.env"
    real.write_text(f"MATRIX_STORAGE_URL=duckdb:///{tmp_path}/s.duckdb\nMATRIX_PROVIDER_MODE=openai\n"
                    f"export MATRIX_OPENAI_API_KEY='{SECRET}'\n")  # fmt: skip
    code, summary = _run(_spec(tmp_path, "g05_deploy_readiness", {"env_file": str(real)}), "real")
    recorded = summary["gates"][0]["recorded"]
    assert (recorded["placeholder_settings"], recorded["missing_settings"]) == (0, 0)
    assert (
        recorded["postgres_reachable"] is None
    )  # a DuckDB store: the PostgreSQL checks have no data
    scanned = 0
    for path in (tmp_path / "reports").rglob("*"):
        if path.is_file():
            scanned += 1
            assert SECRET not in path.read_text(encoding="utf-8", errors="replace"), path
    assert scanned >= 8  # notebooks, HTML, summaries, JUnit, kernel logs of both runs


@pytest.mark.postgres
def test_g05_passes_on_reachable_postgres_with_current_migrations(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_store(postgres_url, migrate=True).close()
    monkeypatch.setenv("MATRIX_STORAGE_URL", postgres_url)
    monkeypatch.setenv("MATRIX_PROVIDER_MODE", "local")
    result = checks.deploy_readiness(None)
    assert result["postgres_reachable"] is True and result["migrations_current"] is True
    assert result["missing"] == [] and result["placeholders"] == []


@pytest.mark.parametrize(("value", "placeholder"), [
    ("", True), ("changeme", True), ("<your-key>", True), ("${OPENAI_KEY}", True), ("your-api-key", True),
    ("postgresql://u:changeme@db:5432/x", True), ("postgresql://u:pw@host/x", True),
    ("postgresql://u:s3cr3t-Pa55@db.internal:5432/matrix", False), ("local", False), (SECRET, False),
])  # fmt: skip
def test_placeholders(value: str, placeholder: bool) -> None:
    assert checks.is_placeholder(value) is placeholder


def test_release_checks(tmp_path: Path) -> None:
    assert checks.changelog_has_version(ROOT)
    (tmp_path / "CHANGELOG.md").write_text("# Changelog\n\n## [0.0.9]\n")
    assert not checks.changelog_has_version(tmp_path)
    assert checks.dirty_files(tmp_path) is None  # not a git checkout
    (tmp_path / "0001_one.sql").write_text("-- migrate:up\nCREATE TABLE a (x INT);\n")
    (tmp_path / "0002_two.sql").write_text(
        "-- migrate:forward-only\n-- migrate:up\nCREATE TABLE b (x INT);\n"
    )
    assert checks.undeclared_migrations(tmp_path) == ["0001_one"]
    assert checks.undeclared_migrations() == []


def test_runtime_smoke_completes_a_task() -> None:
    assert checks.runtime_smoke() == "completed"


def test_gate_history_and_release_deployment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"duckdb:///{tmp_path / 'store.duckdb'}"
    open_store(url, migrate=True).close()
    monkeypatch.setenv("MATRIX_REPORTS_DIR", str(tmp_path / "reports"))
    folder = tmp_path / "spec"
    folder.mkdir()
    shutil.copy(ROOT / "tests" / "gates" / "fixtures" / "passes.ipynb", folder / "passes.ipynb")
    (folder / "gates.json").write_text(json.dumps({"gates": [
        {"id": "g03_release_dry_run", "notebook": "passes.ipynb", "checks": [{"name": "value", "op": "==", "threshold": 1}]},
    ]}))  # fmt: skip
    assert main(["gate", "run", "--all", "--spec", str(folder / "gates.json"), "--run-id", "r1", "--storage-url", url,
                 "--record-deployment"]) == 0  # fmt: skip
    store = open_store(url)
    try:
        [row] = history(store)
        assert (row["run_id"], row["gate_id"], row["verdict"]) == (
            "r1",
            "g03_release_dry_run",
            "pass",
        )
        with store.backend.transaction() as tx:
            assert tx.query(
                "SELECT service, status FROM deployments WHERE tenant_id = 'platform'"
            ) == [("matrix", "success")]
    finally:
        store.close()


def test_a_relative_duckdb_path_reaches_the_same_store_from_the_kernels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MATRIX_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("MATRIX_STORAGE_URL", "duckdb:///var/store.duckdb")
    (tmp_path / "var").mkdir()
    store = open_store("duckdb:///var/store.duckdb", migrate=True)
    store.tenants.add("acme")
    store.close()
    # A budget the kernel can only see in this store: elsewhere g07 would have no data.
    assert main(["tenant", "config", "acme", "--set", "ai_budget.monthly_usd=50"]) == 0
    code, summary = _run(_spec(tmp_path, "g07_ai_budget", {}), "relative")
    [gate] = summary["gates"]
    assert code == 0 and gate["verdict"] == "pass" and gate["error"] is None
    assert not (tmp_path / "var" / "var").exists()  # no second, empty store beside the notebook


@pytest.mark.parametrize(("url", "absolute"), [
    ("duckdb:///var/m.duckdb", "duckdb:///BASE/var/m.duckdb"), ("duckdb:////abs/m.duckdb", "duckdb:////abs/m.duckdb"),
    ("duckdb:///:memory:", "duckdb:///:memory:"), ("postgresql://u@h/db", "postgresql://u@h/db"),
])  # fmt: skip
def test_absolute_storage_url(url: str, absolute: str, tmp_path: Path) -> None:
    from matrix.config import absolute_storage_url

    assert absolute_storage_url(url, tmp_path) == absolute.replace("BASE", str(tmp_path.resolve()))


def test_gate_history_feeds_the_gate_pass_ratio_metric(store: Store) -> None:
    from datetime import UTC, datetime

    from matrix.gates.history import record_run
    from matrix.metrics import compute

    def run(run_id: str, at: str, verdicts: list[str]) -> None:
        gates = [
            {"id": f"g0{i}_x", "title": "x", "verdict": v, "duration_seconds": 1.0}
            for i, v in enumerate(verdicts, 1)
        ]
        record_run(
            store,
            {"run_id": run_id, "started_at": at, "finished_at": at, "commit": None, "gates": gates},
            "r",
        )

    run("a", "2026-11-02T10:00:00Z", ["pass", "pass", "fail", "no-data"])  # 2 of 4
    run("b", "2026-11-03T23:59:59.999Z", ["pass", "pass"])  # 2 of 2, the last instant of the 3rd
    run(
        "a", "2026-11-02T10:00:00Z", ["pass", "pass", "fail", "no-data"]
    )  # recorded again: nothing added
    result = compute(store, "gate_pass_ratio", tenant_id="platform", since=datetime(2026, 11, 2, tzinfo=UTC),
                     until=datetime(2026, 11, 4, tzinfo=UTC), grain="day")  # fmt: skip
    assert list(result.frame["value"]) == [0.5, 1.0] and list(result.frame["rows"]) == [4, 2]
    empty = compute(store, "gate_pass_ratio", tenant_id="platform", since=datetime(2026, 11, 4, tzinfo=UTC),
                    until=datetime(2026, 11, 5, tzinfo=UTC), grain="all")  # fmt: skip
    assert empty.total is None and empty.empty_reason


def test_ai_budget_gate_has_no_data_when_no_tenant_has_a_budget(store: Store) -> None:
    store.tenants.add("acme")
    assert checks.tenants_burning_budget(store) is None
    assert checks.count_of(None) is None and checks.count_of(["acme"]) == 1
