"""Build and validate command and event envelopes against ``contracts/``.

An envelope is a plain JSON object (a ``dict``) so that what is stored, sent and validated is
exactly what the schemas describe. Build them with :func:`command` and :func:`event`, which fill
ids and times; check any envelope with :meth:`EnvelopeValidator.validate`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from matrix.clock import SYSTEM_CLOCK, Clock
from matrix.contracts import Catalog
from matrix.errors import ContractError

SCHEMA_VERSION = "1.0.0"

OWNER = "mod-01-owner-concierge"
CRM = "mod-02-whatsapp-crm"
CUSTOMERS = "mod-03-clientes"
AGENDA = "mod-04-agenda"
BILLING = "mod-05-faturamento-cobranca"
MODULES = (OWNER, CRM, CUSTOMERS, AGENDA, BILLING)

Envelope = dict[str, Any]


def new_id() -> str:
    """A fresh UUID in canonical text form."""
    return str(uuid.uuid4())


def timestamp(at: datetime) -> str:
    """RFC 3339 text for an aware datetime, in UTC with a ``Z`` suffix."""
    return at.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_timestamp(text: str) -> datetime:
    """The aware UTC datetime of an RFC 3339 text written by :func:`timestamp` (or any offset)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def command(
    name: str,
    *,
    tenant_id: str,
    source_module: str,
    target_module: str,
    payload: dict[str, Any],
    actor: dict[str, str],
    correlation_id: str | None = None,
    causation_id: str | None = None,
    trace_id: str | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> Envelope:
    """A command envelope with fresh ids and the clock's time (not yet validated)."""
    env: Envelope = {
        "schema_version": SCHEMA_VERSION,
        "kind": "command",
        "command_id": new_id(),
        "name": name,
        "tenant_id": tenant_id,
        "source_module": source_module,
        "target_module": target_module,
        "created_at": timestamp(clock.now()),
        "correlation_id": correlation_id or new_id(),
        "trace_id": trace_id or new_id(),
        "actor": actor,
        "payload": payload,
    }
    if causation_id:
        env["causation_id"] = causation_id
    return env


def event(
    name: str,
    *,
    tenant_id: str,
    source_module: str,
    target_module: str,
    payload: dict[str, Any],
    status: str | None = None,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    trace_id: str | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> Envelope:
    """An event envelope with fresh ids and the clock's time (not yet validated)."""
    env: Envelope = {
        "schema_version": SCHEMA_VERSION,
        "kind": "event",
        "event_id": new_id(),
        "name": name,
        "tenant_id": tenant_id,
        "source_module": source_module,
        "target_module": target_module,
        "emitted_at": timestamp(clock.now()),
        "correlation_id": correlation_id or new_id(),
        "trace_id": trace_id or new_id(),
        "payload": payload,
    }
    if causation_id:
        env["causation_id"] = causation_id
    if status:
        env["status"] = status
    return env


def envelope_id(env: Envelope) -> str:
    """The id of a command or event envelope."""
    return str(env["command_id"] if env.get("kind") == "command" else env["event_id"])


def occurred_at(env: Envelope) -> str:
    """When a command was created or an event emitted."""
    return str(env["created_at"] if env.get("kind") == "command" else env["emitted_at"])


class EnvelopeValidator:
    """Validates envelopes against the per-name schemas of a :class:`Catalog`."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def validate(self, env: Any) -> None:
        """Raise :class:`ContractError` (schema id, JSON pointer, value) unless ``env`` is valid."""
        if not isinstance(env, dict):
            raise ContractError(
                f"An envelope must be a JSON object, got {type(env).__name__}.", value=env
            )
        kind = env.get("kind")
        if kind not in ("command", "event"):
            raise ContractError(
                f'/kind: must be "command" or "event", got {kind!r}.', pointer="/kind", value=kind
            )
        name = env.get("name")
        if not isinstance(name, str):
            raise ContractError(
                f"/name: a {kind} needs a dotted name, got {name!r}.", pointer="/name", value=name
            )
        self.catalog.validate(self.catalog.schema_id(kind, name), env)


@lru_cache(maxsize=8)
def validator_for(contracts_dir: Path) -> EnvelopeValidator:
    """A cached validator for one contracts folder."""
    return EnvelopeValidator(Catalog(contracts_dir))


def read_envelopes(text: str, name: str = "input") -> list[Any]:
    """The envelopes in ``text``: one JSON object, a JSON array, or one object per line (NDJSON).

    Raises:
        ContractError: a line of NDJSON is not JSON (named by ``name`` and its line number).
    """
    import json

    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        found = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                found.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ContractError(
                    f"{name} line {number} is not JSON ({exc.msg} at column {exc.colno});"
                    " give a JSON object, a JSON array, or one object per line."
                ) from None
        return found
    return doc if isinstance(doc, list) else [doc]
