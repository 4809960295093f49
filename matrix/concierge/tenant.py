"""Tenant runtime resolution: a tenant's stored config with defaults, its AI settings and rules.

Reading resolves the config the interaction runs with (the shipped routing and policy unless
the tenant overrides them); saving validates an update and records each kind of change as a
``tenant.config.changed`` event, which the delivery metrics count as a deployment of kind
``config``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from matrix import envelopes as env
from matrix.clock import Clock
from matrix.concierge.ports import RuntimeStore, TenantAI
from matrix.concierge.runtime_config import DEFAULTS, changed_kinds, normalize, summary
from matrix.policy import parse_policy, parse_routing
from matrix.policy.rules import ExecutionPolicy, RoutingTable, shipped_policy, shipped_routing


@dataclass(frozen=True, kw_only=True)
class TenantRuntime:
    """A tenant's resolved runtime: config, AI settings and rules."""

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
        )
        return TenantRuntime(config=config, ai=ai, routing=routing, policy=policy)

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

    def save(self, tenant_id: str, update: Any) -> dict[str, Any]:
        """Validate and store a config update; emits ``tenant.config.changed`` per kind changed."""
        self.store.tenants.require(tenant_id)
        stored = self.store.runtime_config.get(tenant_id)
        before = stored[0] if stored else None
        config, secrets = normalize(update, before, allow_loopback=self.allow_loopback)
        old_names = self.store.runtime_config.secret_names(tenant_id)
        secrets_changed = any(
            v is not None and (v != "" or name in old_names) for name, v in secrets.items()
        )
        kinds = changed_kinds(before or DEFAULTS, config, secrets_changed)
        now = self.clock.now()
        with self.store.transaction():
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
        return self.summary(tenant_id)
