"""Envelope identity is per tenant, on both backends: a reused id never drops another's envelope."""

from __future__ import annotations

import copy

from matrix.clock import FrozenClock
from matrix.storage import Store
from matrix.storage.migrate import code_version, rollback
from tests.factories import lead_created


def _same_id_for(tenant_id: str, envelope: dict) -> dict:  # type: ignore[type-arg]
    twin = copy.deepcopy(envelope)
    twin["tenant_id"] = tenant_id
    return twin


def test_envelope_reusing_another_tenants_id_is_stored_as_its_own(
    store: Store, clock: FrozenClock
) -> None:
    b = lead_created("tenant-b", clock)
    a = _same_id_for("tenant-a", b)
    assert store.events.append(b) is True
    assert store.events.append(a) is True
    assert store.events.list("tenant-a") == [a] and store.events.list("tenant-b") == [b]
    assert store.events.trace("tenant-a", a["correlation_id"]) == [a]
    assert store.events.trace("tenant-b", b["correlation_id"]) == [b]
    # Within one tenant the id still identifies the envelope: a retry is a no-op.
    assert store.events.append(a) is False
    assert store.events.count_all_tenants() == {"tenant-a": 1, "tenant-b": 1}


def test_one_batch_carrying_two_tenants_with_one_id_stores_both(
    store: Store, clock: FrozenClock
) -> None:
    b = lead_created("tenant-b", clock)
    result = store.events.append_many([b, _same_id_for("tenant-a", b), b])
    assert result.as_dict() == {"added": 2, "duplicates": 1}
    assert store.events.count("tenant-a") == 1 and store.events.count("tenant-b") == 1


def test_rolling_back_the_per_tenant_key_keeps_the_log(store: Store, clock: FrozenClock) -> None:
    envelopes = [lead_created("acme", clock) for _ in range(3)]
    store.events.append_many(envelopes)
    rollback(store.backend, target=13)
    assert store.events.list("acme", limit=10) == envelopes[::-1]
    assert store.migrate().after == code_version()
    assert store.events.append(_same_id_for("globex", envelopes[0])) is True
    assert store.events.list("acme", limit=10) == envelopes[::-1]
