"""Tenant packs: a folder that says who a tenant is, read, checked whole, and loaded into the
tenant's runtime config, which the runtime reads on every request.

::

    PACK_DIR/
      tenant.json            id, name, brand (palette, scheme, custom colours), layout, modules
      personas/owner.json    Persona 1: identity, capabilities, model preferences, memory policy
      personas/whatsapp.json Persona 2: identity, style, lead fields, handoffs, collections
      policies/*.json        tenant rules (pack_rules.RULES), blocking or advisory

Each file is checked against its schema in ``contracts/tenant-pack/``, then across files (a
readable brand, known rule keys and handoff codes); every problem is named with its file and
JSON pointer before anything is stored (:func:`check_pack` returns those problems without
raising: ``matrix new-saas`` and a generated project check their pack with it). Applying a valid
pack is one call of the tenant runtime's own save path (:meth:`TenantRuntimes.prepare` and
:meth:`~TenantRuntimes.commit`): the tenant is registered if unknown and its config stored in
one transaction, with a ``tenant.config.changed`` event per kind of change (a deployment of kind
``config``). :func:`tenant_brand` reads the brand back, resolved.

What each part becomes: the owner persona → ``personas.owner_concierge_prompt`` (who answers,
in which language and tone, what it may do), ``openai.model``/``fallback_models``/``temperature``
and ``memory.rag_enabled``; its capabilities take modules away from routing (no tasks at all,
no agenda, no billing). The WhatsApp persona → ``personas.whatsapp_agent_prompt`` and ``agent.*``
(reply length, emoji, call to action, handoff rules, the lead fields a qualification needs).
tenant.json → ``brand.*`` and ``modules.enabled``. Rules → :mod:`matrix.concierge.pack_rules`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from matrix import brand, values
from matrix.concierge import pack_rules
from matrix.concierge.tenant import TenantRuntimes
from matrix.config import Settings
from matrix.contracts import Catalog, pointer_of
from matrix.errors import PackError, UsageError
from matrix.issues import Issue, Issues

SCHEMAS = {
    "tenant.json": "tenant-pack/tenant",
    "personas/owner.json": "tenant-pack/owner-persona",
    "personas/whatsapp.json": "tenant-pack/whatsapp-persona",
}
POLICY_SCHEMA = "tenant-pack/tenant-policy"
MAX_FILE_BYTES = 256 * 1024
TONES = {
    "neutral": "neutral and plain",
    "executive": "executive: brief, decisive, numbers first",
    "friendly": "friendly and warm, still brief",
    "concierge": "attentive, like a concierge",
    "sales": "commercial: move the contact towards the next step",
}


def sample_pack() -> Path:
    """The example pack shipped with the product (``matrix/data/packs/sample``)."""
    return Path(str(resources.files("matrix").joinpath("data/packs/sample")))


@dataclass(frozen=True, kw_only=True)
class TenantPack:
    """A checked pack: the tenant, the runtime-config update it makes, and what became of each
    rule and warning."""

    tenant_id: str
    name: str
    update: dict[str, Any]
    rules: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)


def check_pack(root: Path, catalog: Catalog | None = None) -> Issues:
    """Every problem of the pack at ``root``, errors and warnings, without raising: the checks
    :func:`read_pack` makes before it refuses a pack (``catalog`` defaults to the configured
    contracts). A pack with no errors is one ``matrix tenant apply`` accepts."""
    if catalog is None:
        catalog = Catalog(Settings.load().contracts_dir)
    root = Path(root)
    if not root.is_dir():
        issues = Issues()
        issues.error("PACK_DIR", f"{str(root)!r} is not a folder: give the folder that holds"
                                 " tenant.json, personas/ and policies/")  # fmt: skip
        return issues
    return _check(root, catalog)[0]


def read_pack(
    root: Path, catalog: Catalog, *, tenant_id: str | None = None, name: str | None = None
) -> TenantPack:
    """Read and check a pack folder whole; ``tenant_id``/``name`` replace tenant.json's (one
    pack for many tenants, as the demo's simulated tenants).

    Raises:
        PackError: every problem, each with its file and JSON pointer; nothing was read into
            any store.
    """
    root = Path(root)
    if not root.is_dir():
        raise PackError(f"PACK_DIR {str(root)!r} is not a folder: give the folder that holds"
                        " tenant.json, personas/ and policies/.", issues=())  # fmt: skip
    issues, checked = _check(root, catalog)
    _raise(root, issues)
    tenant, owner, whatsapp = checked.tenant, checked.owner, checked.whatsapp
    assert tenant is not None and owner is not None and whatsapp is not None
    tenant_id = tenant_id or tenant["tenant_id"]
    name = name or tenant["name"]
    update = _update(tenant, owner, whatsapp, checked.rules, checked.handoffs, name)
    return TenantPack(tenant_id=tenant_id, name=name, update=update, rules=checked.report,
                      warnings=list(issues.warnings))  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class _Checked:
    """The documents of a pack folder that passed their schemas, and what its rules set."""

    tenant: dict[str, Any] | None
    owner: dict[str, Any] | None
    whatsapp: dict[str, Any] | None
    rules: dict[str, Any]
    report: list[dict[str, Any]]
    handoffs: list[str]


def _check(root: Path, catalog: Catalog) -> tuple[Issues, _Checked]:
    issues = Issues()
    docs: dict[str, Any] = {}
    for rel, schema in SCHEMAS.items():
        docs[rel] = _load(root, rel, schema, catalog, issues)
    policy_paths = (
        sorted((root / "policies").glob("*.json")) if (root / "policies").is_dir() else []
    )
    if not policy_paths:
        issues.error("policies/", "no policy file: add at least one policies/<name>.json")
    policies = []
    for path in policy_paths:
        rel = f"policies/{path.name}"
        doc = _load(root, rel, POLICY_SCHEMA, catalog, issues)
        if doc is not None:
            policies.append(pack_rules.PolicyFile(name=rel, document=doc))
    tenant, whatsapp = docs["tenant.json"], docs["personas/whatsapp.json"]
    # Checks across files run on every file that passed its schema, so one run names everything.
    if tenant is not None:
        _check_brand(tenant["brand"], issues)
    chosen, report = pack_rules.map_policies(policies, issues)
    handoffs: list[str] = []
    if whatsapp is not None:
        handoffs = pack_rules.handoff_codes(
            whatsapp["handoff_policy"], issues, "personas/whatsapp.json"
        )
    checked = _Checked(tenant=tenant, owner=docs["personas/owner.json"], whatsapp=whatsapp,
                       rules=chosen, report=report, handoffs=handoffs)  # fmt: skip
    return issues, checked


def apply_pack(
    runtimes: TenantRuntimes, pack: TenantPack, *, dry_run: bool = False
) -> dict[str, Any]:
    """Store a checked pack as the tenant's runtime config (see the module docstring); with
    ``dry_run`` only say what would change.

    Raises:
        PackError: the config the pack makes is refused by the runtime config's own checks
            (nothing stored).
    """
    try:
        prepared = runtimes.prepare(pack.tenant_id, pack.update)
    except UsageError as exc:
        raise PackError(f"The pack's runtime config is refused: {exc}", issues=exc.issues) from None
    exists = runtimes.store.tenants.get(pack.tenant_id) is not None
    created = False
    if not dry_run:
        created = runtimes.commit(prepared, create_as=pack.name)
    return {
        "tenant_id": pack.tenant_id,
        "status": "dry_run" if dry_run else "applied",
        "tenant": "exists" if exists else ("would be created" if dry_run else "created"),
        "created": created,
        "changes": prepared.changes,
        "modules": prepared.config["modules"]["enabled"],
        "rules": pack.rules,
        "warnings": [str(w) for w in pack.warnings],
    }


def tenant_brand(runtimes: TenantRuntimes, tenant_id: str) -> brand.Brand:
    """The tenant's resolved brand from its runtime config: the palette, scheme and custom
    colours its pack (or ``matrix tenant config``) stored, as :func:`matrix.brand.from_config`
    resolves them.

    Raises:
        NotFoundError: unknown tenant.
    """
    return brand.from_config(runtimes.resolve(tenant_id).config)


def _load(root: Path, rel: str, schema: str, catalog: Catalog, issues: Issues) -> Any:
    path = root / rel
    if not path.is_file():
        issues.error(rel, "missing: a tenant pack holds tenant.json, personas/owner.json,"
                          " personas/whatsapp.json and policies/*.json")  # fmt: skip
        return None
    try:
        raw = path.read_bytes()
        if len(raw) > MAX_FILE_BYTES:
            issues.error(rel, f"{len(raw):,} bytes; a pack file may hold {MAX_FILE_BYTES:,}")
            return None
        doc = values.json_document(values.utf8(raw, "the file"), "the file")
    except UsageError as exc:
        issues.error(rel, str(exc).rstrip("."))
        return None
    except OSError as exc:
        issues.error(rel, f"cannot be read: {exc.strerror or exc}")
        return None
    found = catalog.errors(catalog.resolve_id(schema), doc)
    for error in sorted(found, key=lambda e: pointer_of(e.absolute_path)):
        why = error.schema.get("description") if isinstance(error.schema, dict) else None
        message = f"{error.message}: {why}" if error.validator == "const" and why else error.message
        issues.error(rel, message, pointer=pointer_of(error.absolute_path) or "/")
    return None if found else doc


def _check_brand(spec: dict[str, Any], issues: Issues) -> None:
    try:
        brand.resolve(spec["palette"], scheme=spec.get("scheme"), colours=spec.get("colours"))
    except UsageError as exc:
        for problem in exc.issues:
            where = problem.where.split("/")[0]  # colours.text/bg → /brand/colours/text
            pointer = "/brand/" + where.replace(".", "/").split("[")[0]
            issues.error("tenant.json", problem.message, pointer=pointer)


def _raise(root: Path, issues: Issues) -> None:
    if not issues.errors:
        return
    listed = "; ".join(f"{i.where} at {i.pointer}: {i.message}" if i.pointer else f"{i.where}: {i.message}"
                       for i in issues.errors)  # fmt: skip
    raise PackError(f"The tenant pack {root.name!r} is invalid: {listed}. Nothing was changed.",
                    issues=issues.errors)  # fmt: skip


def _update(
    tenant: dict[str, Any], owner: dict[str, Any], whatsapp: dict[str, Any],
    rules: dict[str, Any], handoffs: list[str], name: str,
) -> dict[str, Any]:  # fmt: skip
    """The runtime-config update the pack makes (every field it owns, so applying it again
    after an edit resets what the edit removed)."""
    caps, models = owner["capabilities"], owner["model_preferences"]
    modules = list(tenant["modules"])
    if not (caps["orchestrate_modules"] and caps["can_create_tasks"]):
        modules = []
    if not caps["can_update_agenda"]:
        modules = [m for m in modules if m != "agenda"]
    if not caps["can_trigger_billing"]:
        modules = [m for m in modules if m != "billing"]
    style, leads = whatsapp["conversation_style"], whatsapp["lead_policy"]
    brand_spec = tenant["brand"]
    return {
        "openai": {"model": models["default_model"], "fallback_models": list(models["fallback_models"]),
                   "temperature": models["temperature"]},
        "personas": {"owner_concierge_prompt": owner_prompt(owner, name),
                     "whatsapp_agent_prompt": whatsapp_prompt(whatsapp, name)},
        "memory": {"rag_enabled": owner["memory_policy"]["rag_enabled"]},
        "agent": {"max_message_chars": style["max_message_chars"], "emoji_policy": style["emoji_policy"],
                  "cta_enabled": style["cta_enabled"], "handoff_codes": handoffs,
                  "required_fields": list(leads["required_fields_for_qualification"])},
        "execution": {"followup_max_daily": rules.get("crm.followup.max_daily_messages")},
        "privacy": {"pii_redaction": bool(rules.get("privacy.pii_redaction", False))},
        "modules": {"enabled": modules},
        "brand": {"palette": brand_spec["palette"], "scheme": brand_spec.get("scheme"),
                  "colours": brand_spec.get("colours"), "layout": tenant["layout"]},
        "policy": {"execution": pack_rules.execution_policy(
            rules, whatsapp["collection_policy"]["allow_collection_messages"])},
    }  # fmt: skip


def owner_prompt(owner: dict[str, Any], business: str) -> str:
    """Persona 1's prompt from an owner persona: who answers, how, and what it may not do."""
    who, caps = owner["identity"], owner["capabilities"]
    lines = [
        f"You are {who['display_name']}, the {who['role']} of the owner of {business}.",
        f"Answer in {who['language']}. Tone: {TONES[who['tone']]}.",
    ]
    if not (caps["orchestrate_modules"] and caps["can_create_tasks"]):
        lines.append("You do not create tasks in the business modules: answer and advise only.")
    if not caps["can_update_agenda"]:
        lines.append("You do not change the agenda.")
    if not caps["can_trigger_billing"]:
        lines.append("You do not start charges or collections.")
    return " ".join(lines)


def whatsapp_prompt(persona: dict[str, Any], business: str) -> str:
    """Persona 2's prompt from a WhatsApp persona: who writes, in which language and tone."""
    who = persona["identity"]
    return (f"You are {who['display_name']}, writing for {business} on WhatsApp."
            f" Write in {who['language']}. Tone: {TONES[who['tone']]}.")  # fmt: skip
