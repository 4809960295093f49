"""The scheduler stops cleanly on SIGTERM/SIGINT: the task in progress finishes first."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from matrix.app import build
from matrix.config import Settings
from matrix.storage import open_store
from tests.conftest import ROOT

RUNNER = textwrap.dedent(
    """
    import sys, time
    from matrix.app import build
    from matrix.config import Settings
    from matrix.runtime import Job, Scheduler, Worker
    from matrix.storage import open_store

    url = sys.argv[1]
    settings = Settings.load(storage_url=url, provider_mode="local")
    store = open_store(settings=settings)

    def slow(ctx):
        print("started", ctx.task.task_id, flush=True)
        time.sleep(1.5)
        return "booked"

    worker = Worker(store, {"agenda.commitment.schedule": slow})
    concierge = build(settings, store=store).concierge
    scheduler = Scheduler(jobs=[
        Job(name="tasks", every_seconds=0.1, fn=lambda: worker.run_once().claimed),
        Job(name="expiry", every_seconds=1.0, fn=concierge.expire_due),
    ])
    scheduler.install_signal_handlers()
    scheduler.run()
    store.close()
    print("stopped", scheduler.report()["tasks"]["done"], flush=True)
    """
)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_lets_the_claimed_task_finish(tmp_path: Path, signum: int) -> None:
    url = f"duckdb:///{tmp_path / 'sig.duckdb'}"
    settings = Settings.load(storage_url=url, provider_mode="local")
    with open_store(settings=settings, migrate=True) as store:
        store.tenants.add("acme")
        concierge = build(settings, store=store).concierge
        task_id = concierge.interact("acme", "s1", "Schedule a meeting with Ana")[
            "downstream_tasks"
        ][0]["task_id"]
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, url], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    assert proc.stdout is not None
    assert proc.stdout.readline().split() == ["started", task_id]
    proc.send_signal(signum)  # mid-task
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    assert out.strip() == "stopped 1"
    with open_store(settings=settings) as store:
        task = store.tasks.get("acme", task_id)
        assert task is not None and task.status.value == "completed"
