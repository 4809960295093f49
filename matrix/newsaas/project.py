"""What a generated project checks about itself: its tenant pack, its brand and its theme.

A generated project's tests and its own gate call :func:`check_project`, so a project edited by
hand (a palette changed in ``tenant/tenant.json``, a persona made unreadable) is told what is
wrong in the same words as ``matrix tenant apply``: the pack is checked by
:func:`matrix.concierge.packs.check_pack`, the one pack checker (each file against its schema in
``contracts/tenant-pack/``, then across files), and only the theme's files are checked here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from matrix import brand
from matrix.concierge.packs import check_pack
from matrix.contracts import Catalog
from matrix.errors import UsageError
from matrix.issues import Issue, Issues

PACK = "tenant"
THEME = "theme"
THEME_FILES = ("brand.css", "plotly_template.json")


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


def check_project(root: str | Path, catalog: Catalog | None = None) -> Issues:
    """Every problem of a generated project's pack (as ``matrix tenant apply`` finds them, each
    file named as ``tenant/<file>``) and of its theme."""
    issues = Issues()
    if not (Path(root) / PACK).is_dir():
        issues.error(f"{PACK}/", "is missing: the project's tenant pack; run matrix new-saas "
                                 "--update to restore it")  # fmt: skip
    else:
        for found in check_pack(Path(root) / PACK, catalog):
            issues.add(found.level, f"{PACK}/{found.where}", found.message, pointer=found.pointer)
    for name in THEME_FILES:
        if not (Path(root) / THEME / name).is_file():
            issues.error(
                f"{THEME}/{name}", "is missing; run matrix new-saas --update to restore it"
            )
    return issues


# Where a rendered pack's problem comes from: (file, pointer prefix) → the flag that sets it.
_FLAGS = ((("tenant.json", "/brand/colours"), "--colours"), (("tenant.json", "/brand/scheme"), "--scheme"),
          (("tenant.json", "/brand"), "--palette"), (("tenant.json", "/name"), "--name"),
          (("tenant.json", "/tenant_id"), "--tenant"), (("tenant.json", "/layout"), "--layout"),
          (("tenant.json", "/modules"), "--modules"), (("", "/identity/display_name"), "--name"),
          (("", "/identity/language"), "--language"), (("", "/policy_set_name"), "--name"))  # fmt: skip


def refuse_invalid_pack(root: str | Path, catalog: Catalog | None = None) -> None:
    """Refuse a freshly rendered project whose pack ``matrix tenant apply`` would refuse.

    Raises:
        UsageError: every problem of the pack, each with its file, JSON pointer and the flag
            of ``matrix new-saas`` that sets it.
    """
    errors = check_pack(Path(root) / PACK, catalog).errors
    if not errors:
        return
    listed = []
    for issue in errors:
        flag = next((f for (name, prefix), f in _FLAGS
                     if issue.where.endswith(name) and issue.pointer.startswith(prefix)), "")  # fmt: skip
        listed.append(f"{flag + ': ' if flag else ''}{PACK}/{issue.where} at {issue.pointer or '/'}: "
                      f"{issue.message}")  # fmt: skip
    raise UsageError(f"The answers make a tenant pack that matrix tenant apply refuses: "
                     f"{'; '.join(listed)}. Nothing was written; change those answers.",
                     issues=errors)  # fmt: skip


def is_brand_problem(issue: Issue) -> bool:
    """Whether a problem of :func:`check_project` is about the brand (tenant.json's ``/brand``)."""
    return bool(issue.where == f"{PACK}/tenant.json" and (issue.pointer or "").startswith("/brand"))


def project_report(root: str | Path) -> dict[str, Any]:
    """:func:`check_project` as a gate records it: the problems of the brand (contrast, names)
    and of the rest of the pack and theme, counted apart, and every message."""
    issues = check_project(root)
    brand_errors = [i for i in issues.errors if is_brand_problem(i)]
    return {"pack_problems": len(issues.errors) - len(brand_errors),
            "brand_contrast_problems": len(brand_errors),
            "problems": [str(i) for i in issues.errors]}  # fmt: skip
