"""The layer rules of STYLE.md, enforced by walking every import in matrix/."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "matrix"

# Lower number = lower layer. A module may import its own layer or below.
LAYERS = {
    "cli": 8, "cli_modules": 8, "__main__": 8, "api": 8, "demo": 8, "serve": 8,
    "app": 7,
    "simulate": 6,
    "gates": 6, "notebook": 6, "runtime": 6,
    "metrics": 5, "sources": 5, "viz": 5, "access": 5,
    "storage": 4, "providers": 4, "testing": 4,
    "concierge": 3,
    "modules": 2, "policy": 2, "approvals": 2, "memory": 2,
    "envelopes": 1, "contracts": 1, "telemetry": 1,
    "errors": 0, "clock": 0, "config": 0, "windows": 0, "issues": 0, "__init__": 0,
}  # fmt: skip

# Each heavy library has one home.
HOMES = {
    "duckdb": {"matrix/storage/duckdb.py", "matrix/metrics/engine.py"},
    "psycopg": {"matrix/storage/postgres.py"},
    "papermill": {"matrix/gates/runner.py"},
    "openai": {"matrix/providers/openai.py"},
    "dash": set(),  # dash lives in dashboards/, outside the package
}


# A module's command group (matrix/modules/<m>/commands.py, and the helpers they share in
# matrix/modules/commands.py) is an entry point: it parses options and prints, like the CLI.
COMMANDS_LAYER = 8


def _own_layer(rel: str, own: str) -> int:
    if rel.startswith("matrix/modules/") and rel.endswith("/commands.py"):
        return COMMANDS_LAYER
    return LAYERS[own]


def _component(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


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
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        own = _component("matrix." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts))
        if own not in LAYERS:
            problems.append(f"{rel}: component {own!r} has no layer; add it to LAYERS")
            continue
        for line, name in _imports(path):
            top = name.split(".")[0]
            if top in HOMES and rel not in HOMES[top]:
                problems.append(
                    f"{rel}:{line}: imports {name}; only {sorted(HOMES[top]) or ['dashboards/']} may"
                )
            if top == "matrix" and name != "matrix":
                target = _component(name)
                if target not in LAYERS:
                    problems.append(f"{rel}:{line}: imports unknown component {name}")
                elif LAYERS[target] > _own_layer(rel, own):
                    problems.append(
                        f"{rel}:{line}: imports {name} (layer {LAYERS[target]}) from layer"
                        f" {_own_layer(rel, own)}; a module may import only its own layer or below"
                    )
    return problems


def test_imports_follow_the_layer_rules() -> None:
    assert _violations() == []


def test_the_walker_catches_a_violation(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A planted bad import in a copy of the package is reported with file, import and rule."""
    import shutil

    root = tmp_path / "proj"
    shutil.copytree(PACKAGE, root / "matrix")
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
