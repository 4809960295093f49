"""The gate service as the demo and `matrix gate run` call it: a typed result, the history
recorded in the store, and a store that cannot be opened said rather than raised."""

from __future__ import annotations

from pathlib import Path

import pytest

from matrix.clock import FrozenClock
from matrix.config import Settings
from matrix.errors import UsageError
from matrix.gates import service
from matrix.gates.history import history
from matrix.storage import open_store
from tests.conftest import ROOT

SPEC = ROOT / "tests" / "gates" / "fixtures" / "gates.json"


def test_a_run_comes_back_typed_and_recorded(tmp_path: Path, clock: FrozenClock) -> None:
    url = f"duckdb:///{tmp_path / 'store.duckdb'}"
    settings = Settings.load(storage_url=url, reports_dir=str(tmp_path / "reports"))
    open_store(settings=settings, migrate=True).close()
    gates = service.choose(["g91_passes", "g96_warns"], spec=SPEC)
    done = service.run(settings, clock=clock, gates=gates, jobs=2)
    assert done.run_id == "20261102T090000Z"
    assert done.report_dir == tmp_path / "reports" / "gates" / done.run_id
    assert [g["verdict"] for g in done.summary["gates"]] == ["pass", "pass"]
    assert not done.blocks("error") and done.blocks("warning")
    assert done.recorded == 2 and done.history_note.startswith("gate history: 2 results")
    assert done.as_dict()["report_dir"] == str(done.report_dir)
    assert "| g91_passes | pass |" in done.markdown()
    with open_store(settings=settings) as store:
        assert {r["gate_id"] for r in history(store)} == {"g91_passes", "g96_warns"}


def test_a_missing_store_is_said_not_raised(tmp_path: Path, clock: FrozenClock) -> None:
    settings = Settings.load(storage_url=f"duckdb:///{tmp_path / 'none.duckdb'}",
                             reports_dir=str(tmp_path))  # fmt: skip
    done = service.run(settings, clock=clock, gates=service.choose(["g91_passes"], spec=SPEC))
    assert done.recorded is None and "matrix init" in done.history_note
    assert not (tmp_path / "none.duckdb").exists()


def test_choose_names_the_closest_gate() -> None:
    with pytest.raises(UsageError, match="did you mean g91_passes"):
        service.choose(["g91_pases"], spec=SPEC)
    with pytest.raises(UsageError, match="or pass --all"):
        service.choose(spec=SPEC)
    assert [g.id for g in service.choose(run_all=True, spec=SPEC)][:1] == ["g91_passes"]


@pytest.mark.parametrize(
    "run_id", ["../../../x", "a/b", ".hidden", "", "x" * 101, "..", "ok/../.."]
)
def test_run_ids_are_refused_before_anything_is_written(run_id: str, tmp_path: Path) -> None:
    from matrix.clock import SYSTEM_CLOCK

    settings = Settings.load(
        storage_url=f"duckdb:///{tmp_path / 's.duckdb'}", reports_dir=str(tmp_path / "reports")
    )
    with pytest.raises(UsageError, match="--run-id"):
        service.run(settings, clock=SYSTEM_CLOCK, gates=service.choose(run_all=True), run_id=run_id)
    assert not any(tmp_path.rglob("*.ipynb")) and not (tmp_path / "reports").exists()
    assert not (tmp_path.parent / "x").exists()


@pytest.mark.parametrize("text", ["null", "[]", "{}", '{"gates": []}', '{"gates": null}'])
def test_a_spec_that_selects_no_gate_is_an_error(text: str, tmp_path: Path) -> None:
    from matrix.cli import main

    spec = tmp_path / "gates.json"
    spec.write_text(text)
    assert main(["gate", "run", "--all", "--spec", str(spec)]) == 2
