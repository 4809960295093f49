"""Rules over the code itself (STYLE.md): no import cycle, modules of a readable size, SQL only in
storage and the metric engine, one clock, one reader of the environment.

Every rule reports ``file:line: what it found; the rule`` so a failure says where to look and why.
The scan covers the package (``matrix/``) and the dashboards.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

TREES = ("matrix", "dashboards")

MAX_LINES = 500
MAX_COMMAND_LINES = 400

# Outside these, no SQL text and no ``.backend``: storage implements the ports; the metric engine
# (matrix/metrics/, split by concept: the catalog's queries, comparisons, SLOs, activity) runs
# read-only queries; the analytics store's engines (DuckDB file, Parquet, ClickHouse) write and
# read their own dialect's tables, which no repository of the operational store could hold.
SQL_HOMES = ("matrix/storage/", "matrix/metrics/", "matrix/analytics/")
CLOCK_HOME = "matrix/clock.py"
ENVIRONMENT_HOME = ("matrix/config.py", "matrix/environment.py")

# Upper-case SQL statements only: prose ("select a tenant") and identifiers never match.
_SQL = re.compile(
    r"\b(SELECT\s.+\sFROM\b|INSERT\s+INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b"
    r"|CREATE\s+(TABLE|DATABASE|INDEX)\b|DROP\s+(TABLE|DATABASE)\b|ALTER\s+TABLE\b)",
    re.DOTALL,
)


@dataclass(frozen=True)
class Source:
    rel: str
    module: str
    tree: ast.Module
    lines: int


def _module_name(rel: Path) -> str:
    parts = list(rel.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources(root: Path) -> Iterator[Source]:
    for top in TREES:
        for path in sorted((root / top).rglob("*.py")):
            rel = path.relative_to(root)
            text = path.read_text(encoding="utf-8")
            yield Source(rel=rel.as_posix(), module=_module_name(rel),
                         tree=ast.parse(text, filename=str(path)), lines=len(text.splitlines()))  # fmt: skip


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of the constant nodes that are docstrings (prose, not code)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _type_checking_only(tree: ast.Module) -> set[int]:
    """ids of the import nodes under ``if TYPE_CHECKING:`` (never executed)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            found |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return found


# -- import cycles -----------------------------------------------------------------------------


def _resolve(source: Source, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = source.module.split(".")
    if not source.rel.endswith("__init__.py"):
        package = package[:-1]
    package = package[: len(package) - node.level + 1]
    return ".".join([*package, *([node.module] if node.module else [])])


def import_graph(root: Path) -> dict[str, dict[str, str]]:
    """module -> {imported module -> "file:line"}, for every import that runs (at module level or
    inside a function). ``import a.b`` and ``from a.b import name`` import ``a.b`` (its
    ``__init__`` when it is a package); ``from a import b`` imports the submodule ``a.b`` when
    there is one, else ``a``."""
    sources = list(_sources(root))
    known = {s.module for s in sources}
    graph: dict[str, dict[str, str]] = {}
    for source in sources:
        edges = graph.setdefault(source.module, {})
        skip = _type_checking_only(source.tree)
        for node in ast.walk(source.tree):
            if id(node) in skip:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(source, node)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.append(sub if sub in known else base)
            for target in targets:
                if target in known and target != source.module:
                    edges.setdefault(target, f"{source.rel}:{node.lineno}")
    return graph


def find_cycles(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """One cycle (a closed path of modules) per strongly connected group of modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_path_through(graph, set(group), group[0]) for group in groups]


def _path_through(graph: dict[str, dict[str, str]], group: set[str], start: str) -> list[str]:
    """The shortest cycle from ``start`` back to itself inside ``group`` (breadth first)."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        step = []
        for node in frontier:
            for nxt in sorted(graph[node]):
                if nxt not in group:
                    continue
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if nxt not in previous:
                    previous[nxt] = node
                    step.append(nxt)
        frontier = step
    return [start, start]


def cycle_problems(root: Path) -> list[str]:
    graph = import_graph(root)
    problems = []
    for cycle in find_cycles(graph):
        hops = [f"{a} -> {b} ({graph[a][b]})" for a, b in itertools.pairwise(cycle)]
        problems.append(
            f"{graph[cycle[0]][cycle[1]]}: import cycle {' -> '.join(cycle)}: "
            + "; ".join(hops)
            + "; no import cycle: move the shared part down a layer, or import the other side's port"
        )
    return problems


# -- size --------------------------------------------------------------------------------------


def size_problems(root: Path) -> list[str]:
    problems = []
    for source in _sources(root):
        command = source.rel.startswith("matrix/cli/") or re.fullmatch(
            r"matrix/modules/[^/]+/commands\.py", source.rel
        )
        limit = MAX_COMMAND_LINES if command else MAX_LINES
        if source.lines > limit:
            problems.append(
                f"{source.rel}:{limit + 1}: {source.lines} lines; a {'command' if command else ''}"
                f"{' ' if command else ''}module stays within {limit} lines: split it by concept"
            )
    return problems


# -- SQL, backend, clock, environment ----------------------------------------------------------


def _strings(node: ast.AST) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            _strings(v) if not isinstance(v, ast.FormattedValue) else "x" for v in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _strings(node.left) + _strings(node.right)
    return ""


def rule_problems(root: Path) -> list[str]:
    problems = []
    for source in _sources(root):
        rel = source.rel
        sql_home = rel.startswith(SQL_HOMES)
        docstrings = _docstrings(source.tree)
        inner: set[int] = set()  # string parts already checked as part of a larger expression
        for node in ast.walk(source.tree):
            line = getattr(node, "lineno", 0)
            if not sql_home and id(node) not in docstrings and id(node) not in inner:
                text = _strings(node)
                if text and _SQL.search(text):
                    inner |= {id(n) for n in ast.walk(node)}
                    problems.append(
                        f"{rel}:{line}: SQL {text.strip()[:60]!r}; no SQL outside matrix/storage/"
                        " and the metric engine: add a repository method in storage/"
                    )
            if isinstance(node, ast.Attribute):
                owner = ast.unparse(node.value)
                if node.attr == "backend" and not sql_home:
                    problems.append(
                        f"{rel}:{line}: {owner}.backend; nothing outside matrix/storage/ and the"
                        " metric engine touches a backend: call a repository on the store"
                    )
                if node.attr in ("now", "utcnow", "today") and owner in (
                    "datetime", "datetime.datetime", "date", "datetime.date"
                ) and rel != CLOCK_HOME:  # fmt: skip
                    problems.append(
                        f"{rel}:{line}: {owner}.{node.attr}(); only matrix/clock.py reads the time:"
                        " ask the clock (store.clock, a passed clock, or SYSTEM_CLOCK at an entry point)"
                    )
                if (
                    owner == "os"
                    and node.attr in ("environ", "getenv", "putenv", "environb")
                    and (rel not in ENVIRONMENT_HOME)
                ):
                    problems.append(
                        f"{rel}:{line}: os.{node.attr}; only matrix/config.py reads the environment:"
                        " add a setting, or use config.child_environment() for a subprocess"
                    )
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == "os"
                and rel not in ENVIRONMENT_HOME
            ):
                for alias in node.names:
                    if alias.name in ("environ", "getenv", "putenv", "environb"):
                        problems.append(
                            f"{rel}:{line}: from os import {alias.name}; only matrix/config.py reads"
                            " the environment: add a setting"
                        )
    return sorted(problems, key=_by_place)


def _by_place(problem: str) -> tuple[str, int]:
    path, line, _ = problem.split(":", 2)
    return path, int(line)


# -- errors ------------------------------------------------------------------------------------

# Not errors: leaving the process, and Python's own protocols.
NOT_ERRORS = (SystemExit, KeyboardInterrupt, StopIteration, GeneratorExit)


def error_problems(root: Path) -> list[str]:
    """Every ``raise SomeClass(...)`` whose class, looked up in its imported module, does not
    derive from MatrixError. Only the real tree can be imported, so this rule reads ``root``'s
    files but resolves names in the installed package."""
    import builtins
    import importlib

    from matrix.errors import MatrixError

    problems = []
    for source in _sources(root):
        # A module's or class's __getattr__ must raise AttributeError: Python's own protocol.
        protocol = {
            id(n)
            for f in ast.walk(source.tree)
            if isinstance(f, ast.FunctionDef) and f.name == "__getattr__"
            for n in ast.walk(f)
        }
        raised = [
            n
            for n in ast.walk(source.tree)
            if isinstance(n, ast.Raise) and n.exc is not None and id(n) not in protocol
        ]
        if not raised:
            continue
        if source.module.endswith("__main__"):
            continue  # importing it would run the program
        module = importlib.import_module(source.module)
        for node in raised:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            name = ast.unparse(target)
            first, *rest = name.split(".")
            value: object = getattr(module, first, getattr(builtins, first, None))
            for part in rest:
                value = getattr(value, part, None)
            if not isinstance(value, type) or not issubclass(value, BaseException):
                continue  # a variable holding an error (re-raised), or a class local to a function
            if not issubclass(value, (MatrixError, *NOT_ERRORS)):
                problems.append(
                    f"{source.rel}:{node.lineno}: raise {name}; every error matrix raises derives"
                    f" from MatrixError: raise one of matrix.errors (add `class X(MatrixError,"
                    f" {value.__name__})` to keep the type callers catch)"
                )
    return sorted(problems, key=_by_place)


# -- the tests ---------------------------------------------------------------------------------


def test_no_import_cycle() -> None:
    assert cycle_problems(ROOT) == []


def test_modules_stay_small() -> None:
    assert size_problems(ROOT) == []


def test_sql_backend_clock_and_environment_stay_home() -> None:
    assert rule_problems(ROOT) == []


def test_every_raised_error_derives_from_matrix_error() -> None:
    assert error_problems(ROOT) == []


PLANTED = {
    "cycle": ("matrix/clock.py", "\ndef _late():\n    from matrix.config import Settings\n"
              "    return Settings\n", "matrix.clock -> matrix.config"),
    "sql": ("matrix/viz.py", "\nQ = f\"SELECT id FROM {'t'}\"\n", "no SQL outside"),
    "backend": ("matrix/viz.py", "\ndef _b(store):\n    return store.backend\n", "store.backend"),
    "clock": ("matrix/viz.py", "\ndef _n():\n    import datetime\n    return datetime.datetime.now()\n",
              "datetime.datetime.now()"),
    "environment": ("dashboards/theme.py", "\nimport os\nX = os.environ.get('X')\n", "os.environ"),
    "size": ("matrix/viz.py", "\n" * 600, "lines; a module stays within 500"),
}  # fmt: skip


@pytest.mark.parametrize("rule", sorted(PLANTED))
def test_each_rule_catches_a_planted_violation(rule: str, tmp_path: Path) -> None:
    """A copy of the code with one planted violation is reported with its file, line and rule."""
    import shutil

    for top in TREES:
        shutil.copytree(ROOT / top, tmp_path / top, ignore=shutil.ignore_patterns("__pycache__"))
    rel, extra, expected = PLANTED[rule]
    if rule == "cycle":  # the clock asks config inside a function; config imports the clock
        (tmp_path / "matrix/config.py").write_text(
            (tmp_path / "matrix/config.py").read_text() + "\nimport matrix.clock\n"
        )
    path = tmp_path / rel
    path.write_text(path.read_text() + extra)
    before = {
        "cycle": cycle_problems, "size": size_problems,
    }.get(rule, rule_problems)  # fmt: skip
    found = [p for p in before(tmp_path) if p.startswith(rel) or rule == "cycle"]
    baseline = before(ROOT)
    new = [p for p in found if p not in baseline]
    assert any(expected in p for p in new), new
    assert all(re.match(r"^[\w/.]+\.py:\d+: ", p) for p in new), new
