"""Races and crashes: concurrent approvals enqueue one task; a killed worker's task runs once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from matrix.app import build
from matrix.concierge import Concierge
from matrix.config import Settings
from matrix.errors import ApprovalStateError
from matrix.storage import open_store
from tests.conftest import ROOT


def _concierge(url: str) -> Concierge:
    settings = Settings.load(storage_url=url, provider_mode="local")
    store = open_store(settings=settings, migrate=True)
    return build(settings, store=store).concierge


def _pending(url: str) -> str:
    c = _concierge(url)
    c.store.tenants.add("acme")  # type: ignore[attr-defined]
    cid = c.interact("acme", "s1", "Write off Pedro's debt")["confirmation"]["confirmation_id"]
    c.store.close()  # type: ignore[attr-defined]
    return str(cid)


def test_threads_approving_one_confirmation_enqueue_one_task_duckdb(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'race.duckdb'}"
    cid = _pending(url)
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def approve() -> None:
        concierge = _concierge(url)  # each thread its own store, as separate requests would be
        barrier.wait()
        try:
            concierge.resolve_confirmation(
                "acme", cid, "approve", actor=threading.current_thread().name
            )
            outcomes.append("approved")
        except ApprovalStateError as exc:
            outcomes.append(exc.code)
        finally:
            concierge.store.close()  # type: ignore[attr-defined]

    threads = [threading.Thread(target=approve) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["approved"] + ["confirmation_not_pending"] * 5
    with open_store(settings=Settings.load(storage_url=url)) as store:
        assert store.tasks.counts("acme") == {"queued": 1}
        assert store.events.count("acme", name="owner.confirmation.approved") == 1


APPROVER = textwrap.dedent(
    """
    import json, sys, time
    from matrix.app import build
    from matrix.config import Settings
    from matrix.errors import ApprovalStateError
    from matrix.storage import open_store

    url, cid, start_at = sys.argv[1], sys.argv[2], float(sys.argv[3])
    settings = Settings.load(storage_url=url, provider_mode="local")
    store = open_store(settings=settings)
    concierge = build(settings, store=store).concierge
    time.sleep(max(0.0, start_at - time.time()))
    try:
        concierge.resolve_confirmation("acme", cid, "approve", actor="proc")
        print("approved")
    except ApprovalStateError as exc:
        print(exc.code)
    """
)


@pytest.mark.postgres
def test_processes_approving_one_confirmation_enqueue_one_task_postgres(postgres_url: str) -> None:
    cid = _pending(postgres_url)
    start_at = time.time() + 2.0
    procs = [
        subprocess.Popen([sys.executable, "-c", APPROVER, postgres_url, cid, str(start_at)],
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]  # fmt: skip
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-1500:]
        results.append(out.strip())
    assert sorted(results) == ["approved"] + ["confirmation_not_pending"] * 3
    with open_store(settings=Settings.load(storage_url=postgres_url)) as store:
        assert store.tasks.counts("acme") == {"queued": 1}


WORKER = textwrap.dedent(
    """
    import sys, time
    from matrix.config import Settings
    from matrix.runtime import Worker
    from matrix.storage import open_store

    url, mode, marker = sys.argv[1], sys.argv[2], sys.argv[3]
    store = open_store(settings=Settings.load(storage_url=url))

    def send(ctx):
        def perform(key):
            with open(marker, "a") as f:
                f.write(key + "\\n")
            return "msg-" + key[-8:]
        message = ctx.effect("whatsapp.send", perform)
        if mode == "hang":
            print("effect-done", flush=True)
            time.sleep(600)  # killed here, after the effect and before completing
        return "sent " + message

    worker = Worker(store, {"crm.followup.send": send}, lease_seconds=2.0)
    stats = worker.drain() if mode == "finish" else worker.run_once()
    print("completed", stats.completed, flush=True)
    """
)


@pytest.mark.postgres
def test_killed_worker_task_is_reclaimed_and_its_effect_not_repeated(
    postgres_url: str, tmp_path: Path
) -> None:
    concierge = _concierge(postgres_url)
    concierge.store.tenants.add("acme")  # type: ignore[attr-defined]
    result = concierge.interact("acme", "s1", "Send a follow-up to Ana on WhatsApp")
    task_id = result["downstream_tasks"][0]["task_id"]
    marker = tmp_path / "effects.log"

    hung = subprocess.Popen([sys.executable, "-c", WORKER, postgres_url, "hang", str(marker)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert hung.stdout is not None
    line = hung.stdout.readline().strip()
    assert line == "effect-done", hung.stderr.read() if hung.stderr else ""
    os.kill(hung.pid, signal.SIGKILL)
    hung.wait(timeout=30)

    task = concierge.store.tasks.get("acme", task_id)  # type: ignore[attr-defined]
    assert task is not None and task.status.value == "running"  # still claimed by the dead worker
    time.sleep(2.5)  # let its lease run out
    done = subprocess.run([sys.executable, "-c", WORKER, postgres_url, "finish", str(marker)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-1500:]
    assert "completed 1" in done.stdout

    task = concierge.store.tasks.get("acme", task_id)  # type: ignore[attr-defined]
    assert task is not None and task.status.value == "completed" and task.attempts == 2
    assert marker.read_text().splitlines() == [f"{task_id}:whatsapp.send"]  # performed once
    names = [
        e["name"]
        for e in concierge.store.events.trace("acme", result["owner_command"]["correlation_id"])
    ]  # type: ignore[attr-defined]
    assert names.count("module.task.completed") == 1 and names.count("crm.delegation.sent") == 1
    assert names.count("module.task.accepted") == 2
    concierge.store.close()  # type: ignore[attr-defined]


def test_json_of_results_is_serialisable(tmp_path: Path) -> None:
    concierge = _concierge(f"duckdb:///{tmp_path / 'j.duckdb'}")
    concierge.store.tenants.add("acme")  # type: ignore[attr-defined]
    result = concierge.interact("acme", "s1", "Write off Pedro's debt")
    json.dumps(result.as_dict())
    json.dumps(concierge.list_confirmations("acme").as_dict())
    concierge.store.close()  # type: ignore[attr-defined]
