"""`matrix worker` delivers what falls due, as a user runs it: a real process, on both backends,
sending through a local Evolution-compatible gateway on 127.0.0.1.

Each test sets the store up in-process, then runs ``matrix worker`` from the virtual environment
with the environment pointing at the store (and, when configured, at the gateway), exactly as a
user would start it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from matrix.app import build
from matrix.clock import SYSTEM_CLOCK
from matrix.config import Settings
from matrix.modules.agenda import service as agenda
from matrix.modules.context import Work
from matrix.modules.crm import outbound
from matrix.modules.customers import service as customers
from matrix.testing.gateway import EvolutionGateway

MATRIX = Path(sys.executable).parent / "matrix"
PHONE = "+5511999990000"
KEY = "evo-test-key-0123456789"


@pytest.fixture
def gateway() -> Iterator[EvolutionGateway]:
    with EvolutionGateway(api_key=KEY) as running:
        yield running


def matrix(url: str, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    """Run ``matrix ARGS…`` as a user would, with only this store (and ``extra_env``) configured;
    a PostgreSQL store keeps the deployment's MATRIX_SECRET_KEY."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MATRIX_") or k == "MATRIX_SECRET_KEY"}  # fmt: skip
    # The test gateway listens on 127.0.0.1: a platform with a gateway beside it allows that.
    env.update(MATRIX_STORAGE_URL=url, MATRIX_PROVIDER_MODE="local",
               MATRIX_ALLOW_LOOPBACK_URLS="1", **extra_env)  # fmt: skip
    done = subprocess.run(
        [str(MATRIX), *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def platform(gateway: EvolutionGateway) -> dict[str, str]:
    """The environment that gives every tenant the platform's gateway."""
    return {"MATRIX_EVOLUTION_BASE_URL": gateway.url, "MATRIX_EVOLUTION_API_KEY": KEY,
            "MATRIX_EVOLUTION_INSTANCE": "platform-main"}  # fmt: skip


def seed_due_reminder(url: str) -> str:
    """Ana's appointment in 30 minutes: both reminder times have passed, so its reminder is due
    now, the instant the worker starts. Returns the reminder id."""
    with build(Settings.load(storage_url=url, provider_mode="local"), migrate=True) as app:
        app.store.tenants.add("acme", "ACME")
        work = Work.new("acme", SYSTEM_CLOCK)
        ana, _ = customers.upsert(app.store, work, display_name="Ana Souza", phone=PHONE)
        _, reminder = agenda.schedule(app.store, work, title="Reunião com Ana", customer=ana,
                                      start_at=SYSTEM_CLOCK.now() + timedelta(minutes=30))  # fmt: skip
    return str(reminder["reminder_id"])


def seed_message_and_followup(url: str) -> str:
    """An outbound WhatsApp message due now, and an owner's request for a follow-up (a task the
    worker turns into a message). Returns the message's id."""
    with build(Settings.load(storage_url=url, provider_mode="local")) as app:
        work = Work.new("acme", SYSTEM_CLOCK)
        manual, _ = outbound.enqueue(app.store, work, context_type="manual", context_id="note-1", phone=PHONE,
                                     text="Seu pedido saiu para entrega.", idempotency_key="manual:note-1")  # fmt: skip
        reply = app.concierge.interact("acme", "owner-1", "Mande uma mensagem de acompanhamento para Ana no WhatsApp")  # fmt: skip
        [task] = reply["downstream_tasks"]
        assert task["task_type"] == "crm.followup.send"
    return str(manual["message_id"])


def reminder_state(url: str, reminder_id: str) -> tuple[str, list[dict[str, object]]]:
    """The reminder's status, and the outbound messages queued for it."""
    with build(Settings.load(storage_url=url)) as app:
        reminder = app.store.modules.reminders.get("acme", reminder_id)
        assert reminder is not None
        messages = app.store.modules.outbound.find("acme", context_id=reminder_id)
    return str(reminder["status"]), messages


def test_worker_delivers_a_due_reminder_once_through_the_tenant_gateway(
    backend_url: str, gateway: EvolutionGateway
) -> None:
    reminder_id = seed_due_reminder(backend_url)
    matrix(backend_url, "tenant", "config", "acme",
           "--set", f"integrations.crm_evolution.base_url={gateway.url}",
           "--set", "integrations.crm_evolution.instance_id=acme-main",
           "--set", f"integrations.crm_evolution.api_key={KEY}")  # fmt: skip

    first = matrix(backend_url, "worker", "--once")
    second = matrix(backend_url, "worker", "--once")  # a second worker finds nothing to resend

    assert "outbound delivery is on for every tenant (acme)" in first.stderr
    [message] = gateway.sent_to(PHONE)
    assert message.instance == "acme-main" and message.text.startswith("Lembrete: Reunião com Ana")
    assert [r["key"] for r in gateway.seen] == [f"reminder:{reminder_id}"]
    status, [queued] = reminder_state(backend_url, reminder_id)
    assert status == "sent" and queued["status"] == "sent" and queued["attempts"] == 1
    assert "outbound" in second.stdout and "reminders" in second.stdout


def test_without_a_gateway_the_worker_says_so_and_the_reminder_stays_queued(
    backend_url: str, gateway: EvolutionGateway
) -> None:
    reminder_id = seed_due_reminder(backend_url)
    seed_message_and_followup(backend_url)

    off = matrix(backend_url, "worker", "--once")

    assert "outbound delivery is off" in off.stderr
    assert "MATRIX_EVOLUTION_BASE_URL" in off.stderr and "integrations.crm_evolution" in off.stderr
    status, [queued] = reminder_state(backend_url, reminder_id)
    assert status == "dispatch_requested" and queued["status"] == "queued"
    with build(Settings.load(storage_url=backend_url)) as app:
        messages = app.store.modules.outbound.find("acme")
    assert sorted(m["context_type"] for m in messages) == ["followup", "manual", "reminder"]
    assert {(m["status"], m["attempts"]) for m in messages} == {("queued", 0)}
    assert gateway.seen == []

    on = matrix(backend_url, "worker", "--once", **platform(gateway))

    assert "outbound delivery is on" in on.stderr
    assert [m.instance for m in gateway.sent_to(PHONE)] == ["platform-main"] * 3
    assert reminder_state(backend_url, reminder_id)[0] == "sent"


def test_worker_delivers_a_message_and_a_followup_once_after_a_gateway_failure(
    backend_url: str, gateway: EvolutionGateway
) -> None:
    seed_due_reminder(backend_url)
    manual_id = seed_message_and_followup(backend_url)
    # The gateway is down for the first send (both of its request shapes): that message is
    # retried after its backoff, within the worker's run, and still delivered once.
    gateway.fail(503, times=2)

    matrix(backend_url, "worker", "--max-seconds", "6", **platform(gateway))
    matrix(backend_url, "worker", "--once", **platform(gateway))

    texts = sorted(m.text for m in gateway.sent_to(PHONE))
    assert len(texts) == 3 and len({m.idempotency_key for m in gateway.delivered}) == 3
    assert "Seu pedido saiu para entrega." in texts
    assert any(t.startswith("Olá Ana, tudo bem?") for t in texts)
    assert any(t.startswith("Lembrete:") for t in texts)
    with build(Settings.load(storage_url=backend_url)) as app:
        messages = app.store.modules.outbound.find("acme")
        assert {m["status"] for m in messages} == {"sent"}
        assert sorted(m["attempts"] for m in messages) == [1, 1, 2]
        assert app.store.events.count("acme", name="crm.followup.sent") == 1
        assert manual_id in {m["message_id"] for m in messages}


def test_serve_runs_the_same_jobs_and_says_whether_outbound_delivery_is_on(
    tmp_path: Path, gateway: EvolutionGateway
) -> None:
    url = f"duckdb:///{tmp_path / 'serve.duckdb'}"
    reminder_id = seed_due_reminder(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATRIX_")}
    env.update(MATRIX_STORAGE_URL=url, MATRIX_PROVIDER_MODE="local", **platform(gateway))
    proc = subprocess.Popen([str(MATRIX), "serve", "--port", "0"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("dashboards: http://127.0.0.1:")
        assert proc.stdout.readline().startswith("API docs: http://127.0.0.1:")
        assert proc.stdout.readline().startswith("outbound delivery is on")
        deadline = time.monotonic() + 20
        while not gateway.sent_to(PHONE) and time.monotonic() < deadline:
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert [m.idempotency_key for m in gateway.sent_to(PHONE)] == [f"reminder:{reminder_id}"]
    assert reminder_state(url, reminder_id)[0] == "sent"


@pytest.mark.postgres
@pytest.mark.slow
def test_serve_with_two_workers_serves_the_api_and_runs_each_job_once(
    postgres_url: str, gateway: EvolutionGateway
) -> None:
    """``--workers 2`` on PostgreSQL: the worker processes answer, the parent's scheduler sends
    the due reminder, and SIGTERM stops it all cleanly."""
    import json
    import urllib.request

    reminder_id = seed_due_reminder(postgres_url)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MATRIX_") or k == "MATRIX_SECRET_KEY"}  # fmt: skip
    env.update(MATRIX_PROVIDER_MODE="local", **platform(gateway))
    proc = subprocess.Popen([str(MATRIX), "serve", "--port", "0", "--workers", "2",
                             "--storage-url", postgres_url], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().split()[1].rstrip("/")
        assert "2 worker processes" in proc.stdout.readline()
        deadline, health = time.monotonic() + 90, None
        while health is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(base + "/health", timeout=10) as answer:
                    health = json.loads(answer.read())
            except OSError:
                time.sleep(0.2)
        assert health is not None and health["storage"]["backend"] == "postgres"
        while not gateway.sent_to(PHONE) and time.monotonic() < deadline:
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "stopped" in out and "Traceback" not in err, err[-2000:]
    assert [m.idempotency_key for m in gateway.sent_to(PHONE)] == [f"reminder:{reminder_id}"]
    assert reminder_state(postgres_url, reminder_id)[0] == "sent"
