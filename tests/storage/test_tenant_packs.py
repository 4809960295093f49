"""A tenant pack applied with the runtime's own save path, on both backends: the tenant, its config
and the deployment events in one go; an invalid pack changes nothing; and what the runtime then
does differently: the provider request (seen at the OpenAI-compatible server), the policy's
decision, the modules it may route to, memory recall and masked personal data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from matrix.concierge import Concierge
from matrix.concierge.packs import apply_pack, read_pack, sample_pack
from matrix.contracts import Catalog
from matrix.errors import PackError
from matrix.storage import Store
from tests.conftest import ROOT, row_counts

CATALOG = Catalog(ROOT / "contracts")
COLLECTION = "Cobre o cliente Pedro que está atrasado"


def _pack(tmp_path: Path, **edits: Any) -> Path:
    """A copy of the shipped pack with ``file=function(document)`` edits."""
    root = tmp_path / "pack"
    shutil.copytree(sample_pack(), root)
    for name, edit in edits.items():
        path = root / (name.replace("__", "/") + ".json")
        doc = json.loads(path.read_text("utf-8"))
        edit(doc)
        path.write_text(json.dumps(doc), "utf-8")
    return root


def _apply(concierge: Concierge, root: Path, tenant_id: str = "acme") -> dict[str, Any]:
    return apply_pack(concierge.runtimes, read_pack(root, CATALOG, tenant_id=tenant_id))


def _responses(server: Any) -> list[dict[str, Any]]:
    return [r["json"] for r in server.requests if r["endpoint"] == "responses"]


def test_apply_creates_the_tenant_stores_the_config_and_emits_deployments(
    concierge: Concierge, store: Store
) -> None:
    assert store.tenants.get("sample-tenant-001") is None
    result = apply_pack(concierge.runtimes, read_pack(sample_pack(), CATALOG))
    assert result["tenant"] == "created" and result["created"] is True
    summary = concierge.config_summary("sample-tenant-001")
    assert summary["runtime"]["model"] == "gpt-5.1-mini"
    assert summary["runtime"]["fallback_models"] == ["gpt-4.1-mini"]
    assert "Viva Owner Concierge" in summary["personas"]["owner_concierge_prompt"]
    assert summary["brand"] == {
        "palette": "ocean",
        "scheme": "light",
        "colours": None,
        "layout": "studio",
    }
    assert summary["policy"]["execution"] == "tenant"
    kinds = {e["payload"]["config_kind"] for e in store.events.list("sample-tenant-001", limit=50)
             if e["name"] == "tenant.config.changed"}  # fmt: skip
    assert kinds == {"model", "policy", "prompt", "runtime"}
    # Applying the same pack again changes nothing and deploys nothing.
    before = row_counts(store)
    again = apply_pack(concierge.runtimes, read_pack(sample_pack(), CATALOG))
    assert again["changes"] == {} and again["tenant"] == "exists"
    assert row_counts(store) == before


def test_a_dry_run_stores_nothing(concierge: Concierge, store: Store) -> None:
    before = row_counts(store)
    result = apply_pack(concierge.runtimes, read_pack(sample_pack(), CATALOG), dry_run=True)
    assert result["status"] == "dry_run" and result["tenant"] == "would be created"
    assert "prompt" in result["changes"]
    assert row_counts(store) == before


def test_an_invalid_pack_changes_nothing(
    concierge: Concierge, store: Store, tmp_path: Path
) -> None:
    concierge.save_config("acme", {"personas": {"owner_concierge_prompt": "Be brief."}})
    before, config = row_counts(store), concierge.config_summary("acme")

    def bad_rule(doc: dict[str, Any]) -> None:
        doc["rules"].append(
            {"key": "billing.discount.max", "value": 5, "priority": 40, "enabled": True}
        )

    root = _pack(tmp_path, policies__default=bad_rule,
                 personas__owner=lambda d: d["identity"].update(tone="bossy"))  # fmt: skip
    with pytest.raises(PackError) as caught:
        _apply(concierge, root)
    message = str(caught.value)
    assert "personas/owner.json at /identity/tone" in message
    assert (
        "policies/default.json at /rules/3/key: unknown rule key 'billing.discount.max'" in message
    )
    assert row_counts(store) == before
    assert concierge.config_summary("acme") == config


def test_a_pack_policy_rule_changes_the_decision(concierge: Concierge, tmp_path: Path) -> None:
    before = concierge.interact("acme", "s1", COLLECTION)
    assert before.policy_decision.as_dict()["execution_decision"] == "allow"
    _apply(concierge, sample_pack())
    after = concierge.interact("acme", "s2", COLLECTION)
    decided = after.policy_decision.as_dict()
    assert decided["execution_decision"] == "confirm_required"
    assert decided["reason_code"] == "owner_confirmation_required"
    assert after.confirmation is not None
    # The same rule set to false, in a pack whose WhatsApp persona forbids collections: denied.
    root = _pack(
        tmp_path,
        personas__whatsapp=lambda d: d["collection_policy"].update(allow_collection_messages=False),
    )
    _apply(concierge, root)
    denied = concierge.interact("acme", "s3", COLLECTION).policy_decision.as_dict()
    assert (denied["execution_decision"], denied["reason_code"]) == (
        "deny",
        "collection_messages_off",
    )


def test_a_disabled_module_is_refused_not_crashed(concierge: Concierge, tmp_path: Path) -> None:
    root = _pack(tmp_path, tenant=lambda d: d.update(modules=["crm", "customers", "billing"]))
    assert _apply(concierge, root)["modules"] == ["crm", "customers", "billing"]
    result = concierge.interact("acme", "s1", "Agendar reunião com a Ana sexta às 10h")
    decided = result.policy_decision.as_dict()
    assert (decided["execution_decision"], decided["reason_code"]) == ("deny", "module_disabled")
    assert result.downstream_tasks == ()
    # The owner persona's capabilities take modules away too.
    root = _pack(
        tmp_path / "b",
        personas__owner=lambda d: d["capabilities"].update(can_trigger_billing=False),
    )
    assert "billing" not in _apply(concierge, root)["modules"]
    refused = concierge.interact("acme", "s2", COLLECTION).policy_decision.as_dict()
    assert refused["reason_code"] == "module_disabled"


def test_the_daily_follow_up_limit_denies_the_next_one(
    concierge: Concierge, tmp_path: Path
) -> None:
    root = _pack(tmp_path, policies__default=lambda d: d["rules"][2].update(value=1))
    _apply(concierge, root)
    first = concierge.interact("acme", "s1", "Faz um follow-up com a Ana amanhã")
    assert first.policy_decision.as_dict()["execution_decision"] == "allow"
    second = concierge.interact("acme", "s2", "Faz um follow-up com a Ana amanhã").policy_decision
    assert (second.as_dict()["execution_decision"], second.as_dict()["reason_code"]) == (
        "deny",
        "daily_limit_reached",
    )


def test_the_owner_persona_reaches_the_provider_request(
    concierge: Concierge, openai_server: Any
) -> None:
    concierge.save_config("acme", {"openai": {"api_key": "sk-pack-0123456789",
                                              "base_url": openai_server.base_url}})  # fmt: skip
    concierge.interact("acme", "s0", "Como está o caixa hoje?")
    plain = _responses(openai_server)[-1]
    assert "temperature" not in plain and plain["model"] != "gpt-5.1-mini"
    _apply(concierge, sample_pack())
    concierge.interact("acme", "s1", "Como está o caixa hoje?")
    sent = _responses(openai_server)[-1]
    assert sent["model"] == "gpt-5.1-mini"
    assert sent["temperature"] == 0.25
    assert "You are Viva Owner Concierge, the executive-assistant" in sent["instructions"]
    assert "Answer in pt-BR" in sent["instructions"]


def test_the_fallback_model_answers_when_the_default_fails(
    concierge: Concierge, openai_server: Any
) -> None:
    from matrix.testing.openai_server import Behavior

    concierge.save_config("acme", {"openai": {"api_key": "sk-pack-0123456789",
                                              "base_url": openai_server.base_url}})  # fmt: skip
    _apply(concierge, sample_pack())
    # The default model fails on both endpoints (the client retries once on each).
    openai_server.script("responses", Behavior(status=404), Behavior(status=404))
    openai_server.script("chat", Behavior(status=404), Behavior(status=404))
    result = concierge.interact("acme", "s1", "Como está o caixa hoje?")
    assert result.assistant_output.model == "gpt-4.1-mini"
    assert (result.assistant_output.fallback_reason or "").startswith("fallback_model:")
    assert _responses(openai_server)[-1]["model"] == "gpt-4.1-mini"


def test_pii_is_masked_and_rag_off_recalls_nothing(
    concierge: Concierge, openai_server: Any, tmp_path: Path
) -> None:
    concierge.save_config("acme", {"openai": {"api_key": "sk-pack-0123456789",
                                              "base_url": openai_server.base_url}})  # fmt: skip
    root = _pack(tmp_path, personas__owner=lambda d: d["memory_policy"].update(rag_enabled=False))
    _apply(concierge, root)
    concierge.interact(
        "acme", "s1", "Our accountant is Ana Lima, ana@contas.example, +55 11 99999-1234."
    )
    sent = _responses(openai_server)[-1]
    text = json.dumps(sent["input"])
    assert "ana@contas.example" not in text and "[e-mail]" in text and "[phone]" in text
    concierge.interact("acme", "s2", "Who is our accountant?")
    asked = _responses(openai_server)[-1]
    assert "Ana Lima" not in asked["instructions"]  # no recall for this tenant
