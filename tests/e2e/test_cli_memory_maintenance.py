"""``matrix memory reembed`` and ``matrix memory schedule …`` as a user runs them, on a store
file: output, exit codes, and what the store keeps."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from matrix.app import App, build
from matrix.errors import ProviderError
from matrix.memory.service import Memory
from tests.e2e.cli import run
from tests.embedding_fakes import Embedders, FakeEmbedder

SESSION = "6f1c2a4e-0000-4000-8000-0000000000aa"


@pytest.fixture
def embedders(monkeypatch: pytest.MonkeyPatch) -> Iterator[Embedders]:
    """Every app the commands build gets this embedder selector (another part of the app chooses
    the real one)."""
    chosen = Embedders()
    monkeypatch.setattr(
        App, "memory", property(lambda app: Memory(app.store, app.clock, embedders=chosen))
    )
    yield chosen


@pytest.fixture
def entries(url: str, embedders: Embedders) -> list[str]:
    with build(storage_url=url) as app:
        app.store.tenants.add("globex", "GLOBEX")
        ids = [app.memory.add("acme", SESSION, fact).entry["memory_id"]
               for fact in ("Our accountant is Rui Costa.", "The shop opens at nine on Saturdays.")]  # fmt: skip
        app.memory.add("globex", SESSION, "Globex pays its suppliers on Fridays.")
    embedders.current = FakeEmbedder()
    return ids


def test_reembed_without_an_embedder_says_there_is_nothing_to_do(
    capsys: pytest.CaptureFixture[str], url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATRIX_MEMORY_EMBEDDING_MODE", "off")
    code, out, err = run(
        capsys, "memory", "reembed", "--tenant", "acme", "--storage-url", url, "--json"
    )
    assert (code, err) == (0, "")
    assert json.loads(out)["items"][0] | {"processed": []} == {
        "tenant_id": "acme", "mode": "off", "dry_run": False, "status": "skipped", "reason": "embedding_mode_off",
        "model": None, "dimension": None, "scanned_count": 0, "updated_count": 0, "failed_count": 0,
        "skipped_count": 0, "processed": []}  # fmt: skip


def test_reembed_one_tenant_then_every_tenant(
    capsys: pytest.CaptureFixture[str], url: str, entries: list[str], embedders: Embedders
) -> None:
    code, out, _ = run(
        capsys, "memory", "reembed", "--tenant", "acme", "--dry-run", "--storage-url", url
    )
    assert code == 0 and out.startswith(
        "0 entries embedded, 0 failed, over 1 tenant (dry run: nothing written)"
    )
    code, out, _ = run(
        capsys,
        "memory",
        "reembed",
        "--tenant",
        "acme",
        "--limit",
        "1",
        "--storage-url",
        url,
        "--json",
    )
    assert (
        code == 0
        and [p["memory_id"] for p in json.loads(out)["items"][0]["processed"]] == entries[:1]
    )
    code, out, _ = run(capsys, "memory", "reembed", "--storage-url", url)
    assert code == 0 and out.splitlines()[0] == "2 entries embedded, 0 failed, over 2 tenants"
    assert "acme" in out and "globex" in out and "fake-a" in out
    with build(storage_url=url) as app:
        assert app.store.memory.lacking_vector("acme", "fake-a", 10) == []


def test_a_failing_embedder_exits_1_with_its_code(
    capsys: pytest.CaptureFixture[str], url: str, entries: list[str], embedders: Embedders
) -> None:
    assert embedders.current is not None
    embedders.current.fail = ProviderError("openai_embed_timeout: the embeddings call timed out.",
                                           code="openai_embed_timeout")  # fmt: skip
    code, out, err = run(capsys, "memory", "reembed", "--tenant", "acme", "--storage-url", url)
    assert (code, out) == (
        1,
        "",
    ) and err == "error: openai_embed_timeout: the embeddings call timed out.\n"
    code, out, _ = run(capsys, "memory", "reembed", "--storage-url", url, "--json")
    assert code == 1 and {i["status"] for i in json.loads(out)["items"]} == {"failed"}


def test_schedule_set_list_run_due_runs_pause_resume(
    capsys: pytest.CaptureFixture[str], url: str, entries: list[str]
) -> None:
    code, _, err = run(
        capsys, "memory", "schedule", "set", "--tenant", "acme", "--storage-url", url
    )
    assert code == 2 and "interval_minutes is required the first time" in err
    code, _, err = run(capsys, "memory", "schedule", "set", "--tenant", "acme", "--interval-minutes", "0",
                       "--storage-url", url)  # fmt: skip
    assert code == 2 and "--interval-minutes" in err
    code, out, _ = run(capsys, "memory", "schedule", "set", "--tenant", "acme", "--interval-minutes", "30",
                       "--limit", "1", "--storage-url", url)  # fmt: skip
    assert code == 0 and out.startswith(
        "acme: every 30 minutes, up to 1 entry, mode auto; next run 20"
    )
    code, out, _ = run(capsys, "memory", "schedule", "list", "--storage-url", url)
    assert code == 0 and out.splitlines()[1].split()[:3] == ["acme", "True", "30"]
    code, out, _ = run(capsys, "memory", "schedule", "run-due", "--storage-url", url, "--json")
    result = json.loads(out)
    assert code == 0 and (result["due_count"], result["executed_count"]) == (1, 1)
    code, out, _ = run(
        capsys, "memory", "schedule", "runs", "--tenant", "acme", "--storage-url", url
    )
    assert code == 0 and "completed" in out and "manual-run-due" in out
    code, out, _ = run(
        capsys, "memory", "schedule", "pause", "--tenant", "acme", "--storage-url", url
    )
    assert code == 0 and out.strip().endswith("; paused")
    code, out, _ = run(
        capsys,
        "memory",
        "schedule",
        "resume",
        "--tenant",
        "acme",
        "--run-now",
        "--storage-url",
        url,
    )
    assert code == 0 and "next run" in out
    code, _, err = run(
        capsys, "memory", "schedule", "pause", "--tenant", "globex", "--storage-url", url
    )
    assert code == 1 and "has no re-embedding schedule" in err


def test_an_unknown_tenant_exits_1_everywhere(capsys: pytest.CaptureFixture[str], url: str) -> None:
    for args in (("reembed",), ("schedule", "list"), ("schedule", "runs"), ("schedule", "run-due"),
                 ("schedule", "set", "--interval-minutes", "5")):  # fmt: skip
        code, out, err = run(capsys, "memory", *args, "--tenant", "acmee", "--storage-url", url)
        assert (code, out, err) == (1, "", "error: Unknown tenant 'acmee'. Did you mean acme?\n"), (
            args
        )
