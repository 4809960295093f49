"""Bad values at the command line, as a hostile user types them: each is refused with a sentence
that names the field, quotes the value and gives the fix, and nothing is stored or changed."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from matrix.storage import open_store
from tests.conftest import ROOT
from tests.e2e.cli import run


def execution(url: str) -> dict[str, Any]:
    with open_store(url) as store:
        stored = store.runtime_config.get("acme")
    assert stored is not None
    section: dict[str, Any] = stored[0]["execution"]
    return section


def config(capsys: pytest.CaptureFixture[str], url: str, *sets: str) -> tuple[int, str, str]:
    args = [a for s in sets for a in ("--set", s)]
    return run(capsys, "tenant", "config", "acme", *args, "--storage-url", url)


@pytest.mark.parametrize(("assignment", "message"), [
    ("execution.max_pending_confirmations=1.0e309",
     "execution.max_pending_confirmations must be a whole number from 1 to 500, got inf."),
    ("execution.max_pending_confirmations=-1",
     "execution.max_pending_confirmations must be a whole number from 1 to 500, got -1."),
    ("execution.confirmation_ttl_seconds=-5",
     "execution.confirmation_ttl_seconds must be a whole number from 1 to 604800, got -5."),
    ("execution.confirmation_ttl_seconds=abc",
     "execution.confirmation_ttl_seconds must be a whole number from 1 to 604800, got 'abc'."),
    ("execution.whatsapp_ai_min_confidence=7",
     "execution.whatsapp_ai_min_confidence must be a number from 0 to 1, got 7."),
    ("ai_budget.monthly_usd=1e400",
     "ai_budget.monthly_usd inf is not a finite number; give one like 50 (US dollars), or null."),
])  # fmt: skip
def test_an_invalid_runtime_value_is_refused_and_never_resets_the_stored_one(
    url: str, capsys: pytest.CaptureFixture[str], assignment: str, message: str
) -> None:
    set_before = ("execution.confirmation_ttl_seconds=600",
                  "execution.max_pending_confirmations=30",
                  "execution.whatsapp_ai_min_confidence=0.8")  # fmt: skip
    assert config(capsys, url, *set_before)[0] == 0
    before = execution(url)
    code, out, err = config(capsys, url, assignment)
    assert code == 2 and out == ""
    assert err == f"error: Invalid runtime config: {message}\n"
    assert execution(url) == before
    assert before["confirmation_ttl_seconds"] == 600 and before["max_pending_confirmations"] == 30


def test_a_config_file_that_is_binary_or_too_deep_is_refused(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    binary = tmp_path / "config.bin"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    code, _, err = run(capsys, "tenant", "config", "acme", "--file", str(binary), "--storage-url", url)  # fmt: skip
    assert code == 2
    assert (
        err
        == "error: --file is not UTF-8 text (byte 0 is 0x89); give a text file saved as UTF-8.\n"
    )
    deep = tmp_path / "deep.json"
    deep.write_text('{"a": ' * 65 + "1" + "}" * 65)
    code, _, err = run(capsys, "tenant", "config", "acme", "--file", str(deep), "--storage-url", url)  # fmt: skip
    assert code == 2
    assert err == "error: --file nests objects and arrays more than 64 levels deep; flatten it.\n"


def test_events_append_refuses_deep_json_and_binary_files_and_stores_nothing(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    code, _, err = run(capsys, "events", "append", str(deep), "--storage-url", url)
    assert code == 2
    assert err == f"error: {deep} nests objects and arrays more than 64 levels deep; flatten it.\n"
    binary = tmp_path / "dump.json"
    binary.write_bytes(b'{"kind": "\xee\x01"}')
    code, _, err = run(capsys, "events", "append", str(binary), "--storage-url", url)
    assert code == 2
    assert err == (f"error: {binary} is not UTF-8 text (byte 10 is 0xee); give a text file saved"
                   " as UTF-8.\n")  # fmt: skip
    with open_store(url) as store:
        assert store.events.count("acme") == 0


def test_the_readme_example_of_events_append_works(
    url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The contract examples wrap the envelope as {description, schema, instance}: the
    envelope appended is the instance."""
    monkeypatch.chdir(ROOT)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "matrix events append contracts/examples/valid/crm.lead.created.json" in readme
    code, out, _ = run(capsys, "events", "append", "contracts/examples/valid/crm.lead.created.json",
                       "--storage-url", url, "--json")  # fmt: skip
    assert code == 0 and json.loads(out)["added"] == 1


@pytest.mark.parametrize(("amount", "message"), [
    ("1e309", "amount '1e309' is too large; the most a record holds is 999999999999.99."),
    ("1e20", "amount '1e20' is too large; the most a record holds is 999999999999.99."),
    ("NaN", "amount 'NaN' is not a finite amount; give it like 350.00."),
    ("10.001", "amount '10.001' has more than two decimal places; round it to cents."),
    ("-3", "amount must be greater than 0, got '-3'."),
])  # fmt: skip
def test_billing_charge_refuses_an_amount_the_column_cannot_hold(
    url: str, capsys: pytest.CaptureFixture[str], amount: str, message: str
) -> None:
    customer = json.loads(run(capsys, "customers", "add", "Ana Souza", "--tenant", "acme",
                              "--storage-url", url, "--json")[1])  # fmt: skip
    code, _, err = run(capsys, "billing", "charge", customer["customer_id"], "--amount", amount,
                       "--due", "2026-12-10", "--tenant", "acme", "--storage-url", url)  # fmt: skip
    assert code == 2 and err == f"error: {message}\n"
    with open_store(url) as store:
        assert store.modules.charges.find("acme") == []


@pytest.mark.parametrize(("args", "message"), [
    (("tenant", "plan", "acme", "--fee", "NaN", "--from", "2026-01-01"),
     "monthly_fee_usd nan is not a finite number; give one like 49.90 (US dollars)."),
    (("prices", "set", "openai", "gpt-x", "--from", "2026-01-01", "--input", "NaN", "--output", "1"),
     "input_per_mtok nan is not a finite number; give one like 1.25 (US dollars)."),
    (("prices", "set", "openai", "gpt-x", "--from", "2026-01-01", "--input", "1", "--output", "-1"),
     "output_per_mtok must be a number of 0 or more, got -1.0."),
    (("prices", "set", "openai", "gpt-x", "--from", "2026-01-01", "--input", "1", "--output", "1",
      "--cached", "inf"),
     "cached_input_per_mtok inf is not a finite number; give one like 0.125 (US dollars)."),
])  # fmt: skip
def test_prices_and_plans_refuse_nan_and_negative_numbers(
    url: str, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    code, _, err = run(capsys, *args, "--storage-url", url)
    assert code == 2 and err == f"error: {message}\n"
    with open_store(url) as store:
        assert store.pricing.prices() == [] and store.pricing.plans("acme") == []


@pytest.mark.parametrize(("value", "message"), [
    ("NaN", "--max-seconds 'NaN' is not a finite number; give one like 1.5."),
    ("inf", "--max-seconds 'inf' is not a finite number; give one like 1.5."),
    ("-1", "--max-seconds must be a number of 0 or more, got '-1'."),
])  # fmt: skip
def test_worker_refuses_a_time_limit_that_never_ends(
    url: str, capsys: pytest.CaptureFixture[str], value: str, message: str
) -> None:
    code, out, err = run(capsys, "worker", "--max-seconds", value, "--storage-url", url)
    assert code == 2 and out == "" and err == f"error: {message}\n"


@pytest.mark.parametrize(("since", "message"), [
    ("0001-01-01", "--since '0001-01-01' is out of range; give a date from 1970 to 2199, like 2026-11-01."),
    ("9999-12-31", "--since '9999-12-31' is out of range; give a date from 1970 to 2199, like 2026-11-01."),
])  # fmt: skip
def test_metrics_refuse_a_date_out_of_range(
    url: str, capsys: pytest.CaptureFixture[str], since: str, message: str
) -> None:
    code, _, err = run(capsys, "metrics", "compute", "owner_interaction_success_ratio",
                       "--tenant", "acme", "--since", since, "--storage-url", url)  # fmt: skip
    assert code == 2 and err == f"error: {message}\n"


@pytest.mark.parametrize(("tenant_id", "message"), [
    ("acme\n", "tenant_id 'acme\\n' contains the control character U+000A; remove it (ids and"
               " names are one line of plain text)."),
    ("acme ", "tenant_id 'acme ' starts or ends with spaces; remove them (use 1-120 letters,"
              " digits, '.', '_' or '-', starting with a letter or digit (e.g. acme-01))."),
    ("ac me", "tenant_id 'ac me' is not valid: use 1-120 letters, digits, '.', '_' or '-',"
              " starting with a letter or digit (e.g. acme-01)."),
])  # fmt: skip
def test_tenant_create_refuses_control_characters_and_spaces(
    url: str, capsys: pytest.CaptureFixture[str], tenant_id: str, message: str
) -> None:
    code, _, err = run(capsys, "tenant", "create", tenant_id, "--storage-url", url)
    assert code == 2 and err == f"error: {message}\n"
    with open_store(url) as store:
        assert [t.tenant_id for t in store.tenants.list()] == ["acme"]


def test_init_refuses_an_existing_file_that_is_not_duckdb(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("existing.json").write_text('{"a": 1}\n')
    code, out, err = run(capsys, "init", "--storage-url", "duckdb:///existing.json")
    assert code == 2 and out == ""
    assert err == ("error: Storage URL 'duckdb:///existing.json' names existing.json, which exists"
                   " and is not a DuckDB database; nothing was changed. Name a new file or an"
                   " existing store (e.g. duckdb:///var/matrix.duckdb).\n")  # fmt: skip
    assert Path("existing.json").read_text() == '{"a": 1}\n'


def test_a_relative_duckdb_path_is_said_to_be_relative(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only init creates a store, and the folders on its way, saying so; any other command
    refuses a store that is not there and creates nothing."""
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "tenant", "list", "--storage-url", "duckdb:///other/x.duckdb")
    assert code == 1 and out == ""
    assert err == (
        "error: There is no store at 'other/x.duckdb' (three slashes make a relative path, here"
        f" from {os.getcwd()}; write four, duckdb:////other/x.duckdb, for an absolute one)."
        " Create it with `matrix init`, or set MATRIX_STORAGE_URL to an existing store.\n"
    )
    assert not Path("other").exists()
    code, out, _ = run(capsys, "init", "--storage-url", "duckdb:///nonexistent/dir/x.duckdb")
    assert code == 0
    assert out.startswith(
        "created folder nonexistent/dir (relative to the current folder: duckdb:/// with three"
        " slashes is a relative path, four make an absolute one)\nstore duckdb:///nonexistent/dir/x.duckdb: applied"
    )
    assert Path("nonexistent/dir/x.duckdb").is_file()


TEMPLATE = json.dumps({"key": "servico", "title": "Contrato",
                       "fields": [{"name": "total", "label": "Valor", "type": "money"}],
                       "clauses": [{"title": "Objeto", "body": "Valor {{total}}."}]})  # fmt: skip


def render_to(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], out: str) -> str:
    """Standard error of rendering a saved template for a new customer into ``out``; the
    command fails (exit 2) and keeps no document."""
    customer = json.loads(run(capsys, "customers", "add", "Ana Souza", "--tenant", "acme",
                              "--storage-url", url, "--json")[1])  # fmt: skip
    template = tmp_path / "t.json"
    template.write_text(TEMPLATE)
    assert run(capsys, "agreements", "template", str(template), "--tenant", "acme",
               "--storage-url", url)[0] == 0  # fmt: skip
    code, printed, err = run(capsys, "agreements", "render", "servico", "--customer",
                             customer["customer_id"], "--out", out, "--tenant", "acme",
                             "--storage-url", url)  # fmt: skip
    assert code == 2 and printed == "" and "internal error" not in err
    with open_store(url) as store:
        assert store.modules.agreement_documents.find("acme") == []
    return err


def test_agreements_render_to_a_file_that_cannot_be_written_keeps_no_document(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unwritable = tmp_path / "missing-folder" / "contrato.md"
    err = render_to(url, tmp_path, capsys, str(unwritable))
    assert err == (f"error: --out {str(unwritable)!r} could not be written (No such file or"
                   " directory); nothing was stored. Give a path in a folder you can write to, on"
                   " a disk with room.\n")  # fmt: skip


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_agreements_render_to_a_full_disk_keeps_no_document(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = render_to(url, tmp_path, capsys, "/dev/full")
    assert err == ("error: --out '/dev/full' could not be written (No space left on device);"
                   " nothing was stored. Give a path in a folder you can write to, on a disk with"
                   " room.\n")  # fmt: skip
