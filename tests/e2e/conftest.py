"""What the command-line tests share: a fresh DuckDB store with tenant acme."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.cli import run


@pytest.fixture
def url(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated store on a file with tenant acme, the local AI provider; its URL."""
    monkeypatch.setenv("MATRIX_PROVIDER_MODE", "local")
    url = f"duckdb:///{tmp_path / 'cli.duckdb'}"
    assert run(capsys, "init", "--storage-url", url)[0] == 0
    assert run(capsys, "tenant", "create", "acme", "--storage-url", url)[0] == 0
    return url
