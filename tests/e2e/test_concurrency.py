"""Two processes share one DuckDB file: a busy appender and CLI reads and writes.

Neither may see a lock error, and no row may be lost.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.conftest import ROOT
from tests.factories import task_chain

WRITER = textwrap.dedent(
    """
    import sys, pathlib
    from matrix.clock import SYSTEM_CLOCK
    from matrix.config import Settings
    from matrix.storage import open_store
    from tests.factories import lead_created, task_chain

    url, stop = sys.argv[1], pathlib.Path(sys.argv[2])
    store = open_store(settings=Settings.load(storage_url=url))
    appended = 0
    i = 0
    while not stop.exists():
        if i % 2:
            appended += store.events.append_many(task_chain("writer", SYSTEM_CLOCK)).added
        else:
            appended += int(store.events.append(lead_created("writer", SYSTEM_CLOCK)))
        i += 1
    store.close()
    print(appended)
    """
)


def _matrix(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "matrix", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_appender_and_cli_share_one_duckdb_file(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'shared.duckdb'}"
    assert _matrix("init", "--storage-url", url).returncode == 0
    assert _matrix("tenant", "create", "writer", "--storage-url", url).returncode == 0
    stop = tmp_path / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, url, str(stop)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    from matrix.clock import SYSTEM_CLOCK

    rounds, failures, cli_added = 4, [], 0
    try:
        time.sleep(0.5)  # let the writer get busy first
        for n in range(rounds):
            chain_file = tmp_path / f"chain{n}.json"
            chain_file.write_text(json.dumps(task_chain("cli", SYSTEM_CLOCK)))
            for args in (
                ("events", "append", str(chain_file), "--json"),
                ("events", "count", "--tenant", "writer", "--json"),
                ("events", "list", "--tenant", "writer", "--limit", "5", "--json"),
                ("tenant", "create", f"t{n}"),
            ):
                done = _matrix(*args, "--storage-url", url)
                if done.returncode != 0 or "lock" in done.stderr.lower():
                    failures.append((args, done.returncode, done.stderr[-500:]))
                elif args[1] == "append":
                    cli_added += json.loads(done.stdout)["added"]
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err[-2000:]
    assert failures == []
    written = int(out.strip())
    assert written > 20, "the writer should have been appending throughout"
    assert cli_added == 5 * rounds

    from matrix.config import Settings
    from matrix.storage import open_store

    with open_store(settings=Settings.load(storage_url=url)) as store:
        assert store.events.count("writer") == written
        assert store.events.count("cli") == 5 * rounds
        assert {t.tenant_id for t in store.tenants.list()} == {"writer"} | {f"t{n}" for n in range(rounds)}
