"""The layer rules of STYLE.md, enforced by walking every import in matrix/ and dashboards/.

dashboards/ is an entry point (the top layer, beside the CLI and ``serve``), and the only home of
dash: nothing in the package may import it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "matrix"

# Lower number = lower layer. A module may import its own layer or below.
LAYERS = {
    "cli": 8, "cli_modules": 8, "__main__": 8, "api": 8, "demo": 8, "serve": 8,
    # The CI's face (gates: their kernels and checks) and the notebooks' face wire through app.
    "gates": 8, "notebook": 8,
    "app": 7,
    "simulate": 6,
    # newsaas: the template generator, which renders projects over the brand and the modules.
    "newsaas": 6,
    "runtime": 6, "analytics": 6,
    # web: the HTTP server's guards (sessions, sign-in limits, headers) that the dashboards and
    # the API share; beside access, whose users it signs in, and above storage, which keeps them.
    # routing: the routing rules measured on a labelled corpus, beside the other measurements.
    "metrics": 5, "sources": 5, "viz": 5, "access": 5, "web": 5, "routing": 5,
    "tokens": 5, "traces": 5,
    "storage": 4, "providers": 4, "testing": 4,
    "concierge": 3, "agent": 3, "memory": 3,
    "modules": 2, "policy": 2, "approvals": 2,
    "envelopes": 1, "contracts": 1, "telemetry": 1, "brand": 1,
    "errors": 0, "clock": 0, "config": 0, "windows": 0, "issues": 0, "paths": 0, "values": 0,
    "addresses": 0, "corpora": 0, "urls": 0, "formats": 0, "environment": 0,
    "__init__": 0,
}  # fmt: skip
ENTRY_FOLDERS = {"dashboards": 8}  # top-level packages beside matrix/, by layer

# Each heavy library has one home.
HOMES = {
    "duckdb": {"matrix/storage/duckdb.py", "matrix/metrics/engine.py", "matrix/analytics/duck.py"},
    "chdb": {"matrix/analytics/clickhouse.py"},
    "clickhouse_connect": {"matrix/analytics/clickhouse.py"},
    "psycopg": {"matrix/storage/postgres.py"},
    "papermill": {"matrix/gates/runner.py"},
    "openai": {"matrix/providers/openai.py"},
    "dash": set(),  # dash lives in dashboards/, outside the package
    "dash_ag_grid": set(),
    "dash_mantine_components": set(),
    "fastapi": set(),
    "starlette": set(),
    "uvicorn": {"matrix/serve.py"},
    "a2wsgi": {"matrix/serve.py"},
    "wordllama": {"matrix/providers/embeddings.py"},
    "copier": {"matrix/newsaas/generate.py"},
}
HOME_FOLDERS = {"dash": "dashboards/", "dash_ag_grid": "dashboards/", "dash_mantine_components": "dashboards/",
                "fastapi": "matrix/api/",
                "starlette": "matrix/api/"}  # fmt: skip


# A module's command group (matrix/modules/<m>/commands.py, and the helpers they share in
# matrix/modules/commands.py) is an entry point: it parses options and prints, like the CLI.
COMMANDS_LAYER = 8
# The test harness that starts the whole server over an App (``serve``'s) is an entry point too;
# the rest of testing/ stays among the adapters.
ENTRY_FILES = {"matrix/testing/server.py": 8}


def _own_layer(rel: str, layer: int) -> int:
    if rel.startswith("matrix/modules/") and rel.endswith("/commands.py"):
        return COMMANDS_LAYER
    return ENTRY_FILES.get(rel, layer)


def _component(module: str) -> str:
    parts = module.split(".")
    if parts[0] in ENTRY_FOLDERS:
        return parts[0]
    return parts[1] if len(parts) > 1 else "__init__"


def _layer(component: str) -> int | None:
    return ENTRY_FOLDERS.get(component, LAYERS.get(component))


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _violations() -> list[str]:
    problems = []
    paths = [(p, "matrix") for p in sorted(PACKAGE.rglob("*.py"))]
    for folder in ENTRY_FOLDERS:
        paths += [(p, folder) for p in sorted((ROOT / folder).rglob("*.py"))]
    for path, top_package in paths:
        rel = path.relative_to(ROOT).as_posix()
        base = PACKAGE if top_package == "matrix" else ROOT / top_package
        own = _component(top_package + "." + ".".join(path.relative_to(base).with_suffix("").parts))
        own_layer = _layer(own)
        if own_layer is not None:
            own_layer = _own_layer(rel, own_layer)
        if own_layer is None:
            problems.append(f"{rel}: component {own!r} has no layer; add it to LAYERS")
            continue
        for line, name in _imports(path):
            top = name.split(".")[0]
            home = HOME_FOLDERS.get(top)
            if top in HOMES and rel not in HOMES[top] and not (home and rel.startswith(home)):
                problems.append(
                    f"{rel}:{line}: imports {name}; only {sorted(HOMES[top]) or [home]} may"
                )
            if (top == "matrix" and name != "matrix") or top in ENTRY_FOLDERS:
                target = _component(name)
                target_layer = _layer(target)
                if target_layer is None:
                    problems.append(f"{rel}:{line}: imports unknown component {name}")
                elif target_layer > own_layer:
                    problems.append(
                        f"{rel}:{line}: imports {name} (layer {target_layer}) from layer"
                        f" {own_layer}; a module may import only its own layer or below"
                    )
    return problems


def test_imports_follow_the_layer_rules() -> None:
    assert _violations() == []


def test_the_walker_catches_a_violation(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A planted bad import in a copy of the package is reported with file, import and rule."""
    import shutil

    root = tmp_path / "proj"
    shutil.copytree(PACKAGE, root / "matrix")
    shutil.copytree(ROOT / "dashboards", root / "dashboards")
    (root / "matrix" / "clock.py").write_text(
        (root / "matrix" / "clock.py").read_text()
        + "\nimport duckdb\nfrom matrix.storage import open_store\n"
    )
    monkeypatch.setattr(__import__(__name__, fromlist=["x"]), "PACKAGE", root / "matrix")
    monkeypatch.setattr(__import__(__name__, fromlist=["x"]), "ROOT", root)
    problems = _violations()
    assert any("matrix/clock.py" in p and "imports duckdb" in p for p in problems)
    assert any(
        "matrix/clock.py" in p and "matrix.storage (layer 4) from layer 0" in p for p in problems
    )


def test_the_walker_covers_the_dashboards(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """dashboards/ is an entry point: the package may not import it, and it may not import duckdb."""
    import shutil

    root = tmp_path / "proj"
    shutil.copytree(PACKAGE, root / "matrix")
    shutil.copytree(ROOT / "dashboards", root / "dashboards")
    (root / "dashboards" / "theme.py").write_text(
        (root / "dashboards" / "theme.py").read_text() + "\nimport duckdb\n"
    )
    (root / "matrix" / "viz.py").write_text(
        (root / "matrix" / "viz.py").read_text() + "\nfrom dashboards.theme import plot_template\n"
    )
    monkeypatch.setattr(__import__(__name__, fromlist=["x"]), "PACKAGE", root / "matrix")
    monkeypatch.setattr(__import__(__name__, fromlist=["x"]), "ROOT", root)
    problems = _violations()
    assert any("dashboards/theme.py" in p and "imports duckdb" in p for p in problems)
    assert any(
        "matrix/viz.py" in p and "dashboards.theme (layer 8) from layer 5" in p for p in problems
    )
