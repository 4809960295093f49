"""The contract catalog: complete, valid 2020-12, and its examples prove what they claim."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matrix.cli import main
from matrix.contracts import Catalog
from matrix.envelopes import EnvelopeValidator
from matrix.errors import ContractError
from tests.conftest import ROOT

ORIGIN_COMMANDS = {
    "owner.command.create", "module.task.create", "crm.whatsapp.send", "agenda.reminder.schedule",
    "agenda.reminder.dispatch.request", "billing.collection.request",
    "billing.collection.dispatch.request", "customer.record.upsert",
}  # fmt: skip
ORIGIN_EVENTS = {
    "owner.command.created", "owner.confirmation.requested", "owner.confirmation.approved",
    "owner.confirmation.rejected", "owner.response.claim.blocked", "owner.context.promoted",
    "owner.memory.reembed.started", "owner.memory.reembed.completed", "owner.memory.reembed.failed",
    "memory.episode.created", "memory.promoted.from_episode", "module.task.created",
    "module.task.accepted", "module.task.completed", "module.task.failed", "crm.lead.created",
    "crm.lead.converted", "crm.account.created", "crm.account.updated", "crm.contact.created",
    "crm.contact.updated", "crm.deal.created", "crm.deal.updated", "crm.deal.stage.changed",
    "crm.activity.created", "crm.task.created", "crm.view.created", "crm.campaign.created",
    "crm.campaign.state.changed", "crm.followup.scheduled", "crm.followup.sent",
    "crm.followup.failed", "crm.delegation.sent", "crm.delegation.failed", "customer.created",
    "customer.updated", "agenda.reminder.scheduled", "agenda.reminder.sent",
    "agenda.reminder.failed", "agenda.reminder.canceled", "billing.charge.created",
    "billing.collection.requested", "billing.payment.confirmed", "billing.collection.sent",
    "billing.collection.failed",
}  # fmt: skip

CONTRACTS = ROOT / "contracts"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog(CONTRACTS)


def test_catalog_has_every_origin_command_and_event(catalog: Catalog) -> None:
    assert len(ORIGIN_COMMANDS) == 8 and len(ORIGIN_EVENTS) == 45
    assert set(catalog.names("command")) >= ORIGIN_COMMANDS
    assert set(catalog.names("event")) >= ORIGIN_EVENTS


def test_shipped_contracts_check_clean(catalog: Catalog) -> None:
    report = catalog.check()
    assert report.issues == []
    assert report.valid_examples >= 10 and report.invalid_examples >= 10


def test_every_event_and_command_has_a_valid_example_shape(catalog: Catalog) -> None:
    """Each per-name schema pins its own name, so an envelope cannot pass under another name."""
    for kind in ("command", "event"):
        for name in catalog.names(kind):  # type: ignore[arg-type]
            schema = json.loads((CONTRACTS / f"{kind}s" / f"{name}.schema.json").read_text())
            assert schema["properties"]["name"] == {"const": name}
            assert schema["allOf"] == [{"$ref": f"../envelope.{kind}.schema.json"}]


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "contracts"
    shutil.copytree(CONTRACTS, target)
    return target


def _check(contracts_dir: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    code = main(["contracts", "check", "--contracts-dir", str(contracts_dir), "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_check_exits_zero_on_shipped_contracts(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = _check(CONTRACTS, capsys)
    assert code == 0 and report["ok"] is True


def test_check_fails_when_invalid_example_fails_at_another_pointer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy(tmp_path)
    path = root / "examples" / "invalid" / "negative-amount.json"
    doc = json.loads(path.read_text())
    doc["invalid_at"] = "/payload/currency"
    path.write_text(json.dumps(doc))
    code, report = _check(root, capsys)
    assert code == 1
    [issue] = report["issues"]
    assert issue["file"] == "examples/invalid/negative-amount.json"
    assert "/payload/amount" in issue["message"]


def test_check_fails_when_invalid_example_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy(tmp_path)
    path = root / "examples" / "invalid" / "phone-not-e164.json"
    doc = json.loads(path.read_text())
    doc["instance"]["payload"]["phone_e164"] = "+5511999990000"
    path.write_text(json.dumps(doc))
    code, report = _check(root, capsys)
    assert code == 1
    assert report["issues"][0]["message"] == "invalid example passes validation"


def test_check_fails_when_valid_example_is_invalid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy(tmp_path)
    path = root / "examples" / "valid" / "crm.lead.created.json"
    doc = json.loads(path.read_text())
    doc["instance"]["payload"]["stage"] = "negotiation"
    path.write_text(json.dumps(doc))
    code, report = _check(root, capsys)
    assert code == 1
    assert report["issues"][0]["pointer"] == "/payload/stage"


def test_check_fails_on_a_schema_that_breaks_the_meta_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy(tmp_path)
    path = root / "events" / "crm.lead.converted.schema.json"
    doc = json.loads(path.read_text())
    doc["properties"]["payload"]["required"] = "lead_id"  # must be an array
    path.write_text(json.dumps(doc))
    (root / "events" / "broken.schema.json").write_text("{not json")
    code, report = _check(root, capsys)
    assert code == 1
    files = {i["file"] for i in report["issues"]}
    assert files == {"events/crm.lead.converted.schema.json", "events/broken.schema.json"}


def test_check_collects_every_problem_not_just_the_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy(tmp_path)
    for name in ("negative-amount.json", "short-trace-id.json"):
        path = root / "examples" / "invalid" / name
        doc = json.loads(path.read_text())
        del doc["invalid_at"]
        path.write_text(json.dumps(doc))
    code, report = _check(root, capsys)
    assert code == 1 and len(report["issues"]) == 2


def test_validator_names_schema_pointer_and_value(catalog: Catalog) -> None:
    example = json.loads(
        (CONTRACTS / "examples" / "valid" / "billing.collection.request.json").read_text()
    )
    envelope = example["instance"]
    envelope["payload"]["currency"] = "reais"
    with pytest.raises(ContractError) as info:
        EnvelopeValidator(catalog).validate(envelope)
    assert info.value.pointer == "/payload/currency"
    assert info.value.value == "reais"
    assert info.value.schema_id.endswith("commands/billing.collection.request.schema.json")
    assert "/payload/currency" in str(info.value) and "reais" in str(info.value)


def test_unknown_name_suggests_the_closest(catalog: Catalog) -> None:
    envelope = json.loads((CONTRACTS / "examples" / "valid" / "crm.lead.created.json").read_text())[
        "instance"
    ]
    envelope["name"] = "crm.lead.creatd"
    with pytest.raises(ContractError, match=r"Did you mean crm\.lead\.created"):
        EnvelopeValidator(catalog).validate(envelope)


@pytest.mark.parametrize("bad", [[], "text", {"kind": "thing"}, {"kind": "event", "name": 3}])
def test_malformed_envelopes_get_a_contract_error(catalog: Catalog, bad: object) -> None:
    with pytest.raises(ContractError):
        EnvelopeValidator(catalog).validate(bad)


def test_fast_and_reference_validators_agree_on_every_example(catalog: Catalog) -> None:
    """The compiled fast path must never accept what the reference validator rejects."""
    for path in sorted((CONTRACTS / "examples").glob("*/*.json")):
        example = json.loads(path.read_text())
        schema_id = catalog.resolve_id(example["schema"])
        reference_ok = not catalog.errors(schema_id, example["instance"])
        try:
            catalog._fast(schema_id)(example["instance"])
            fast_ok = True
        except Exception:
            fast_ok = False
        assert fast_ok == reference_ok, path.name


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-10, 10, allow_nan=False)
    | st.text(max_size=12) | st.sampled_from(["+5511999990000", "BRL", "2026-11-02T09:30:00Z"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)  # fmt: skip


def _leaf_paths(node: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    if isinstance(node, dict):
        return [prefix] + [p for k, v in node.items() for p in _leaf_paths(v, (*prefix, k))]
    if isinstance(node, list):
        return [prefix] + [p for i, v in enumerate(node) for p in _leaf_paths(v, (*prefix, i))]
    return [prefix]


_VALID = sorted((CONTRACTS / "examples" / "valid").glob("*.json"))


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_fast_path_never_accepts_what_the_reference_rejects(data: st.DataObject) -> None:
    catalog = _CATALOG
    example = json.loads(data.draw(st.sampled_from(_VALID)).read_text())
    instance = example["instance"]
    path = data.draw(st.sampled_from(_leaf_paths(instance)[1:]))
    value = data.draw(_json_values)
    target = instance
    for key in path[:-1]:
        target = target[key]
    if data.draw(st.booleans()) and isinstance(target, dict):
        target.pop(path[-1])
    else:
        target[path[-1]] = value
    schema_id = catalog.resolve_id(example["schema"])
    reference_ok = not catalog.errors(schema_id, instance)
    try:
        catalog._fast(schema_id)(instance)
    except Exception:
        return  # a fast rejection is always re-checked by the reference validator
    assert reference_ok, f"fast path accepted an invalid {example['schema']}: {path} = {value!r}"


_CATALOG = Catalog(CONTRACTS)
