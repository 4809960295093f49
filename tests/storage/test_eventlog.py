"""The event log behaves the same on DuckDB and PostgreSQL."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matrix import envelopes as env
from matrix.clock import FrozenClock
from matrix.errors import ContractError, UsageError
from matrix.storage import Store
from tests.factories import lead_created, task_chain


def test_eventlog_round_trips_envelopes_exactly(store: Store, clock: FrozenClock) -> None:
    chain = task_chain("acme", clock)
    # Unicode, nesting and floats must survive byte for byte.
    chain[0]["payload"]["text"] = "Agendar reunião com a Ana às 10h — urgente ✅"
    chain[1]["payload"]["input"] = {"amount": 1234.5, "nested": {"list": [1, 2.25, None, True]}}
    store.events.append_many(chain)
    got = store.events.trace("acme", chain[0]["correlation_id"])
    assert got == chain
    assert [json.dumps(e, sort_keys=True) for e in got] == [
        json.dumps(e, sort_keys=True) for e in chain
    ]


def test_trace_returns_whole_chain_in_append_order(store: Store, clock: FrozenClock) -> None:
    chain = task_chain("acme", clock)
    other = task_chain("acme", clock)
    for a, b in zip(chain, other, strict=True):  # interleave two correlations
        store.events.append(a)
        store.events.append(b)
    got = store.events.trace("acme", chain[0]["correlation_id"])
    assert [e["name"] for e in got] == [e["name"] for e in chain]
    assert got == chain


def test_trace_has_no_window_limit(store: Store, clock: FrozenClock) -> None:
    corr = env.new_id()
    chains = [task_chain("acme", clock, correlation_id=corr) for _ in range(60)]
    flat = [e for c in chains for e in c]
    store.events.append_many(flat)
    assert len(store.events.trace("acme", corr)) == len(flat) == 300


def test_append_is_idempotent_by_envelope_id(store: Store, clock: FrozenClock) -> None:
    chain = task_chain("acme", clock)
    assert store.events.append_many(chain).as_dict() == {"added": 5, "duplicates": 0}
    assert store.events.append(chain[0]) is False
    again = store.events.append_many([*chain, lead_created("acme", clock)])
    assert again.as_dict() == {"added": 1, "duplicates": 5}
    assert store.events.count("acme") == 6


def test_invalid_envelope_in_batch_stores_nothing(store: Store, clock: FrozenClock) -> None:
    chain = task_chain("acme", clock)
    broken = copy.deepcopy(chain)
    broken[3]["payload"]["task_id"] = "not-a-uuid"
    with pytest.raises(ContractError) as info:
        store.events.append_many(broken)
    assert info.value.pointer == "/3/payload/task_id"
    assert info.value.schema_id.endswith("events/module.task.completed.schema.json")
    assert store.events.count("acme") == 0


def test_reads_never_return_another_tenants_rows(store: Store, clock: FrozenClock) -> None:
    shared_corr = env.new_id()
    a = task_chain("tenant-a", clock, correlation_id=shared_corr)
    b = task_chain("tenant-b", clock, correlation_id=shared_corr)
    store.events.append_many(a + b + [lead_created("tenant-b", clock)])
    # Same correlation id in both tenants: each trace sees only its own.
    assert store.events.trace("tenant-a", shared_corr) == a
    assert store.events.trace("tenant-b", shared_corr) == b
    assert all(e["tenant_id"] == "tenant-a" for e in store.events.list("tenant-a", limit=100))
    assert store.events.list("tenant-a", name="crm.lead.created") == []
    assert store.events.count("tenant-a") == 5
    assert store.events.count("tenant-b") == 6
    assert store.events.trace("tenant-c", shared_corr) == []
    assert store.events.count_all_tenants() == {"tenant-a": 5, "tenant-b": 6}


@pytest.mark.parametrize("tenant", ["", None])
def test_reads_refuse_a_missing_tenant(store: Store, tenant: object) -> None:
    with pytest.raises(UsageError, match="tenant"):
        store.events.list(tenant)  # type: ignore[arg-type]


def test_list_filters_by_name_kind_and_time(store: Store, clock: FrozenClock) -> None:
    start = clock.now()
    early = task_chain("acme", clock)
    clock.advance(timedelta(days=1))
    middle = clock.now()
    late = task_chain("acme", clock)
    store.events.append_many(early + late)
    assert len(store.events.list("acme", kind="command", limit=100)) == 4
    assert len(store.events.list("acme", name="module.task.accepted", limit=100)) == 2
    newest = store.events.list("acme", since=middle, limit=100)
    assert newest == list(reversed(late))
    assert store.events.list("acme", until=middle, limit=100) == list(reversed(early))
    assert store.events.count("acme", since=start, until=middle) == 5
    assert store.events.list("acme", limit=2) == list(reversed(late))[:2]
    with pytest.raises(UsageError, match="limit"):
        store.events.list("acme", limit=0)


_tenants = st.sampled_from(["t-alpha", "t-beta", "t-gamma"])


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=st.lists(st.tuples(_tenants, st.integers(0, 2)), min_size=1, max_size=12))
def test_tenant_isolation_holds_for_any_mix(
    store: Store, clock: FrozenClock, plan: list[tuple[str, int]]
) -> None:
    """Whatever mix of tenants shares correlation ids, each read sees exactly its own rows."""
    run = env.new_id()[:8]
    corrs = [env.new_id() for _ in range(3)]
    written: dict[str, list[dict[str, object]]] = {}
    batch = []
    for tenant, corr_index in plan:
        chain = task_chain(f"{tenant}-{run}", clock, correlation_id=corrs[corr_index])
        written.setdefault(f"{tenant}-{run}", []).extend(chain)
        batch.extend(chain)
    store.events.append_many(batch)
    for tenant, mine in written.items():
        assert store.events.count(tenant) == len(mine)
        for corr in corrs:
            expected = [e for e in mine if e["correlation_id"] == corr]
            assert store.events.trace(tenant, corr) == expected
        assert {e["tenant_id"] for e in store.events.list(tenant, limit=1000)} == {tenant}


def test_telemetry_rows_are_tenant_scoped(store: Store, clock: FrozenClock) -> None:
    rows = [
        {"tenant_id": t, "recorded_at": clock.now(), "kind": "provider_call", "name": "respond",
         "status": "ok", "latency_ms": 812.5, "provider": "local", "model": "local-echo",
         "input_tokens": 120, "output_tokens": 48}
        for t in ("acme", "acme", "globex")
    ]  # fmt: skip
    assert store.telemetry.insert_many(rows) == 3
    assert store.telemetry.count("acme") == 2
    assert store.telemetry.count("globex") == 1
    with pytest.raises(UsageError, match="latency"):
        store.telemetry.insert_many([{"tenant_id": "acme", "latencyms": 1}])


def test_tenants_add_is_idempotent_and_validated(store: Store) -> None:
    assert store.tenants.add("acme", "ACME Ltda") is True
    assert store.tenants.add("acme", "Other name") is False
    got = store.tenants.get("acme")
    assert got is not None and got.display_name == "ACME Ltda"
    with pytest.raises(UsageError, match="tenant_id"):
        store.tenants.add("bad tenant!")
    assert [t.tenant_id for t in store.tenants.list()] == ["acme"]
