"""A tenant key set, real traffic through the openai client, and no trace of the key anywhere."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from matrix.app import build
from matrix.cli import main
from matrix.config import Settings
from matrix.storage import open_store
from matrix.testing.openai_server import Behavior, OpenAIServer

KEY = "sk-live-TENANT-9f8e7d6c5b4a39281706"


def test_tenant_key_never_leaves_the_secret_store(
    tmp_path: Path,
    openai_server: OpenAIServer,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"duckdb:///{tmp_path / 's.duckdb'}"
    settings = Settings.load(storage_url=url)
    store = open_store(settings=settings, migrate=True)
    store.tenants.add("acme")
    concierge = build(settings, store=store).concierge
    summary = concierge.save_config(
        "acme", {"openai": {"api_key": KEY, "base_url": openai_server.base_url}}
    )
    assert summary["runtime"]["owner_response_mode"] == "openai"

    ok = concierge.interact("acme", "s1", "Schedule a meeting with Ana")
    assert ok["assistant_output"]["provider"] == "openai"
    concierge.interact("acme", "s1", "Write off Pedro's debt")
    # Upstream errors that quote the key, on both endpoints (and the SDK's retry).
    leak = Behavior(status=401, error_message=f"Incorrect API key provided: {KEY}.")
    openai_server.script("responses", leak, leak)
    openai_server.script(
        "chat",
        Behavior(status=500, error_message=f"key {KEY} rejected"),
        Behavior(status=500, error_message=f"key {KEY} rejected"),
    )
    degraded = concierge.interact("acme", "s1", "Send a follow-up to Ana")
    assert degraded.provider_error is not None and KEY not in str(degraded.as_dict())
    store.close()

    outputs = []
    for args in (
        ["tenant", "show", "acme", "--json"],
        ["config", "show", "--json"],
        ["events", "list", "--tenant", "acme", "--limit", "1000", "--json"],
        ["approvals", "list", "--tenant", "acme", "--status", "all", "--json"],
        ["chat", "--tenant", "acme", "-m", "Oi", "--json"],
    ):
        main([*args, "--storage-url", url] if args[0] != "config" else args)
        out, err = capsys.readouterr()
        outputs.append(out + err)
    assert all(KEY not in text for text in outputs)
    assert KEY not in caplog.text

    import duckdb

    con = duckdb.connect(url.removeprefix("duckdb:///"), read_only=True)
    tables = [
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    ]
    found_in = []
    for table in tables:
        if table == "tenant_secrets":
            continue
        rows = con.execute(f"SELECT * FROM {table}").fetchall()
        if KEY in json.dumps(rows, default=str):
            found_in.append(table)
    assert con.execute("SELECT count(*) FROM tenant_secrets").fetchone() == (1,)
    con.close()
    assert found_in == []
    assert "tenant_secrets" in tables and "telemetry" in tables and "event_log" in tables
