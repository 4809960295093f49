"""No block of ten or more lines is written twice in matrix/ and dashboards/: not the same lines,
and not the same shape with other names, strings and numbers. Logic that is truly the same gets
one home; a near copy drifts."""

from __future__ import annotations

import io
import keyword
import re
import tokenize
from pathlib import Path

from tests.conftest import ROOT

BLOCK = 10
DATA_LINE = re.compile(r"N = [S0N]( [S0N])*( ,)?|[S0]( [S0])*( ,)?")
SKIPPED = {
    tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
    tokenize.ENDMARKER,
}  # fmt: skip


def _shapes(path: Path) -> list[tuple[int, str]]:
    """Each code line's shape (keywords and operators kept; names, strings and numbers folded),
    without import lines and lines of lone punctuation."""
    text = path.read_text(encoding="utf-8")
    tokens: dict[int, list[str]] = {}
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type in SKIPPED:
            continue
        if token.type == tokenize.NAME:
            shape = token.string if keyword.iskeyword(token.string) else "N"
        else:
            shape = {tokenize.STRING: "S", tokenize.NUMBER: "0"}.get(token.type, token.string)
        tokens.setdefault(token.start[0], []).append(shape)
    source = text.splitlines()
    shapes = []
    for line, parts in sorted(tokens.items()):
        if source[line - 1].lstrip().startswith(("import ", "from ")):
            continue
        if not any(p in ("N", "S", "0") or p.isalpha() for p in parts):
            continue  # lone brackets and commas
        if DATA_LINE.fullmatch(" ".join(parts)):
            continue  # a keyword argument holding a literal: a row of a table of values
        shapes.append((line, " ".join(parts)))
    return shapes


def repeats(roots: list[Path], block: int = BLOCK) -> list[str]:
    """Every pair of places where ``block`` code lines in a row have the same shape."""
    first: dict[tuple[str, ...], tuple[str, int, int]] = {}
    found = []
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(root.parent).as_posix()
            shapes = _shapes(path)
            for i in range(len(shapes) - block + 1):
                key = tuple(s for _, s in shapes[i : i + block])
                if len(set(key)) < 4:
                    continue  # a run of one repeated statement (a table of values)
                here = (rel, shapes[i][0], shapes[i + block - 1][0])
                seen = first.setdefault(key, here)
                if seen is not here and not (seen[0] == rel and here[1] <= seen[2]):
                    found.append(f"{seen[0]}:{seen[1]}-{seen[2]} ~ {rel}:{here[1]}-{here[2]}")
    return found


def test_no_block_of_ten_lines_is_repeated() -> None:
    assert repeats([ROOT / "matrix", ROOT / "dashboards"]) == []


def test_a_renamed_copy_is_caught(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    original = (ROOT / "matrix" / "runtime" / "scheduler.py").read_text(encoding="utf-8")
    (package / "a.py").write_text(original, encoding="utf-8")
    (package / "b.py").write_text(
        original.replace("job", "step").replace("0.2", "0.5"), encoding="utf-8"
    )
    assert any("pkg/a.py" in r and "pkg/b.py" in r for r in repeats([package]))
