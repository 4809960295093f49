"""What a newcomer types first: the README's own examples, and a password with no terminal."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.e2e.cli import run


@pytest.fixture
def url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    url = f"duckdb:///{tmp_path / 'new.duckdb'}"
    assert run(capsys, "init", "--storage-url", url)[0] == 0
    assert run(capsys, "tenant", "create", "acme", "--storage-url", url)[0] == 0
    return url


def test_the_readme_example_appends_a_contract_example(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    example = ROOT / "contracts" / "examples" / "valid" / "crm.lead.created.json"
    code, out, err = run(capsys, "events", "append", str(example), "--json", "--storage-url", url)
    assert code == 0, err
    assert json.loads(out) == {"added": 1, "duplicates": 0}
    code, out, _ = run(
        capsys, "events", "count", "--tenant", "acme", "--json", "--storage-url", url
    )
    assert code == 0 and json.loads(out)["count"] == 1


def test_a_password_with_no_terminal_asks_for_password_stdin(
    url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _, err = run(capsys, "user", "add", "bob", "--role", "admin", "--storage-url", url)
    assert code == 2 and "--password-stdin" in err and "Warning" not in err
    monkeypatch.setattr("sys.stdin", io.StringIO("correct-horse-9\n"))
    code, out, err = run(capsys, "user", "add", "bob", "--role", "admin", "--password-stdin",
                         "--json", "--storage-url", url)  # fmt: skip
    assert code == 0, err
    assert json.loads(out) == {"username": "bob", "role": "admin", "tenants": []}
