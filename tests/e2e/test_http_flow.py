"""The HTTP API as its clients use it, against `matrix serve` (uvicorn, the API beside the
dashboards and the scheduler) on both backends — PostgreSQL with two worker processes.

An owner's request that needs approval is approved over HTTP, the server's own scheduler runs
the task, and the trace shows every step; a signed webhook files a conversation, and forged,
unsigned, tampered and replayed ones store nothing new.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from matrix.modules.crm import inbox
from tests.conftest import ROOT

MATRIX = Path(sys.executable).parent / "matrix"
SECRET = "whsec-e2e-0123456789abcdef"


@dataclass
class Served:
    base: str
    tokens: dict[str, str]

    def client(self, tenant: str = "acme") -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=30,
                            headers={"Authorization": f"Bearer {self.tokens[tenant]}"})  # fmt: skip


def _matrix(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(MATRIX), *args], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def served(backend_url: str) -> Iterator[Served]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MATRIX_") or k == "MATRIX_SECRET_KEY"
    }
    env.update(MATRIX_STORAGE_URL=backend_url, MATRIX_PROVIDER_MODE="local")
    _matrix(env, "init")
    tokens = {}
    for tenant in ("acme", "globex"):
        _matrix(env, "tenant", "create", tenant)
        tokens[tenant] = json.loads(_matrix(env, "token", "create", "--tenant", tenant, "--json"))[
            "token"
        ]
    workers = ["--workers", "2"] if backend_url.startswith("postgres") else []
    proc = subprocess.Popen([str(MATRIX), "serve", "--port", "0", *workers], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().split()[1].rstrip("/")
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        served = Served(base=base, tokens=tokens)
        with served.client() as acme:  # the webhook secret, set over HTTP like any config
            answer = acme.post("/v1/owner-concierge/runtime-config", json={"request": {
                "request_id": "cfg-1", "config": {"integrations": {"crm_evolution": {"webhook_secret": SECRET}}}}})  # fmt: skip
            assert answer.status_code == 200, answer.text
            assert SECRET not in answer.text
        yield served
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert "Traceback" not in err, err[-3000:]


def _request(**fields: Any) -> dict[str, Any]:
    return {"request": {"request_id": str(uuid.uuid4()), **fields}}


def _wait_for(predicate: Any, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("the server's scheduler did not get there in time")


@pytest.mark.slow
def test_owner_request_approved_over_http_runs_and_is_traced(served: Served) -> None:
    with served.client() as acme:
        customer = acme.post(
            "/v1/customers", json=_request(customer={"display_name": "Pedro Alves"})
        )
        customer_id = customer.json()["response"]["customer"]["customer_id"]
        due = (datetime.now(UTC) - timedelta(days=20)).date().isoformat()
        charge = acme.post("/v1/billing/charges", json=_request(charge={
            "customer_id": customer_id, "amount": 180.0, "due_date": due}))  # fmt: skip
        assert charge.status_code == 200, charge.text

        said = acme.post("/v1/owner-concierge/interaction", json=_request(
            session_id=str(uuid.uuid4()), operation="send_message", channel="ui-chat",
            payload={"text": "Dar baixa como perda na fatura vencida do Pedro"}))  # fmt: skip
        assert said.status_code == 200, said.text
        body = said.json()["response"]
        assert body["policy_decision"]["execution_decision"] == "confirm_required"
        confirmation_id = body["confirmation"]["confirmation_id"]
        correlation = body["owner_command"]["correlation_id"]

        pending = acme.get(
            "/v1/owner-concierge/interaction-confirmations", params={"status": "pending"}
        )
        assert [c["confirmation_id"] for c in pending.json()["items"]] == [confirmation_id]
        with served.client("globex") as globex:  # another tenant sees nothing of it
            assert globex.get("/v1/owner-concierge/interaction-confirmations").json()["items"] == []
            hidden = globex.get("/v1/orchestration/trace", params={"correlation_id": correlation})
            assert hidden.json()["commands"] == [] and hidden.json()["events"] == []

        approved = acme.post("/v1/owner-concierge/interaction-confirmations", json=_request(
            session_id=str(uuid.uuid4()), confirmation_id=confirmation_id, decision="approve"))  # fmt: skip
        assert approved.status_code == 200, approved.text

        def finished() -> dict[str, Any] | None:
            trace = acme.get(
                "/v1/orchestration/trace", params={"correlation_id": correlation}
            ).json()
            names = {e["name"] for e in trace["events"]}
            return trace if names & {"module.task.completed", "module.task.refused"} else None

        trace = _wait_for(finished)
        commands = {c["name"] for c in trace["commands"]}
        events = [e["name"] for e in trace["events"]]
        assert {"owner.command.create", "module.task.create"} <= commands
        for name in ("owner.command.created", "owner.confirmation.requested", "owner.confirmation.approved",
                     "module.task.created", "module.task.accepted", "module.task.completed"):  # fmt: skip
            assert name in events, (name, events)
        charges = acme.get("/v1/billing/charges").json()["items"]
        assert [c["status"] for c in charges] == ["written_off"]
        queue = acme.get("/v1/orchestration/module-task-queue").json()
        assert queue["pending_count"] == 0 and queue["history_count"] == 1


def _webhook(served: Served, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(served.base + "/provider/evolution/webhook", content=body, timeout=30,
                      headers={"Content-Type": "application/json", **headers})  # fmt: skip


def _stored(served: Served) -> tuple[int, int]:
    with served.client() as acme:
        conversations = acme.get("/v1/crm/conversations").json()["items"]
        messages = sum(acme.get(f"/v1/crm/conversations/{c['conversation_id']}/messages").json()["count"]
                       for c in conversations)  # fmt: skip
    return len(conversations), messages


@pytest.mark.slow
def test_signed_webhook_files_a_conversation_and_bad_ones_store_nothing(served: Served) -> None:
    example = json.loads((ROOT / "contracts/examples/valid/evolution-webhook.json").read_text())[
        "instance"
    ]
    doc = {**example, "tenant_id": "acme", "event_id": str(uuid.uuid4())}
    body = json.dumps(doc).encode()
    signed = {"X-Hub-Signature-256": "sha256=" + inbox.sign(body, SECRET)}
    assert _stored(served) == (0, 0)
    first = _webhook(served, body, signed)
    assert first.status_code == 200 and first.json()["status"] == "accepted", first.text
    assert _stored(served) == (1, 1)

    tampered = body.replace(b'"text": "', b'"text": "PAY NOW ')
    other = {**doc, "event_id": str(uuid.uuid4())}
    other_body = json.dumps(other).encode()
    refused = [
        _webhook(
            served,
            other_body,
            {"X-Hub-Signature-256": "sha256=" + inbox.sign(other_body, "wrong-secret")},
        ),
        _webhook(served, other_body, {}),
        _webhook(served, tampered, signed),
        _webhook(served, other_body, {"X-Signature": "sha256=zz" + "0" * 62}),
    ]
    assert [r.status_code for r in refused] == [401, 401, 401, 401], [r.text for r in refused]
    replay = _webhook(served, body, signed)
    assert replay.status_code == 200 and replay.json()["status"] == "duplicate"
    assert _stored(served) == (1, 1)


@pytest.mark.slow
def test_persona_2_reads_a_webhook_in_the_servers_scheduler_and_acts_over_http(served: Served) -> None:
    """The job users start: `matrix serve`'s scheduler reads the inbound message (a handoff), and
    the console's calls work against it — idempotent across the server's worker processes."""
    example = json.loads((ROOT / "contracts/examples/valid/evolution-webhook.json").read_text())["instance"]
    doc = {**example, "tenant_id": "acme", "event_id": str(uuid.uuid4()),
           "payload": {**example["payload"], "text": "Quero falar com um atendente, por favor"}}  # fmt: skip
    body = json.dumps(doc).encode()
    assert _webhook(served, body, {"X-Hub-Signature-256": "sha256=" + inbox.sign(body, SECRET)}).status_code == 200
    with served.client() as acme:
        waiting = _wait_for(lambda: [c for c in acme.get("/v1/crm/conversations").json()["items"]
                                     if c["handler"] == "waiting_human"])  # fmt: skip
        conversation = waiting[0]["conversation_id"]
        assert waiting[0]["handoff_reason"] == "human_requested"
        base = f"/v1/crm/conversations/{conversation}"
        draft = acme.post(f"{base}/ai/suggest-reply", json=_request(tone="direto"))
        assert draft.status_code == 200 and draft.json()["response"]["draft_reply"], draft.text
        moves = [acme.post(f"{base}/ai/execute", json=_request(action="update_stage", to_stage="contacted",
                                                               client_request_id="e2e-move-1")) for _ in range(3)]  # fmt: skip
        assert [m.status_code for m in moves] == [200, 200, 200], [m.text for m in moves]
        assert [m.json()["response"]["status"] for m in moves] == ["ok", "idempotent", "idempotent"]
        taken = acme.post(f"{base}/handler", json=_request(handler="human", user="maria"))
        assert taken.json()["conversation"]["handler"] == "human"
        audit = acme.get(f"{base}/ai/actions").json()["items"]
        assert {"auto_handle", "handoff", "suggest_reply", "update_stage", "take_over"} <= {a["action"] for a in audit}
    with served.client("globex") as globex:
        assert globex.post(f"{base}/ai/suggest-reply", json=_request()).status_code == 404
