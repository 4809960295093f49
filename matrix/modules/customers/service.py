"""Customers (module 03): idempotent by external key, merge with an audit trail, lookup by name."""

from __future__ import annotations

from typing import Any

from matrix import envelopes as env
from matrix.errors import NotFoundError, UsageError
from matrix.modules import values
from matrix.modules.context import Work, create_once
from matrix.modules.ports import ModuleStore, Record
from matrix.policy.rules import words

ORIGINS = ("manual_owner", "lead_conversion")


def _event(name: str, work: Work, customer: Record, source_module: str) -> env.Envelope:
    target = env.CRM if source_module == env.CRM else env.OWNER
    return work.event(name, env.CUSTOMERS, target, {
        "customer_id": customer["customer_id"], "origin": customer["origin"], "status": customer["status"],
        "external_key": customer["external_key"], "source_module": source_module if source_module in (env.OWNER, env.CRM) else env.OWNER,
    })  # fmt: skip


def upsert(
    store: ModuleStore, work: Work, *, display_name: str, phone: str | None = None,
    email: str | None = None, external_key: str | None = None, origin: str = "manual_owner",
    source_module: str = env.OWNER, lead_id: str | None = None, metadata: dict[str, Any] | None = None,
) -> tuple[Record, str]:  # fmt: skip
    """Create a customer, or return the one with this external key unchanged ("idempotent").

    Returns the record and ``created`` or ``idempotent``; only a creation emits ``customer.created``.
    """
    name = values.name(display_name)
    if phone is not None:
        values.phone(phone, "primary_phone")
    if email is not None:
        email = values.email(email, "primary_email")
    if origin not in ORIGINS:
        raise UsageError(f"origin must be one of {list(ORIGINS)}, got {origin!r}.")
    if origin == "lead_conversion" and not lead_id:
        raise UsageError("A lead_conversion customer needs the lead_id it came from.")
    fields = {"display_name": name, "primary_phone": phone, "primary_email": email, "origin": origin,
              "status": "active", "lead_id": lead_id, "merged_into": None, "metadata": metadata or {}}  # fmt: skip
    return create_once(store, work, store.modules.customers, "customer_id", fields, external_key=external_key,
                       events=lambda c: [_event("customer.created", work, c, source_module)])  # fmt: skip


def update(store: ModuleStore, work: Work, customer_id: str, changes: dict[str, Any]) -> Record:
    """Change a customer's name, phone, email or status; emits ``customer.updated``."""
    allowed = {"display_name", "primary_phone", "primary_email", "status"}
    unknown = set(changes) - allowed
    if unknown or not changes:
        raise UsageError(f"changes may set {sorted(allowed)}; got {sorted(changes) or 'nothing'}.")
    if "display_name" in changes:
        changes["display_name"] = values.name(changes["display_name"])
    if changes.get("primary_phone") is not None:
        values.phone(changes["primary_phone"], "primary_phone")
    if changes.get("primary_email") is not None:
        changes["primary_email"] = values.email(changes["primary_email"], "primary_email")
    if "status" in changes and changes["status"] not in ("active", "inactive"):
        raise UsageError("status must be active or inactive.")
    with store.transaction():
        current = require(store, work.tenant_id, customer_id)
        store.modules.customers.update(
            work.tenant_id, customer_id, {**changes, "updated_at": work.clock.now()}
        )
        updated = {**current, **changes}
        store.events.append_many([_event("customer.updated", work, updated, env.OWNER)])
    return updated


def merge(
    store: ModuleStore,
    work: Work,
    keep_id: str,
    duplicate_id: str,
    *,
    actor: str,
    reason: str | None = None,
) -> Record:
    """Fold a duplicate into the kept customer: the duplicate is archived, the merge audited."""
    if keep_id == duplicate_id:
        raise UsageError("A customer cannot be merged into itself.")
    with store.transaction():
        kept = require(store, work.tenant_id, keep_id)
        duplicate = require(store, work.tenant_id, duplicate_id)
        if duplicate["merged_into"]:
            raise UsageError(
                f"Customer {duplicate_id} was already merged into {duplicate['merged_into']}."
            )
        now = work.clock.now()
        fill = {
            k: duplicate[k]
            for k in ("primary_phone", "primary_email")
            if not kept[k] and duplicate[k]
        }
        if fill:
            store.modules.customers.update(work.tenant_id, keep_id, {**fill, "updated_at": now})
        store.modules.customers.update(work.tenant_id, duplicate_id,
                                       {"status": "inactive", "merged_into": keep_id, "updated_at": now})  # fmt: skip
        store.modules.customer_merges.insert({
            "merge_id": env.new_id(), "tenant_id": work.tenant_id, "kept_customer_id": keep_id,
            "merged_customer_id": duplicate_id, "actor": actor, "reason": reason,
            "snapshot": {k: str(v) for k, v in duplicate.items()}, "merged_at": now,
        })  # fmt: skip
        store.events.append_many([work.event("customer.merged", env.CUSTOMERS, env.OWNER, {
            "customer_id": keep_id, "merged_customer_id": duplicate_id, "actor_id": actor}, status="info")])  # fmt: skip
    return {**kept, **fill}


def require(store: ModuleStore, tenant_id: str, customer_id: str) -> Record:
    customer = store.modules.customers.get(tenant_id, customer_id)
    if customer is None:
        raise NotFoundError(f"No customer {customer_id!r} for tenant {tenant_id!r}.")
    return customer


def find_in_text(store: ModuleStore, tenant_id: str, text: str) -> Record | None:
    """The active customer whose name best matches words in ``text`` (first name counts)."""
    tokens = set(words(text))
    best, score = None, 0
    for customer in store.modules.customers.find(tenant_id, status="active", limit=5000):
        parts = words(customer["display_name"])
        hits = sum(1 for p in parts if p in tokens)
        if hits and (
            hits > score
            or (hits == score and best and len(parts) < len(words(best["display_name"])))
        ):
            best, score = customer, hits
    return best
