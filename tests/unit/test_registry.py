"""The module registry: every planned task type has its module's handler, and the scheduler a
user starts holds every job."""

from __future__ import annotations

import json

from matrix.app import build
from matrix.config import Settings
from matrix.modules import registry
from matrix.modules.crm.outbound import RecordingTransport
from tests.conftest import ROOT

ROUTING = ROOT / "matrix" / "policy" / "data" / "task-routing.json"


def _routed_task_types() -> set[str]:
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("task_type"), str):
                found.add(node["task_type"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(ROUTING.read_text(encoding="utf-8")))
    return found


def test_every_routed_task_type_has_a_module_handler_except_the_denied_delete() -> None:
    assert _routed_task_types() - set(registry.handlers()) == {"customer.delete.request"}


def test_every_module_names_its_tables_and_commands_once() -> None:
    names = [s.name for s in registry.specs()]
    assert names == ["customers", "agenda", "billing", "crm", "agreements"]
    attrs = [t.attr for t in registry.tables()]
    assert len(attrs) == len(set(attrs)) == 24
    from matrix.cli import cli  # the command line registers every module's group

    assert {g.name for g in registry.command_groups()} == set(names) <= set(cli.commands)
    assert set(registry.outcomes()) == {"reminder", "collection", "followup", "conversation"}


def test_the_app_scheduler_holds_every_job() -> None:
    settings = Settings.load(storage_url="duckdb:///:memory:", provider_mode="local")
    with build(settings) as app:
        jobs = [job.name for job in app.scheduler().jobs]
        assert app.outbound_status().state == "off"
    # A DuckDB store is its own analytics engine: its job keeps telemetry sorted by tenant.
    assert jobs == ["tasks", "approval_expiry", "crm_ai", "memory", "reminders", "outbound",
                    "analytics_sync"]  # fmt: skip
    with build(settings, transport=RecordingTransport()) as app:
        status = app.outbound_status()
    assert status.state == "on" and "RecordingTransport" in status.message


def test_outbound_status_names_the_tenants_without_a_gateway() -> None:
    settings = Settings.load(storage_url="duckdb:///:memory:", provider_mode="local")
    with build(settings) as app:
        for tenant in ("acme", "beta"):
            app.store.tenants.add(tenant)
        app.concierge.save_config("acme", {"integrations": {"crm_evolution": {
            "base_url": "http://127.0.0.1:9", "instance_id": "acme-main", "api_key": "evo-key-123456"}}})  # fmt: skip
        status = app.outbound_status()
        routed = app.transport.tenants()  # type: ignore[attr-defined]
    assert status.state == "partial" and routed == {"acme"}
    assert status.tenants_on == ("acme",) and status.tenants_off == ("beta",)
    assert "off for beta" in status.message and "MATRIX_EVOLUTION_BASE_URL" in status.message
    platform = Settings.load(storage_url="duckdb:///:memory:", evolution_base_url="http://127.0.0.1:9",
                             evolution_api_key="evo-platform-key")  # fmt: skip
    with build(platform) as app:
        assert app.outbound_status().every_tenant and app.transport.tenants() is None  # type: ignore[attr-defined]
