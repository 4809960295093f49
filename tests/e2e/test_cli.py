"""The CLI as a user meets it: help everywhere, JSON on request, one-line errors, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from matrix.cli import cli, main
from matrix.storage import code_version
from matrix.storage.migrate import load_migrations
from tests.conftest import ROOT
from tests.e2e.cli import run
from tests.factories import task_chain


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
    return found


ALL_COMMANDS = _commands(cli)


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=" ".join)
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_every_command_has_help(
    capsys: pytest.CaptureFixture[str], path: tuple[str, ...], flag: str
) -> None:
    code, out, _ = run(capsys, *path, flag)
    assert code == 0 and "Usage: matrix" in out


def test_every_command_that_prints_a_result_offers_json() -> None:
    groups_and_demo = {
        ("contracts",),
        ("config",),
        ("tenant",),
        ("events",),
        ("demo",),
        ("serve",),
        ("user",),
        ("approvals",),
        ("customers",),
        ("crm",),
        ("agenda",),
        ("billing",),
        ("agreements",),
        ("metrics",),
        ("import",),
        ("prices",),
        ("deploy",),
        ("gate",),
        ("token",),
        ("secrets",),
        ("routing",),
        ("crm", "ai"),
        ("memory",),
        ("memory", "schedule"),
        ("analytics",),
    }
    for path in ALL_COMMANDS:
        if path in groups_and_demo:
            continue
        command = cli
        for part in path:
            command = command.commands[part]  # type: ignore[attr-defined]
        assert any(p.name == "as_json" for p in command.params), (
            f"matrix {' '.join(path)} lacks --json"
        )


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("matrix, version ")


def test_typo_in_a_command_suggests_the_right_one(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "iint")
    assert code == 2 and "No such command 'iint'" in err and "init" in err


def test_init_then_migrate_is_idempotent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"duckdb:///{tmp_path / 's.duckdb'}"
    code, out, _ = run(capsys, "init", "--storage-url", url, "--json")
    assert code == 0 and json.loads(out)["applied"] == [
        f"{m.version:04d}_{m.name}" for m in load_migrations()
    ]
    code, out, _ = run(capsys, "migrate", "--storage-url", url, "--json")
    assert code == 0 and json.loads(out)["applied"] == []
    code, out, _ = run(capsys, "migrate", "--storage-url", url)
    assert f"up to date at schema version {code_version()}" in out


def test_unknown_scheme_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "init", "--storage-url", "mysql://u:pw@localhost/db")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Unknown storage URL scheme 'mysql://'" in err
    assert "pw@" not in err


def test_unreachable_postgres_is_one_line_and_hides_the_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(
        capsys, "init", "--storage-url", "postgresql://matrix:s3cret@127.0.0.1:9/matrix"
    )
    assert code == 1 and err.count("\n") == 1
    assert err.startswith(
        "error: Cannot reach PostgreSQL at postgresql://matrix:****@127.0.0.1:9/matrix"
    )
    assert "s3cret" not in err


def test_missing_store_asks_for_init(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"duckdb:///{tmp_path / 'nothing.duckdb'}"
    code, _, err = run(capsys, "events", "count", "--tenant", "acme", "--storage-url", url)
    assert code == 1 and "matrix init" in err
    assert not (tmp_path / "nothing.duckdb").exists()


@pytest.fixture
def url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    url = f"duckdb:///{tmp_path / 'cli.duckdb'}"
    assert run(capsys, "init", "--storage-url", url)[0] == 0
    return url


def test_corrupt_envelope_is_one_line_and_stores_nothing(
    url: str,
    tmp_path: Path,
    clock,
    capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
) -> None:
    run(capsys, "tenant", "create", "acme", "--storage-url", url)
    chain = task_chain("acme", clock)
    chain[2]["status"] = "done"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(chain))
    code, out, err = run(capsys, "events", "append", str(bad), "--storage-url", url)
    assert code == 1 and out == "" and err.count("\n") == 1
    assert "envelope 2: /status" in err and "'done'" in err
    assert (
        run(capsys, "events", "count", "--tenant", "acme", "--storage-url", url)[1].strip() == "0"
    )


def test_not_json_names_the_line(url: str, tmp_path: Path, clock, capsys) -> None:  # type: ignore[no-untyped-def]
    good = json.dumps(task_chain("acme", clock)[0])
    bad = tmp_path / "bad.ndjson"
    bad.write_text(good + "\n{oops\n")
    code, _, err = run(capsys, "events", "append", str(bad), "--storage-url", url)
    assert code == 1 and "line 2 is not JSON" in err


def test_append_list_count_and_trace(url: str, tmp_path: Path, clock, capsys) -> None:  # type: ignore[no-untyped-def]
    run(capsys, "tenant", "create", "acme", "--storage-url", url)
    chain = task_chain("acme", clock)
    source = tmp_path / "chain.ndjson"
    source.write_text("\n".join(json.dumps(e) for e in chain))
    code, out, _ = run(capsys, "events", "append", str(source), "--storage-url", url, "--json")
    assert code == 0 and json.loads(out) == {"added": 5, "duplicates": 0}
    code, out, _ = run(capsys, "events", "append", str(source), "--storage-url", url)
    assert out.strip() == "appended 0, already stored 5"
    code, out, _ = run(
        capsys,
        "events",
        "trace",
        chain[0]["correlation_id"],
        "--tenant",
        "acme",
        "--storage-url",
        url,
        "--json",
    )
    assert json.loads(out) == chain
    code, out, _ = run(
        capsys,
        "events",
        "trace",
        chain[0]["correlation_id"],
        "--tenant",
        "acme",
        "--storage-url",
        url,
    )
    assert out.splitlines()[1].split()[2] == "owner.command.create"
    code, _, err = run(
        capsys,
        "events",
        "trace",
        chain[0]["correlation_id"],
        "--tenant",
        "other",
        "--storage-url",
        url,
    )
    assert code == 1 and err == (
        "error: Unknown tenant 'other'. Known tenants: acme; or create it with"
        " `matrix tenant create other`.\n"
    )
    code, out, _ = run(
        capsys,
        "events",
        "list",
        "--tenant",
        "acme",
        "--kind",
        "command",
        "--storage-url",
        url,
        "--json",
    )
    assert [e["name"] for e in json.loads(out)] == ["module.task.create", "owner.command.create"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--since", "yesterday"), "--since 'yesterday' is not a date"),
        (("--since", "2026-11-02", "--until", "2026-11-01"), "is not after --since"),
        (("--limit", "0"), "Invalid value for '--limit'"),
        (("--kind", "evnt"), "Invalid value for '--kind'"),
    ],
)
def test_bad_list_filters_are_usage_errors(
    url: str, capsys, args: tuple[str, ...], message: str
) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "events", "list", "--tenant", "acme", *args, "--storage-url", url)
    assert code == 2 and message in err and "Traceback" not in err


def test_tenants_add_and_list(url: str, capsys) -> None:  # type: ignore[no-untyped-def]
    assert (
        run(capsys, "tenant", "create", "acme", "--name", "ACME", "--storage-url", url)[1].strip()
        == "tenant acme: created"
    )
    assert (
        run(capsys, "tenant", "create", "acme", "--storage-url", url)[1].strip()
        == "tenant acme: exists"
    )
    code, _, err = run(capsys, "tenant", "create", "no spaces", "--storage-url", url)
    assert code == 2 and "not valid" in err
    rows = json.loads(run(capsys, "tenant", "list", "--storage-url", url, "--json")[1])
    assert [r["tenant_id"] for r in rows] == ["acme"]


def test_plan_margin_and_dora_benchmark_from_the_cli(url: str, capsys) -> None:  # type: ignore[no-untyped-def]
    run(capsys, "tenant", "create", "acme", "--storage-url", url)
    code, out, _ = run(
        capsys,
        "tenant",
        "plan",
        "acme",
        "--fee",
        "365",
        "--from",
        "2026-01-01",
        "--storage-url",
        url,
    )
    assert code == 0 and "acme: plan standard at $365.00/month from 2026-01-01" in out
    code, out, _ = run(capsys, "metrics", "margin", "--tenant", "acme", "--since", "2026-02-01", "--until",
                       "2026-02-11", "--storage-url", url)  # fmt: skip
    assert code == 0 and "revenue $120.00, AI cost $0.00, gross margin $120.00 (100.0%)" in out
    code, _, err = run(
        capsys,
        "tenant",
        "plan",
        "acme",
        "--fee",
        "-3",
        "--from",
        "2026-01-01",
        "--storage-url",
        url,
    )
    assert code == 2 and "--fee" in err
    code, _, err = run(capsys, "metrics", "margin", "--tenant", "acm", "--storage-url", url)
    assert code != 0 and "Did you mean acme" in err and "Traceback" not in err
    code, _, err = run(
        capsys,
        "metrics",
        "dora",
        "--tenant",
        "acme",
        "--benchmark-year",
        "2022",
        "--storage-url",
        url,
    )
    assert code == 2 and "2021" in err and "2024" in err
    code, out, _ = run(
        capsys,
        "metrics",
        "dora",
        "--tenant",
        "acme",
        "--benchmark-year",
        "2021",
        "--storage-url",
        url,
    )
    assert code == 0 and "2021 clusters: no data" in out


def test_migrate_on_a_newer_store_is_refused_and_leaves_it_unchanged(url: str, capsys) -> None:  # type: ignore[no-untyped-def]
    import duckdb

    path = url.removeprefix("duckdb:///")
    con = duckdb.connect(path)
    con.execute("INSERT INTO schema_migrations VALUES (99, 'future', 'abc', now())")
    con.close()
    before = Path(path).read_bytes()
    for command in ("migrate", "init"):
        code, out, err = run(capsys, command, "--storage-url", url)
        assert code == 2 and out == "" and err.count("\n") == 1
        assert "schema version 99, newer than this matrix" in err
    code, _, err = run(capsys, "events", "count", "--tenant", "a", "--storage-url", url)
    assert code == 2 and "newer than this matrix" in err
    con = duckdb.connect(path, read_only=True)
    assert con.execute("SELECT max(version), count(*) FROM schema_migrations").fetchone() == (
        99,
        code_version() + 1,
    )
    con.close()
    assert len(Path(path).read_bytes()) == len(before)


def test_config_show_masks_secrets(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATRIX_STORAGE_URL", "postgresql://matrix:hunter2@db/matrix")
    _code, out, _ = run(capsys, "config", "show", "--json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["storage_url"]["value"] == "postgresql://matrix:****@db/matrix"
    assert rows["storage_url"]["source"] == "env MATRIX_STORAGE_URL"
    assert "hunter2" not in out


def test_bad_setting_in_env_is_a_config_error(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MATRIX_LOCK_TIMEOUT", "forever")
    code, _, err = run(capsys, "config", "show")
    assert code == 2 and "MATRIX_LOCK_TIMEOUT='forever' is not a number" in err


def test_console_script_runs_as_a_process(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "matrix", "events", "list", "--tenant", "x",
         "--storage-url", f"sqlite:///{tmp_path}/x.db"],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 2
    assert (
        done.stderr.startswith("error: Unknown storage URL scheme")
        and "Traceback" not in done.stderr
    )


def test_demo_leaves_a_migrated_store_with_simulated_traffic(tmp_path: Path) -> None:
    args = [sys.executable, "-m", "matrix", "demo", "--tenants", "2", "--days", "2", "--no-serve"]
    done = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Where to look next" in done.stdout and "simulated" in done.stdout
    assert (
        "[4/4] running the quality gates" in done.stdout
        and "gates pass; the others, and why" in done.stdout
    )
    assert "g01_contract_checks" not in done.stdout  # it passes, so it is not listed with a reason
    assert (
        "g02_preprod_validate no-data — " in done.stdout
    )  # no PostgreSQL server here: said, not hidden
    assert "sign in as admin / matrix-demo" in done.stdout
    assert "Persona 2 (WhatsApp agent) read" in done.stdout and "/conversations" in done.stdout
    store_file = tmp_path / "var" / "matrix.duckdb"
    assert store_file.exists()
    again = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path)
    assert again.returncode == 0 and "already present" in again.stdout
    import duckdb

    con = duckdb.connect(str(store_file), read_only=True)
    assert con.execute("SELECT max(version) FROM schema_migrations").fetchone() == (code_version(),)
    assert (
        con.execute("SELECT count(*) FROM event_log WHERE tenant_id = 'sim-01'").fetchone()[0] > 0
    )
    con.close()


def test_serve_refuses_several_workers_on_duckdb(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'store.duckdb'}"
    assert main(["init", "--storage-url", url]) == 0
    done = subprocess.run([sys.executable, "-m", "matrix", "serve", "--workers", "2", "--port", "0",
                           "--storage-url", url], capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "--workers 2 needs a PostgreSQL store" in done.stderr and "one worker" in done.stderr
    assert "dashboards:" not in done.stdout


def test_serve_prints_its_urls_serves_sign_in_and_the_api_and_stops_on_ctrl_c(
    tmp_path: Path,
) -> None:
    import signal
    import urllib.request

    url = f"duckdb:///{tmp_path / 'store.duckdb'}"
    assert main(["init", "--storage-url", url]) == 0
    proc = subprocess.Popen([sys.executable, "-m", "matrix", "serve", "--port", "0", "--storage-url", url],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("dashboards: http://127.0.0.1:"), line
        base = line.split()[1].rstrip("/")
        assert proc.stdout.readline().startswith(f"API docs: {base}/docs")
        with urllib.request.urlopen(base + "/login", timeout=10) as response:
            assert response.status == 200 and b'id="login-form"' in response.read()
        with urllib.request.urlopen(base + "/health", timeout=10) as response:
            assert response.status == 200 and b'"status":"ok"' in response.read()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        assert proc.returncode == 0 and "stopped" in out and "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
