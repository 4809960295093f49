"""Build and validate command and event envelopes against ``contracts/``.

An envelope is a plain JSON object (a ``dict``) so that what is stored, sent and validated is
exactly what the schemas describe. Build them with :func:`command` and :func:`event`, which fill
ids and times, or on one operation's ids with :class:`Chain`; check any envelope with
:meth:`EnvelopeValidator.validate`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
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
    name: str, *, tenant_id: str, source_module: str, target_module: str, payload: dict[str, Any],
    actor: dict[str, str], correlation_id: str | None = None, causation_id: str | None = None,
    trace_id: str | None = None, clock: Clock = SYSTEM_CLOCK,
) -> Envelope:  # fmt: skip
    """A command envelope with fresh ids and the clock's time (not yet validated)."""
    return _build(
        "command", name, tenant_id, source_module, target_module, payload, correlation_id,
        causation_id, trace_id, clock, actor=actor,
    )  # fmt: skip


def event(
    name: str, *, tenant_id: str, source_module: str, target_module: str, payload: dict[str, Any],
    status: str | None = None, correlation_id: str | None = None, causation_id: str | None = None,
    trace_id: str | None = None, clock: Clock = SYSTEM_CLOCK,
) -> Envelope:  # fmt: skip
    """An event envelope with fresh ids and the clock's time (not yet validated)."""
    return _build(
        "event", name, tenant_id, source_module, target_module, payload, correlation_id,
        causation_id, trace_id, clock, status=status,
    )  # fmt: skip


def _build(
    kind: str, name: str, tenant_id: str, source_module: str, target_module: str,
    payload: dict[str, Any], correlation_id: str | None, causation_id: str | None,
    trace_id: str | None, clock: Clock, *, actor: dict[str, str] | None = None,
    status: str | None = None,
) -> Envelope:  # fmt: skip
    # The one builder: the keys stay in the order the stored envelopes have always had.
    is_command = kind == "command"
    id_key, at_key = ("command_id", "created_at") if is_command else ("event_id", "emitted_at")
    env: Envelope = {
        "schema_version": SCHEMA_VERSION,
        "kind": kind,
        id_key: new_id(),
        "name": name,
        "tenant_id": tenant_id,
        "source_module": source_module,
        "target_module": target_module,
        at_key: timestamp(clock.now()),
        "correlation_id": correlation_id or new_id(),
        "trace_id": trace_id or new_id(),
    }
    if actor is not None:
        env["actor"] = actor
    env["payload"] = payload
    if causation_id:
        env["causation_id"] = causation_id
    if status:
        env["status"] = status
    return env


@dataclass(frozen=True, kw_only=True)
class Chain:
    """The tenant, clock and ids one operation runs under; every envelope it builds carries them.

    Module work (``modules.context.Work``, which adds how a task's or a command's chain starts),
    the concierge and the approval workflow build their commands and events through this one type.
    """

    tenant_id: str
    clock: Clock
    correlation_id: str
    trace_id: str
    causation_id: str | None = None

    def event(self, name: str, source: str, target: str, payload: dict[str, Any], status: str | None = None,
              causation_id: str | None = None) -> Envelope:  # fmt: skip
        """An event on this chain, caused by ``causation_id`` (default: the chain's cause)."""
        return event(
            name, tenant_id=self.tenant_id, source_module=source, target_module=target, payload=payload,
            status=status, correlation_id=self.correlation_id, trace_id=self.trace_id,
            causation_id=causation_id or self.causation_id, clock=self.clock,
        )  # fmt: skip

    def command(self, name: str, source: str, target: str, payload: dict[str, Any], actor: dict[str, str],
                causation_id: str | None = None) -> Envelope:  # fmt: skip
        """A command on this chain, caused by ``causation_id`` (default: the chain's cause)."""
        return command(
            name, tenant_id=self.tenant_id, source_module=source, target_module=target, payload=payload,
            actor=actor, correlation_id=self.correlation_id, trace_id=self.trace_id,
            causation_id=causation_id or self.causation_id, clock=self.clock,
        )  # fmt: skip


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


CONTRACT_EXAMPLE_KEYS = frozenset({"description", "schema", "instance"})
"""The keys of a file of ``contracts/examples/``: the envelope is its ``instance``."""


def read_envelopes(text: str, name: str = "input") -> list[Any]:
    """The envelopes in ``text``: one JSON object, a JSON array, or one object per line (NDJSON).
    A contract example (``contracts/examples/*/NAME.json``) stands for the envelope it holds.

    Raises:
        ContractError: a line of NDJSON is not JSON (named by ``name`` and its line number).
        UsageError: a document nests deeper than :data:`matrix.values.MAX_JSON_DEPTH` levels,
            or holds a number that is not finite.
    """
    import json

    from matrix.values import json_value

    try:
        doc = json_value(text, name)
    except json.JSONDecodeError:
        found = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                found.append(json_value(line, f"{name} line {number}"))
            except json.JSONDecodeError as exc:
                raise ContractError(
                    f"{name} line {number} is not JSON ({exc.msg} at column {exc.colno});"
                    " give a JSON object, a JSON array, or one object per line."
                ) from None
        return found
    found = doc if isinstance(doc, list) else [doc]
    return [
        d["instance"] if isinstance(d, dict) and set(d) == CONTRACT_EXAMPLE_KEYS else d
        for d in found
    ]


def nul_pointer(value: Any, pointer: str = "") -> str | None:
    """The JSON pointer of the first key or string in ``value`` that holds a NUL character (no
    text anyone means to store, and PostgreSQL cannot), or None."""
    if isinstance(value, str):
        return (pointer or "/") if "\x00" in value else None
    items: Any = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        token = str(key).replace("~", "~0").replace("/", "~1")
        if "\x00" in str(key):
            return f"{pointer}/{token}"
        found = nul_pointer(item, f"{pointer}/{token}")
        if found:
            return found
    return None
