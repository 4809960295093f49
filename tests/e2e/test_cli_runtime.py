"""The runtime commands as a user types them: tenant config, chat, approvals, worker, simulate."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.e2e.cli import run


def acme(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> tuple[int, str, str]:
    """A command for tenant acme on the test store."""
    return run(capsys, *args, "--tenant", "acme", "--storage-url", url)



def test_chat_shows_reply_decision_and_task(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = acme(capsys, url, "chat", "-m", "Agendar reunião com a Ana sexta")
    assert code == 0
    assert out.startswith("concierge> Pedido recebido")
    assert (
        "decision: allow (default_allow)" in out
        and "task queued: agenda.commitment.schedule" in out
    )
    code, out, _ = acme(capsys, url, "chat", "-m", "Oi!", "--json")
    body = json.loads(out)
    assert (
        body["policy_decision"]["execution_decision"] == "none" and "downstream_tasks" not in body
    )


def test_chat_reads_lines_until_an_empty_one(url: str, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sys.stdin", io.StringIO("Oi\nSchedule a meeting with Ana\n\nignored\n"))
    code, out, _ = acme(capsys, url, "chat")
    assert code == 0 and out.count("concierge>") == 2


def test_approval_flow_from_the_command_line(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = acme(capsys, url, "chat", "-m", "Dar baixa na dívida do Pedro")
    assert "approval needed: matrix approvals approve" in out and "--tenant acme" in out
    listing = json.loads(acme(capsys, url, "approvals", "list", "--json")[1])
    cid = listing["items"][0]["confirmation_id"]
    code, out, _ = acme(
        capsys, url, "approvals", "approve", cid, "--actor", "ana", "--reason", "ok"
    )
    assert code == 0 and "approved; task" in out
    code, _, err = acme(capsys, url, "approvals", "reject", cid)
    assert code == 1 and "already approved" in err and err.count("\n") == 1
    code, _, err = acme(capsys, url, "approvals", "approve", "nope")
    assert code == 1 and "No confirmation 'nope'" in err
    code, _, err = acme(capsys, url, "approvals", "list", "--status", "waiting")
    assert code == 2 and "Invalid value for '--status'" in err


def test_worker_once_runs_due_work_and_reports(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    acme(capsys, url, "chat", "-m", "Schedule a meeting with Ana")
    code, out, _ = run(capsys, "worker", "--once", "--storage-url", url, "--json")
    report = json.loads(out)
    assert code == 0 and report["tasks"]["done"] == 1
    # The request names no day or time: the agenda handler refuses it with a reason; a refusal,
    # not a failure (nothing is dead-lettered).
    events = json.loads(acme(capsys, url, "events", "list", "--name", "module.task.refused", "--json")[1])  # fmt: skip
    assert events[0]["payload"]["reason_code"] == "MISSING_DATE"
    dead = json.loads(acme(capsys, url, "events", "list", "--name", "module.task.dead_lettered", "--json")[1])  # fmt: skip
    assert dead == []


def test_tenant_config_set_show_and_errors(url: str, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "tenant", "config", "acme", "--set", "openai.model=gpt-4.1-mini",
                       "--set", "execution.confirmations_enabled=false", "--storage-url", url, "--json")  # fmt: skip
    body = json.loads(out)
    assert code == 0 and body["runtime"]["model"] == "gpt-4.1-mini"
    assert body["execution"]["confirmations_enabled"] is False
    monkeypatch.setattr("sys.stdin", io.StringIO("sk-from-stdin-0123456789\n"))
    code, out, _ = run(
        capsys, "tenant", "config", "acme", "--openai-key-stdin", "--storage-url", url
    )
    assert code == 0 and '"api_key_configured": true' in out and "sk-from-stdin" not in out
    for args, message in (
        (("--set", "openai.modle=x"), "unknown field openai.modle"),
        (("--set", "nonsense"), "must look like FIELD=VALUE"),
        ((), "Nothing to change"),
        (("--set", "execution.whatsapp_ai_mode=yolo"), "whatsapp_ai_mode must be one of"),
    ):
        code, _, err = run(capsys, "tenant", "config", "acme", *args, "--storage-url", url)
        assert code == 2 and message in err, (args, err)
    code, _, err = run(capsys, "tenant", "show", "nobody", "--storage-url", url)
    assert code == 1 and "Unknown tenant 'nobody'" in err


def test_chat_with_bad_input_is_one_line(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = acme(capsys, url, "chat", "-m", "   ")
    assert code == 2 and "payload.text must not be empty" in err and "Traceback" not in err
    code, _, err = run(capsys, "chat", "--tenant", "ghost", "-m", "hi", "--storage-url", url)
    assert code == 1 and "Unknown tenant 'ghost'" in err


def test_simulate_drives_the_runtime(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "simulate",
        "--tenants",
        "3",
        "--days",
        "2",
        "--seed",
        "3",
        "--storage-url",
        url,
        "--json",
    )
    report = json.loads(out)
    assert code == 0 and report["interactions"] > 10
    assert sum(report["tasks"].values()) > 0 and "simulated" in report["note"]
    assert report["persona2"]["messages_read"] == report["inbound_whatsapp_messages"] > 0
    events = json.loads(
        run(
            capsys,
            "events",
            "list",
            "--tenant",
            "sim-01",
            "--limit",
            "500",
            "--storage-url",
            url,
            "--json",
        )[1]
    )
    names = {e["name"] for e in events}
    assert {"owner.command.create", "module.task.created", "module.task.completed"} <= names


def test_module_commands_end_to_end(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    customer = json.loads(acme(capsys, url, "customers", "add", "Ana Souza", "--phone", "+5511999990000", "--key", "c1", "--json")[1])  # fmt: skip
    again = json.loads(acme(capsys, url, "customers", "add", "Ana", "--key", "c1", "--json")[1])
    assert again["customer_id"] == customer["customer_id"] and again["status"] == "idempotent"
    code, _, err = acme(capsys, url, "customers", "add", "Bob", "--phone", "999")
    assert code == 2 and "E.164" in err
    lead = json.loads(acme(capsys, url, "crm", "capture", "Carla Dias", "--phone", "+5511977776666", "--json")[1])  # fmt: skip
    code, _, err = acme(capsys, url, "crm", "move", lead["lead_id"], "--to", "won")
    assert code == 1 and "transition_not_allowed" in err  # a business refusal, not a usage error
    code, _, err = acme(capsys, url, "crm", "move", lead["lead_id"], "--to", "contacted")
    assert code == 1 and "Use --trigger first_contact_attempt" in err
    code, out, _ = acme(capsys, url, "crm", "move", lead["lead_id"], "--to", "contacted", "--trigger", "first_contact_attempt")  # fmt: skip
    assert code == 0 and "stage=contacted" in out
    charge = json.loads(acme(capsys, url, "billing", "charge", customer["customer_id"], "--amount", "350", "--due", "2026-10-01", "--json")[1])  # fmt: skip
    for args, message in ((("--amount", "-1", "--due", "2026-10-01"), "greater than 0"),
                          (("--amount", "10", "--due", "soon"), "is not a date"),
                          (("--amount", "10", "--due", "2026-10-01", "--currency", "XYZ"), "ISO 4217")):  # fmt: skip
        code, _, err = acme(capsys, url, "billing", "charge", customer["customer_id"], *args)
        assert code == 2 and message in err, err
    code, out, _ = acme(capsys, url, "billing", "collect", charge["charge_id"])
    assert code == 0 and "collection_state=queued" in out
    code, out, _ = acme(capsys, url, "billing", "pay", charge["charge_id"], "--amount", "350")
    assert code == 0 and "charge_status=paid" in out
    run(capsys, "tenant", "create", "globex", "--storage-url", url)  # another tenant sees nothing of acme's
    code, _, err = run(
        capsys,
        "billing",
        "pay",
        charge["charge_id"],
        "--amount",
        "1",
        "--tenant",
        "globex",
        "--storage-url",
        url,
    )
    assert code == 1 and "charge_not_found" in err


def test_agreements_from_the_command_line(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    customer = json.loads(acme(capsys, url, "customers", "add", "Ana Souza", "--json")[1])
    template = tmp_path / "t.json"
    template.write_text(json.dumps({"key": "servico", "title": "Contrato de Serviço",
                                    "fields": [{"name": "total", "label": "Valor", "type": "money", "required": True}],
                                    "clauses": [{"title": "Valor", "body": "{{customer_name}} pagará R$ {{total}}."}]}))  # fmt: skip
    code, out, _ = acme(capsys, url, "agreements", "template", str(template))
    assert code == 0 and "version=1" in out
    out_file = tmp_path / "contrato.docx"
    code, out, _ = acme(capsys, url, "agreements", "render", "servico", "--customer", customer["customer_id"], "--values", '{"total": "900"}', "--out", str(out_file))  # fmt: skip
    assert code == 0 and out_file.read_bytes()[:2] == b"PK"
    code, out, _ = acme(capsys, url, "agreements", "render", "servico", "--customer", customer["customer_id"], "--values", '{"total": "900"}')  # fmt: skip
    assert "Ana Souza pagará R$ 900.00." in out
    code, _, err = acme(capsys, url, "agreements", "render", "servico", "--customer", customer["customer_id"])  # fmt: skip
    assert code == 2 and "total (Valor) is required" in err


def test_a_mistyped_tenant_gets_a_suggestion(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "chat", "--tenant", "acne", "-m", "oi", "--storage-url", url)
    assert code == 1 and "Unknown tenant 'acne'. Did you mean acme?" in err


def test_metrics_commands(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    acme(capsys, url, "chat", "-m", "Oi")
    code, out, _ = run(capsys, "metrics", "list", "--json")
    assert code == 0 and "owner_interaction_success_ratio" in {m["name"] for m in json.loads(out)}
    code, out, _ = run(capsys, "metrics", "show", "dispatch_success_ratio")
    assert code == 0 and "outbound_messages" in out
    code, out, _ = acme(capsys, url, "metrics", "compute", "owner_interaction_success_ratio", "--grain", "all", "--json")  # fmt: skip
    body = json.loads(out)
    assert code == 0 and body["rows"][0]["value"] == 1.0 and body["provenance"]["rows_read"] == 1
    code, out, _ = acme(capsys, url, "metrics", "compute", "dispatch_success_ratio")
    assert code == 0 and "no data" in out
    for args, message, exit_code in (
        (("owner_interaction_succes_ratio", "--tenant", "acme"), "Did you mean owner_interaction_success_ratio", 1),
        (("owner_interaction_success_ratio", "--tenant", "acme", "--since", "2026-11-10", "--until", "2026-11-01"), "before it starts", 2),
    ):  # fmt: skip
        code, _, err = run(capsys, "metrics", "compute", *args, "--storage-url", url)
        assert code == exit_code and message in err, err
    broken = tmp_path / "catalog.json"
    broken.write_text(json.dumps({"version": "1", "metrics": [{"name": "x_ratio", "unit": "ratio", "family": "business",
        "source": "telemetry", "description": "d", "value": "avg(nope)", "owner": "me"}]}))  # fmt: skip
    code, out, _ = run(capsys, "metrics", "check", "--catalog", str(broken))
    assert code == 1 and "x_ratio: formula does not run" in out


def test_lab_points_jupyterlab_at_the_notebooks_and_the_store(
    url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "lab", "--dry-run", "--storage-url", url, "--json")
    body = json.loads(out)
    assert code == 0 and body["MATRIX_STORAGE_URL"] == url
    missing = f"duckdb:///{tmp_path / 'nothing-here.duckdb'}"
    code, _, err = run(capsys, "lab", "--dry-run", "--storage-url", missing)
    assert code == 1 and "matrix init" in err  # a typo is caught before JupyterLab starts
    assert any(
        part.endswith("/notebooks")
        for part in body["command"]
        if part.startswith("--notebook-dir=")
    )


def test_chat_with_the_provider_down_shows_the_outcome_and_a_warning(
    url: str, capsys, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as probe:  # a port nothing listens on: the tenant's endpoint is down
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr("sys.stdin", io.StringIO("sk-down-0123456789\n"))
    code, _, err = run(capsys, "tenant", "config", "acme", "--openai-key-stdin", "--set",
                       f"openai.base_url=http://127.0.0.1:{port}/v1", "--storage-url", url)  # fmt: skip
    assert code == 0, err
    code, out, err = acme(capsys, url, "chat", "-m", "Write off Pedro's debt")
    assert code == 0, err
    assert (
        "approval needed: matrix approvals approve" in out
        and "warning: the AI provider failed" in out
    )
    confirmation_id = out.split("matrix approvals approve ")[1].split()[0]
    assert confirmation_id in out.split("\n")[0]  # the reply itself names the pending approval
    listed = json.loads(acme(capsys, url, "approvals", "list", "--json")[1])
    assert [a["confirmation_id"] for a in listed["items"]] == [confirmation_id]  # no retry needed
