"""Every exploration notebook explains itself, executes (papermill, a real kernel) on a simulated
store, and draws figures that survive the conversion to HTML (nbconvert), as the gate reports do."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import nbformat
import papermill as pm
import pytest
from nbconvert import HTMLExporter

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


def test_notebooks_explain_and_stay_thin() -> None:
    """A few sentences per section (a markdown cell before every few code cells), and code cells
    that are calls, not logic: no def, lambda, SQL or loop."""
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        prose = [c.source for c in nb.cells if c.cell_type == "markdown"]
        assert len(prose) >= 2 and len(" ".join(prose).split()) >= 120, path.name
        for source in code:
            assert not any(
                word in source for word in ("def ", "lambda", "SELECT ", "for ", "while ")
            ), (path.name, source)
        run, longest = 0, 0
        for cell in nb.cells[3:]:  # after the title, the parameters and the imports
            run = run + 1 if cell.cell_type == "code" else 0
            longest = max(longest, run)
        assert longest <= 4, f"{path.name}: {longest} code cells in a row with no word between them"


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
        charts = [o for o in outputs if "application/vnd.plotly.v1+json" in o.get("data", {})]
        assert all("text/html" in o["data"] for o in charts)  # what nbconvert and the reports keep
        page, _ = HTMLExporter().from_notebook_node(nbformat.reads(out.read_text(), as_version=4))
        # Every chart is in the page, drawn from its data by the plotly.js the page carries once.
        assert page.count('class="plotly-graph-div"') == len(charts)
        assert page.count("Plotly.newPlot(") == len(charts)
        assert page.count("* plotly.js v") == 1
        first = charts[0]["data"]["application/vnd.plotly.v1+json"]
        # Its title's words (plotly escapes "/" and non-ASCII in the JSON it writes into HTML).
        words = re.match(r"[\w ,.()-]+", first["layout"]["title"]["text"])
        assert words is not None and words.group(0) in page
    shown = "\n".join(
        "".join(o.get("data", {}).get("text/plain", o.get("text", ""))) for o in outputs
    )
    missing = [text for text in SHOWS.get(path.stem, ()) if text not in shown]
    assert not missing, missing
    if path.stem == "memory":  # the superseded fact is not given to the provider
        assert "Ana Souza. (said" not in shown
