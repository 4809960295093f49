"""What a generated project checks about itself: its tenant pack, its brand and its theme.

A generated project's tests and its own gate call :func:`check_project`, so a project edited by
hand (a palette changed in ``tenant/tenant.json``, a persona made unreadable) is told what is
wrong in the same words as ``matrix new-saas``. The pack's shape is checked here only as far as
the template writes it (origin §j.3); ``matrix tenant apply`` holds the schemas themselves.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from matrix import brand
from matrix.issues import Issues
from matrix.newsaas import answers

PACK = "tenant"
THEME = "theme"
PACK_FILES = ("tenant.json", "personas/owner.json", "personas/whatsapp.json",
              "policies/default.json")  # fmt: skip
THEME_FILES = ("brand.css", "plotly_template.json")
# The members each pack document must have (origin §j.3), by file.
REQUIRED = {
    "tenant.json": ("schema_version", "tenant_id", "name", "brand", "layout", "modules"),
    "personas/owner.json": ("schema_version", "persona_type", "identity", "capabilities",
                            "model_preferences", "memory_policy", "avatar"),
    "personas/whatsapp.json": ("schema_version", "persona_type", "identity", "conversation_style",
                               "lead_policy", "handoff_policy", "collection_policy"),
    "policies/default.json": ("schema_version", "policy_set_name", "scope", "enforcement_mode",
                              "rules"),
}  # fmt: skip


def read_pack(root: str | Path, issues: Issues | None = None) -> dict[str, Any]:
    """The pack's documents by file (a file that cannot be read is an issue, and left out)."""
    found: dict[str, Any] = {}
    for name in PACK_FILES:
        path = Path(root) / PACK / name
        try:
            found[name] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            if issues is not None:
                issues.error(f"{PACK}/{name}", f"cannot be read as JSON ({exc})")
    return found


def project_brand(root: str | Path) -> brand.Brand:
    """The brand ``tenant/tenant.json`` names, resolved (and checked for contrast) by
    ``matrix.brand``.

    Raises:
        UsageError: the brand is unknown or unreadable, every failing pair named.
    """
    tenant = json.loads((Path(root) / PACK / "tenant.json").read_text(encoding="utf-8"))
    spec = tenant.get("brand") or {}
    return brand.resolve(spec.get("palette"), scheme=spec.get("scheme") or None,
                         colours=spec.get("colours") or None)  # fmt: skip


def check_project(root: str | Path) -> Issues:
    """Every problem of a generated project's pack, brand and theme, each naming its file."""
    issues = Issues()
    pack = read_pack(root, issues)
    for name, keys in REQUIRED.items():
        doc = pack.get(name)
        if not isinstance(doc, dict):
            continue
        for key in keys:
            if key not in doc:
                issues.error(f"{PACK}/{name}", f"has no {key!r}; the template writes one")
    tenant = pack.get("tenant.json")
    if isinstance(tenant, dict):
        _check_tenant(tenant, issues)
    owner = pack.get("personas/owner.json")
    if isinstance(owner, dict):
        if owner.get("persona_type") != "owner":
            issues.error(f"{PACK}/personas/owner.json", "persona_type must be 'owner'")
        if (owner.get("memory_policy") or {}).get("silent_learning_writes") is not False:
            issues.error(f"{PACK}/personas/owner.json",
                         "memory_policy.silent_learning_writes must be false")  # fmt: skip
    whatsapp = pack.get("personas/whatsapp.json")
    if isinstance(whatsapp, dict) and whatsapp.get("persona_type") != "whatsapp":
        issues.error(f"{PACK}/personas/whatsapp.json", "persona_type must be 'whatsapp'")
    policy = pack.get("policies/default.json")
    if isinstance(policy, dict) and not policy.get("rules"):
        issues.error(f"{PACK}/policies/default.json", "needs at least one rule")
    for name in THEME_FILES:
        if not (Path(root) / THEME / name).is_file():
            issues.error(
                f"{THEME}/{name}", "is missing; run matrix new-saas --update to restore it"
            )
    return issues


def _check_tenant(tenant: dict[str, Any], issues: Issues) -> None:
    where = f"{PACK}/tenant.json"
    if problem := answers.tenant_problem(tenant.get("tenant_id")):
        issues.error(where, problem)
    spec = tenant.get("brand")
    if isinstance(spec, dict):
        problem = answers.brand_problem(spec.get("palette"), spec.get("scheme") or "",
                                        spec.get("colours"))  # fmt: skip
        if problem:
            issues.error(f"{where} brand", problem)
    if tenant.get("layout") not in answers.LAYOUTS:
        issues.error(where, f"layout {tenant.get('layout')!r} is not one of {answers.LAYOUTS}")
    modules = tenant.get("modules")
    if not isinstance(modules, list) or not modules or set(modules) - set(answers.MODULES):
        issues.error(where, f"modules {modules!r} must be some of {', '.join(answers.MODULES)}")


def project_report(root: str | Path) -> dict[str, Any]:
    """:func:`check_project` as a gate records it: the problems of the brand (contrast, names)
    and of the rest of the pack and theme, counted apart, and every message."""
    issues = check_project(root)
    brand_errors = [i for i in issues.errors if i.where.endswith(" brand")]
    return {"pack_problems": len(issues.errors) - len(brand_errors),
            "brand_contrast_problems": len(brand_errors),
            "problems": [str(i) for i in issues.errors]}  # fmt: skip
