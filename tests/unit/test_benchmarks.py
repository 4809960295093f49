"""The benchmark scripts still import and build their inputs (they are not run by the suite)."""

from __future__ import annotations

import importlib
import random

import pytest

from tests.conftest import ROOT

SCRIPTS = sorted(p.stem for p in (ROOT / "benchmarks").glob("bench_*.py"))


@pytest.fixture(autouse=True)
def _benchmarks_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_benchmark_imports_and_has_a_main(name: str) -> None:
    module = importlib.import_module(name)
    assert callable(module.main) and module.__doc__


def test_benchmark_inputs_are_built_from_the_current_code() -> None:
    runtime = importlib.import_module("bench_runtime")
    texts = runtime.messages(50, random.Random(1))
    assert len(texts) == 50 and all("{" not in t for t in texts)
    metrics = importlib.import_module("bench_metrics")
    table = metrics.generate(1_000)
    from matrix.storage import open_store

    store = open_store("duckdb:///:memory:", migrate=True)
    with store.backend.transaction() as tx:
        columns = [r[0] for r in tx.query("SELECT column_name FROM information_schema.columns"
                                           " WHERE table_name = 'telemetry' ORDER BY ordinal_position")]  # fmt: skip
    store.close()
    # Loaded by name into telemetry; the store numbers the rows itself (seq).
    assert table.num_rows == 1_000 and table.column_names == [c for c in columns if c != "seq"]
