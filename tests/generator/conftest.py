"""What the generator's tests share: a migrated throwaway store to apply generated packs to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.cli import run


@pytest.fixture
def pack_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """The URL of a migrated DuckDB store in ``tmp_path``, for ``matrix tenant apply``."""
    url = f"duckdb:///{tmp_path / 'packs.duckdb'}"
    assert run(capsys, "init", "--storage-url", url)[0] == 0
    return url


def assert_pack_applies(capsys: pytest.CaptureFixture[str], url: str, project: Path) -> None:
    """``matrix tenant apply --dry-run`` accepts the project's pack, for the project's tenant."""
    capsys.readouterr()
    code, out, err = run(capsys, "tenant", "apply", str(project / "tenant"), "--dry-run",
                         "--json", "--storage-url", url)  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    tenant = json.loads((project / "tenant" / "tenant.json").read_text("utf-8"))
    assert result["status"] == "dry_run" and result["tenant_id"] == tenant["tenant_id"]
    assert result["warnings"] == []
