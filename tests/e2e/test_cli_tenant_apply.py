"""``matrix tenant apply`` as a user types it: a good pack is applied (and a dry run stores
nothing); a bad one is one line naming each problem by file and JSON pointer, exit 2, and leaves
the store as it was."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from matrix.concierge.packs import sample_pack
from matrix.config import Settings
from matrix.storage import open_store
from tests.conftest import row_counts
from tests.e2e.cli import run


@pytest.fixture
def url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    url = f"duckdb:///{tmp_path / 'cli.duckdb'}"
    assert run(capsys, "init", "--storage-url", url)[0] == 0
    return url


def _counts(url: str) -> dict[str, int]:
    store = open_store(settings=Settings.load(storage_url=url))
    try:
        return row_counts(store)
    finally:
        store.close()


def _edited(tmp_path: Path, rel: str, edit: Callable[[Any], Any]) -> Path:
    root = tmp_path / "pack"
    shutil.copytree(sample_pack(), root)
    path = root / rel
    edit(path)
    return root


def _json_edit(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    def edit(path: Path) -> None:
        doc = json.loads(path.read_text("utf-8"))
        change(doc)
        path.write_text(json.dumps(doc), "utf-8")

    return edit


def test_apply_a_pack_then_again(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "tenant", "apply", str(sample_pack()), "--dry-run", "--json", "--storage-url", url
    )
    assert code == 0 and json.loads(out)["status"] == "dry_run"
    code, out, _ = run(
        capsys, "tenant", "apply", str(sample_pack()), "--json", "--storage-url", url
    )
    result = json.loads(out)
    assert code == 0 and result["tenant"] == "created" and "prompt" in result["changes"]
    code, out, _ = run(
        capsys, "tenant", "show", "sample-tenant-001", "--json", "--storage-url", url
    )
    assert json.loads(out)["runtime"]["model"] == "gpt-5.1-mini"
    code, out, _ = run(capsys, "tenant", "apply", str(sample_pack()), "--storage-url", url)
    assert code == 0 and "nothing changed" in out


BAD = {
    "missing folder": (None, None, "is not a folder"),
    "bad JSON": ("personas/owner.json", lambda p: p.write_text("{oops", "utf-8"),
                 "personas/owner.json: the file is not JSON"),
    "unknown palette": ("tenant.json", _json_edit(lambda d: d["brand"].update(palette="pink")),
                        "tenant.json at /brand/palette: unknown palette 'pink'"),
    "unreadable colours": ("tenant.json", _json_edit(lambda d: d["brand"].update(colours={"muted": "#e2e8f0"})),
                           "tenant.json at /brand/colours/muted: secondary text on the page background: muted #e2e8f0 on bg"),
    "silent learning": ("personas/owner.json",
                        _json_edit(lambda d: d["memory_policy"].update(silent_learning_writes=True)),
                        "personas/owner.json at /memory_policy/silent_learning_writes"),
    "unknown handoff code": ("personas/whatsapp.json",
                             _json_edit(lambda d: d["handoff_policy"].update(reason_codes=["vip"])),
                             "personas/whatsapp.json at /handoff_policy/reason_codes/0: unknown handoff reason code 'vip'"),
    "bad rule value": ("policies/default.json", _json_edit(lambda d: d["rules"][2].update(value="three")),
                       "policies/default.json at /rules/2/value: crm.followup.max_daily_messages must be"),
    "no policies": ("policies/default.json", lambda p: p.unlink(), "policies/: no policy file"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_pack_is_named_and_changes_nothing(
    case: str, url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rel, edit, expected = BAD[case]
    root = tmp_path / "missing" if rel is None else _edited(tmp_path, rel, edit)
    before = _counts(url)
    code, out, err = run(capsys, "tenant", "apply", str(root), "--storage-url", url)
    assert code == 2 and out == ""
    assert expected in err and err.count("\n") == 1
    assert _counts(url) == before
