"""Every exploration notebook executes (papermill, a real kernel) on a simulated store and draws figures."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import nbformat
import papermill as pm
import pytest

from matrix.app import build
from matrix.config import Settings
from matrix.simulate import run_simulation
from matrix.storage import open_store
from tests.conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks" / "explore").glob("*.ipynb"))


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"duckdb:///{tmp_path_factory.mktemp('nb') / 'sim.duckdb'}"
    settings = Settings.load(storage_url=url)
    with open_store(settings=settings, migrate=True) as store:
        run_simulation(
            partial(build, store=store), tenants=2, days=4, seed=3, end=datetime.now(UTC)
        )
    return url


def test_notebooks_are_committed_without_outputs() -> None:
    assert {p.stem for p in NOTEBOOKS} == {
        "delivery",
        "ai_cost",
        "reliability",
        "approvals",
        "traces",
        "routing",
        "memory",
    }
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        assert all(
            not c.get("outputs") and not c.get("execution_count")
            for c in nb.cells
            if c.cell_type == "code"
        ), path.name
        assert "parameters" in nb.cells[1].metadata.get("tags", []), path.name


# Notebooks that build their own store in the kernel (``sandbox``) need no simulated one.
OWN_STORE = {"memory"}
# What a notebook must have shown, beyond figures: memory's tiers, a fact superseded with its
# audit, a recall ranked by BM25, cosine and RRF, its trace and its metrics.
SHOWS = {
    "memory": ("extractive", "superseded", "contradicted", "salient_statement", "bm25_rank",
               "cosine_rank", "rrf", "owner.memory.recalled", "memory_hit_ratio",
               "- Our accountant is now Rui Campos."),
}  # fmt: skip


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes_and_shows_figures(
    path: Path, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    out = tmp_path / path.name
    parameters = (
        {} if path.stem in OWN_STORE else {"storage_url": request.getfixturevalue("simulated")}
    )
    pm.execute_notebook(str(path), str(out), parameters=parameters, kernel_name="python3",
                        progress_bar=False, cwd=str(ROOT))  # fmt: skip
    nb = json.loads(out.read_text())
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    kinds = {k for o in outputs for k in o.get("data", {})}
    if path.stem == "traces":
        assert "text/html" in kinds  # a table of the chain
    else:
        assert "application/vnd.plotly.v1+json" in kinds
    shown = "\n".join(
        "".join(o.get("data", {}).get("text/plain", o.get("text", ""))) for o in outputs
    )
    missing = [text for text in SHOWS.get(path.stem, ()) if text not in shown]
    assert not missing, missing
    if path.stem == "memory":  # the superseded fact is not given to the provider
        assert "Ana Souza. (said" not in shown
