"""Tenant runtime resolution: a tenant's stored config with defaults, its AI settings and rules.

Reading resolves the config the interaction runs with (the shipped routing and policy unless
the tenant overrides them); saving validates an update and records each kind of change as a
``tenant.config.changed`` event, which the delivery metrics count as a deployment of kind
``config``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from matrix import envelopes as env
from matrix.clock import Clock
from matrix.concierge.ports import RuntimeStore, TenantAI
from matrix.concierge.runtime_config import DEFAULTS, changed_kinds, normalize, summary
from matrix.policy import Decision, decide, parse_policy, parse_routing
from matrix.policy.rules import ExecutionPolicy, RoutingTable, shipped_policy, shipped_routing

FOLLOWUP = "crm.followup.send"
"""The task type a tenant's ``execution.followup_max_daily`` limits."""


@functools.cache
def module_of() -> dict[str, str]:
    """Task type → the name of the module that handles it (``matrix.modules.registry``)."""
    from matrix.modules.registry import specs

    return {task_type: spec.name for spec in specs() for task_type in spec.handlers}


@dataclass(frozen=True, kw_only=True)
class TenantRuntime:
    """A tenant's resolved runtime: config, AI settings and rules."""

    tenant_id: str
    config: dict[str, Any]
    ai: TenantAI
    routing: RoutingTable
    policy: ExecutionPolicy

    @property
    def personas(self) -> dict[str, str] | None:
        """The tenant's non-blank persona prompts, if any."""
        found = {
            k: v for k, v in self.config["personas"].items() if isinstance(v, str) and v.strip()
        }
        return found or None

    @property
    def confirmations_enabled(self) -> bool:
        """Confirmations are on unless the tenant explicitly turned them off."""
        return self.config["execution"]["confirmations_enabled"] is not False

    @property
    def rag_enabled(self) -> bool:
        """Memory recalls into (and remembers from) the tenant's requests unless turned off."""
        return self.config["memory"]["rag_enabled"] is not False

    def routes_to(self, task_type: str) -> bool:
        """Whether the module that handles ``task_type`` is one the tenant enabled (every
        module when the tenant never chose)."""
        enabled = self.config["modules"]["enabled"]
        module = module_of().get(task_type)
        return enabled is None or module is None or module in enabled


@dataclass(frozen=True, kw_only=True)
class Prepared:
    """A validated config update, not stored yet: the config, its secrets, and what changes."""

    tenant_id: str
    config: dict[str, Any]
    secrets: dict[str, str | None]
    changes: dict[str, list[str]]


_MAX_RESOLVED = 1_000


class TenantRuntimes:
    """Resolves and updates the runtime config of every tenant of one store."""

    def __init__(self, store: RuntimeStore, clock: Clock, *, allow_loopback: bool = False) -> None:
        """``allow_loopback``: a tenant's URLs may point at this machine
        (``MATRIX_ALLOW_LOOPBACK_URLS``)."""
        self.store = store
        self.clock = clock
        self.allow_loopback = allow_loopback
        self._routing = shipped_routing()
        self._policy = shipped_policy()
        # Config with defaults and the tenant's parsed rules, by stored version: a saved config
        # was validated when saved, so each interaction need not rebuild and re-parse it.
        self._resolved: dict[
            tuple[str, int, Any], tuple[dict[str, Any], RoutingTable, ExecutionPolicy]
        ] = {}

    def resolve(self, tenant_id: str) -> TenantRuntime:
        """The tenant's config with defaults, AI settings and rules (shipped or the tenant's).

        Raises:
            NotFoundError: unknown tenant.
            PolicyError: the tenant's routing or execution override is invalid.
        """
        # One read for the tenant, its config and its key: this runs on every interaction.
        loaded = self.store.tenant_runtime.load(tenant_id, "openai.api_key")
        if loaded is None:
            self.store.tenants.require(tenant_id)  # raises, naming the closest known tenants
            loaded = self.store.tenant_runtime.load(tenant_id, "openai.api_key")  # added just now
            assert loaded is not None
        stored, key = loaded.config, loaded.secret
        config, routing, policy = self._rules(tenant_id, stored)
        ai = TenantAI(
            mode=config["provider"]["mode"],
            api_key=key,
            model=config["openai"]["model"] if stored else None,
            base_url=config["openai"]["base_url"],
            temperature=config["openai"]["temperature"],
            fallback_models=tuple(config["openai"]["fallback_models"] or ()) if stored else (),
        )
        return TenantRuntime(tenant_id=tenant_id, config=config, ai=ai, routing=routing,
                             policy=policy)  # fmt: skip

    def _rules(
        self, tenant_id: str, stored: tuple[dict[str, Any], int, Any] | None
    ) -> tuple[dict[str, Any], RoutingTable, ExecutionPolicy]:
        """The tenant's config with defaults and its routing and policy rules (shipped or its
        own), built once per stored version."""
        key = (tenant_id, stored[1], stored[2]) if stored else (tenant_id, 0, None)
        if key in self._resolved:
            return self._resolved[key]
        config = normalize({}, stored[0] if stored else None)[0]
        routing = self._routing
        if config["policy"]["routing"]:
            routing = parse_routing(
                config["policy"]["routing"], f"tenant {tenant_id} policy.routing"
            )
        policy = self._policy
        if config["policy"]["execution"]:
            policy = parse_policy(
                config["policy"]["execution"], f"tenant {tenant_id} policy.execution"
            )
        if len(self._resolved) >= _MAX_RESOLVED:
            self._resolved.clear()
        self._resolved[key] = (config, routing, policy)
        return config, routing, policy

    def summary(self, tenant_id: str) -> dict[str, Any]:
        """The origin's runtime-config summary; secrets only as "configured"."""
        self.store.tenants.require(tenant_id)
        stored = self.store.runtime_config.get(tenant_id)
        config = normalize({}, stored[0] if stored else None)[0]
        updated = env.timestamp(stored[2]) if stored else None
        return summary(
            tenant_id, config, self.store.runtime_config.secret_names(tenant_id), updated
        )

    def decide(self, runtime: TenantRuntime, task_type: str, target_module: str) -> Decision:
        """The execution policy's decision for a planned task of this tenant: its modules, its
        daily follow-up limit, its rules and its confirmations switch."""
        limit = runtime.config["execution"]["followup_max_daily"]
        over = False
        if task_type == FOLLOWUP and limit is not None:
            now = self.clock.now().astimezone(UTC)
            midnight = datetime.combine(now.date(), time(), tzinfo=UTC)
            over = self.store.tasks.count_created(runtime.tenant_id, task_type, midnight) >= limit
        return decide(task_type, target_module, runtime.policy,
                      confirmations_enabled=runtime.confirmations_enabled,
                      module_enabled=runtime.routes_to(task_type), over_daily_limit=over)  # fmt: skip

    def save(self, tenant_id: str, update: Any) -> dict[str, Any]:
        """Validate and store a config update; emits ``tenant.config.changed`` per kind changed."""
        self.store.tenants.require(tenant_id)
        self.commit(self.prepare(tenant_id, update))
        return self.summary(tenant_id)

    def prepare(self, tenant_id: str, update: Any) -> Prepared:
        """Validate an update over the tenant's stored config (the defaults for a tenant not
        registered yet); nothing is stored.

        Raises:
            UsageError: naming every unknown or invalid field.
        """
        stored = self.store.runtime_config.get(tenant_id)
        before = stored[0] if stored else None
        config, secrets = normalize(update, before, allow_loopback=self.allow_loopback)
        old_names = self.store.runtime_config.secret_names(tenant_id)
        secrets_changed = any(
            v is not None and (v != "" or name in old_names) for name, v in secrets.items()
        )
        kinds = changed_kinds(before or DEFAULTS, config, secrets_changed)
        return Prepared(tenant_id=tenant_id, config=config, secrets=secrets, changes=kinds)

    def commit(self, prepared: Prepared, *, create_as: str | None = None) -> bool:
        """Store a prepared update and its ``tenant.config.changed`` events (one per kind of
        change: a deployment of kind ``config``) in one transaction; ``create_as`` registers
        the tenant under that name first, in the same transaction, when it is unknown.
        Returns whether the tenant was created."""
        tenant_id, config, secrets, kinds = (
            prepared.tenant_id, prepared.config, prepared.secrets, prepared.changes
        )  # fmt: skip
        now = self.clock.now()
        with self.store.transaction():
            created = create_as is not None and self.store.tenants.add(tenant_id, create_as)
            version = self.store.runtime_config.save(tenant_id, config, secrets, now)
            self.store.events.append_many(
                [
                    env.event(
                        "tenant.config.changed",
                        tenant_id=tenant_id,
                        source_module=env.OWNER,
                        target_module=env.OWNER,
                        status="info",
                        clock=self.clock,
                        payload={
                            "config_kind": kind,
                            "version": str(version),
                            "changed_fields": fields,
                        },
                    )
                    for kind, fields in sorted(kinds.items())
                ]
            )
        return created
