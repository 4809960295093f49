"""``matrix routing eval`` as a user runs it: the shipped rules, and a tenant's routing with its
classifier against the OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from matrix.testing.openai_server import Behavior, OpenAIServer
from tests.e2e.cli import run


def test_the_shipped_rules_on_the_test_part(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "routing", "eval", "--part", "test")
    assert code == 0
    assert out.startswith("routing rules 3.") and "harmful confusions: 0" in out


def test_a_tenants_classifier_within_the_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    openai_server: OpenAIServer,
) -> None:  # fmt: skip
    monkeypatch.setenv("MATRIX_PROVIDER_MODE", "local")
    url = f"duckdb:///{tmp_path / 'rt.duckdb'}"
    assert run(capsys, "init", "--storage-url", url)[0] == 0
    assert run(capsys, "tenant", "create", "acme", "--storage-url", url)[0] == 0
    code, rules, _ = run(capsys, "routing", "eval", "--part", "dev", "--tenant", "acme",
                         "--storage-url", url, "--json")  # fmt: skip
    assert (
        code == 0
        and json.loads(rules)["router"] == "rules"
        and json.loads(rules)["reasons"] == {"rules_only": json.loads(rules)["cases"]}
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("sk-acme-0123456789\n"))
    assert run(capsys, "tenant", "config", "acme", "--openai-key-stdin", "--set",
               f"openai.base_url={openai_server.base_url}", "--storage-url", url)[0] == 0  # fmt: skip
    # The first answer is a failure, the second proposes a milder task than a write-off.
    openai_server.script("responses", Behavior(status=500))
    code, out, _ = run(capsys, "routing", "eval", "--part", "dev", "--tenant", "acme",
                       "--storage-url", url, "--json")  # fmt: skip
    body = json.loads(out)
    assert code == 0 and body["router"] == "model within the rules"
    assert body["reasons"]["fallback:openai_classify_http_500"] == 1
    assert body["reasons"]["model_agrees"] == body["cases"] - 1  # the stand-in model agrees
    assert body["accuracy"] == json.loads(rules)["accuracy"]
    assert openai_server.count("responses") == body["cases"]
