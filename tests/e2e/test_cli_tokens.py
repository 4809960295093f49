"""``matrix token`` and ``matrix secrets`` as an operator runs them on an embedded store."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from matrix.storage.secrets import new_key
from tests.e2e.cli import run


@pytest.fixture
def url(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("MATRIX_SECRET_KEY", raising=False)
    url = f"duckdb:///{tmp_path / 'ops.duckdb'}"
    assert run(capsys, "init", "--storage-url", url)[0] == 0
    assert run(capsys, "tenant", "create", "acme", "--storage-url", url)[0] == 0
    return url


def test_token_create_prints_it_once_and_list_never(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "token", "create", "--tenant", "acme", "--name", "crm",
                       "--expires-days", "30", "--json", "--storage-url", url)  # fmt: skip
    body = json.loads(out)
    assert code == 0 and body["token"].startswith("mxt_") and body["token_id"].startswith("tok_")
    assert body["tenant_id"] == "acme" and body["name"] == "crm" and body["expires_at"]
    code, out, _ = run(capsys, "token", "create", "--admin", "--storage-url", url)
    assert code == 0 and out.splitlines()[0].startswith("mxa_") and "only time" in out
    admin_token = out.splitlines()[0]

    for args in (
        ["token", "list"],
        ["token", "list", "--json"],
        ["token", "list", "--tenant", "acme"],
    ):
        code, out, _ = run(capsys, *args, "--storage-url", url)
        assert code == 0 and body["token"] not in out and admin_token not in out
    assert f"mxt_…{body['token'][-4:]}" in out and "(admin)" not in out

    code, out, _ = run(capsys, "token", "revoke", body["token_id"], "--json", "--storage-url", url)
    assert code == 0 and json.loads(out)["state"] == "revoked"
    code, out, _ = run(capsys, "token", "list", "--json", "--storage-url", url)
    states = {r["token_id"]: r["state"] for r in json.loads(out)}
    assert states[body["token_id"]] == "revoked" and list(states.values()).count("active") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["token", "create"], "not neither"),
        (["token", "create", "--tenant", "acme", "--admin"], "not both"),
        (["token", "create", "--tenant", "nobody"], "Unknown tenant 'nobody'"),
        (["token", "revoke", "tok_missing"], "no token 'tok_missing'"),
    ],
)
def test_token_mistakes_are_one_line(
    url: str, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, *args, "--storage-url", url)
    assert code in (1, 2) and out == "" and err.count("\n") == 1 and message in err


def test_secrets_rotate_key_moves_an_embedded_store_to_a_new_key(
    url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "whsec-cli-0a1b2c3d4e5f"
    assert run(capsys, "tenant", "config", "acme", "--set",
               f"integrations.crm_evolution.webhook_secret={secret}", "--storage-url", url)[0] == 0  # fmt: skip
    code, out, _ = run(capsys, "secrets", "status", "--json", "--storage-url", url)
    before = json.loads(out)
    assert code == 0 and before["key_source"] == "file" and before["sealed"] == 1
    new = new_key()
    monkeypatch.setattr("sys.stdin", io.StringIO(new + "\n"))
    code, out, _ = run(
        capsys, "secrets", "rotate-key", "--new-key-stdin", "--json", "--storage-url", url
    )
    done = json.loads(out)
    assert code == 0 and done["resealed"] == 1 and "new_key" not in done and new not in out
    assert Path(done["key_file"]).read_text().strip() == new
    code, out, _ = run(capsys, "secrets", "status", "--storage-url", url)
    assert code == 0 and done["new_key_id"] in out and secret not in out
    path = Path(url.removeprefix("duckdb:///"))
    assert secret.encode() not in path.read_bytes()


def test_secrets_rotate_key_prints_a_made_key_when_the_setting_holds_it(
    url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    old = new_key()
    monkeypatch.setenv("MATRIX_SECRET_KEY", old)
    code, out, _ = run(capsys, "secrets", "rotate-key", "--storage-url", url)
    made = out.splitlines()[1]
    assert code == 0 and "Set MATRIX_SECRET_KEY to the new key" in out and len(made) == 44
    monkeypatch.setenv("MATRIX_SECRET_KEY", "not-a-key")
    code, out, err = run(capsys, "secrets", "status", "--storage-url", url)
    assert code == 2 and "MATRIX_SECRET_KEY is not a secret key" in err and "not-a-key" not in err


def test_secrets_new_key_prints_a_usable_key(capsys: pytest.CaptureFixture[str]) -> None:
    from matrix.storage.secrets import parse_key

    code, out, _ = run(capsys, "secrets", "new-key")
    assert code == 0 and len(parse_key(out)) == 32
    assert run(capsys, "secrets", "new-key")[1] != out
