"""Files a command reads that are not what it needs: a clear error naming the file, and nothing
stored (the cases the command-line fuzz found outside the shared value checks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from matrix.storage import open_store
from tests.conftest import row_counts
from tests.e2e.cli import run

NOT_UTF8 = b"\xff\xfe{ not text"
DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "not-utf8.json").write_bytes(NOT_UTF8)
    (tmp_path / "deep.json").write_text(DEEP)
    (tmp_path / "empty").mkdir()
    return {p.stem: p for p in tmp_path.iterdir()}


@pytest.mark.parametrize(
    ("command", "option", "what"),
    [
        ("gate list", "--spec", "The gate spec"),
        ("metrics check", "--catalog", "The metric catalog"),
    ],
)
def test_a_spec_or_catalog_that_is_not_utf8_is_refused(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path], command: str, option: str, what: str
) -> None:
    path = files["not-utf8"]
    code, _, err = run(capsys, *command.split(), option, str(path))
    assert (code, err) == (2, f"error: {what} {path} is not UTF-8 text (byte 0).\n")


@pytest.mark.parametrize(
    ("command", "option", "what"),
    [("gate list", "--spec", "a gate spec"), ("metrics check", "--catalog", "a metric catalog")],
)
def test_a_spec_or_catalog_nested_too_deeply_is_refused(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path], command: str, option: str, what: str
) -> None:
    path = files["deep"]
    code, _, err = run(capsys, *command.split(), option, str(path))
    assert code == 2 and err.endswith(f"{path} is nested too deeply to be {what}.\n"), err


@pytest.mark.parametrize("command", ["contracts check", "contracts openapi"])
def test_a_contracts_folder_without_schemas_is_refused(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path], command: str
) -> None:
    folder = files["empty"]
    code, out, err = run(capsys, *command.split(), "--contracts-dir", str(folder))
    assert (code, out) == (2, "")
    assert err == (
        f"error: Contracts folder {str(folder)!r} holds no *.schema.json file; set"
        " MATRIX_CONTRACTS_DIR (or --contracts-dir) to the project's contracts/ folder.\n"
    )


def test_a_refused_import_registers_no_tenant(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"duckdb:///{tmp_path / 'store.duckdb'}"
    assert run(capsys, "init", "--storage-url", url)[0] == 0
    with open_store(url) as store:
        before = row_counts(store)
    bad = tmp_path / "costs.csv"
    bad.write_text("not,the,columns\n1,2,3\n")
    code, _, err = run(capsys, "import", "costlog", str(bad), "--storage-url", url)
    assert code == 2 and "costs.csv: missing column(s)" in err
    with open_store(url) as store:
        assert row_counts(store) == before  # the platform tenant was not registered either


@pytest.mark.parametrize("log", ["costlog", "worklog"])
def test_a_log_that_is_not_utf8_is_refused(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path], tmp_path: Path, log: str
) -> None:
    url = f"duckdb:///{tmp_path / 'store.duckdb'}"
    assert run(capsys, "init", "--storage-url", url)[0] == 0
    path = files["not-utf8"]
    code, _, err = run(capsys, "import", log, str(path), "--storage-url", url)
    assert (code, err) == (2, f"error: {path} is not UTF-8 text (byte 0); save the CSV as UTF-8.\n")


def test_a_refused_git_import_registers_no_tenant(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path], tmp_path: Path
) -> None:
    url = f"duckdb:///{tmp_path / 'store.duckdb'}"
    assert run(capsys, "init", "--storage-url", url)[0] == 0
    with open_store(url) as store:
        before = row_counts(store)
    code, _, err = run(capsys, "import", "git", str(files["empty"]), "--storage-url", url)
    assert code == 2 and "is not a readable git repository" in err
    with open_store(url) as store:
        assert row_counts(store) == before
