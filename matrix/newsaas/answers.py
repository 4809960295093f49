"""The answers a new SaaS project is generated from, checked all at once before anything is
written.

The same checks serve the command line (each problem names its flag) and the template itself:
``copier.yml`` validates its questions with the filters of :mod:`matrix.newsaas.render`, which
call the functions here, so ``copier copy`` and ``copier update`` refuse what ``matrix new-saas``
refuses, with the same words.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matrix import brand
from matrix.errors import UsageError
from matrix.issues import Issues

LAYOUTS = ("fabio2", "studio")
"""The consoles' layouts (origin §j.2); the origin's generator defaults to fabio2."""
MODULES = ("crm", "customers", "agenda", "billing", "agreements")
"""The business modules a tenant may enable, as ``matrix.modules.registry`` names them."""
SCHEMES = ("", *brand.SCHEMES)
"""A brand's scheme; empty is the palette's own."""
# The tenant id rule of the store (``matrix.storage.store``), so that a generated pack applies.
TENANT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,119}")
TENANT_RULE = (
    "use 1-120 letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. acme-01)"
)
# The personas' display names are the name and " WhatsApp Concierge" (19 characters), which the
# pack's schemas allow up to 80 characters; the tenant's name needs at least 2.
NAME_MAX = 80 - len(" WhatsApp Concierge")
NAME_MIN = 2
LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Z]{2})?")
FLAGS = {"project_name": "--name", "tenant_id": "--tenant", "palette": "--palette",
         "scheme": "--scheme", "colours": "--colours", "layout": "--layout",
         "modules": "--modules", "language": "--language"}  # fmt: skip
"""The flag of ``matrix new-saas`` that sets each answer, named in every problem."""


@dataclass(frozen=True, kw_only=True)
class Answers:
    """What the template asks, checked: the copier answers of a generated project."""

    project_name: str
    tenant_id: str
    palette: str = brand.default_palette()
    scheme: str = ""
    colours: Mapping[str, Any] = field(default_factory=dict)
    layout: str = "fabio2"
    modules: tuple[str, ...] = MODULES
    language: str = "pt-BR"

    @property
    def slug(self) -> str:
        return slug(self.project_name)

    def as_data(self) -> dict[str, Any]:
        """The answers as copier data (JSON values, modules in the registry's order)."""
        return {"project_name": self.project_name, "tenant_id": self.tenant_id,
                "palette": self.palette, "scheme": self.scheme, "colours": dict(self.colours),
                "layout": self.layout, "modules": list(self.modules),
                "language": self.language}  # fmt: skip


def slug(name: str) -> str:
    """The origin's slug: lower case, accents dropped (``Clínica`` → ``clinica``), every run
    of other characters a ``-``, trimmed."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name.lower())
                    if not unicodedata.combining(c))  # fmt: skip
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


def package_name(name: str) -> str:
    """The generated project's Python package: the slug with ``_``, never starting with a digit."""
    text = slug(name).replace("-", "_")
    return f"saas_{text}" if text[:1].isdigit() else text


def name_problem(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        return "the project name is empty; give the SaaS's name, e.g. 'Clinica Viva'"
    if any(ord(c) < 32 for c in value) or not NAME_MIN <= len(value) <= NAME_MAX:
        return (f"the project name {value!r} must be one line of {NAME_MIN} to {NAME_MAX} "
                "characters")  # fmt: skip
    if not slug(value):
        return f"the project name {value!r} has no letter or digit to make a slug of; add some"
    return ""


def tenant_problem(value: Any) -> str:
    if not isinstance(value, str) or not TENANT_ID.fullmatch(value):
        return f"the tenant id {value!r} is not valid: {TENANT_RULE}"
    return ""


def brand_problem(palette: Any, scheme: Any = "", colours: Any = None) -> str:
    """Every problem of a brand (unknown palette or scheme, a colour that is not ``#rrggbb``, a
    pair below its contrast minimum, each pair named), or empty when it resolves."""
    if colours is not None and not isinstance(colours, Mapping):
        return f"custom colours must be a JSON object of name: '#rrggbb', got {colours!r}"
    try:
        brand.resolve(str(palette or "") or None, scheme=str(scheme or "") or None,
                      colours=colours or None)  # fmt: skip
    except UsageError as exc:
        return str(exc)
    return ""


def check(
    *,
    project_name: Any,
    tenant_id: Any,
    palette: Any = None,
    scheme: Any = "",
    colours: Any = None,
    layout: Any = "fabio2",
    modules: Sequence[Any] | None = None,
    language: Any = "pt-BR",
) -> Answers:
    """The answers, checked.

    Raises:
        UsageError: every problem at once, each naming the flag that sets it and the fix.
    """
    issues = Issues()
    palette = palette or brand.default_palette()
    for key, problem in (("project_name", name_problem(project_name)),
                         ("tenant_id", tenant_problem(tenant_id)),
                         ("colours" if colours else "palette",
                          brand_problem(palette, scheme, colours))):  # fmt: skip
        if problem:
            issues.error(FLAGS[key], problem)
    if scheme not in SCHEMES:
        issues.error("--scheme", f"unknown scheme {scheme!r}; choose light or dark")
    if layout not in LAYOUTS:
        issues.error("--layout", f"unknown layout {layout!r}; choose {' or '.join(LAYOUTS)}")
    chosen = list(MODULES if modules is None else modules)
    unknown = [m for m in chosen if m not in MODULES]
    if unknown or not chosen:
        issues.error("--modules", f"{', '.join(map(repr, unknown)) or 'none'} chosen; enable one "
                                  f"or more of {', '.join(MODULES)}")  # fmt: skip
    if not isinstance(language, str) or not LANGUAGE.fullmatch(language):
        issues.error("--language", f"{language!r} is not a language tag like pt-BR or en")
    if issues.errors:
        raise UsageError("; ".join(f"{i.where}: {i.message}" for i in issues.errors),
                         issues=issues.errors)  # fmt: skip
    return Answers(project_name=str(project_name), tenant_id=str(tenant_id), palette=str(palette),
                   scheme=str(scheme), colours=dict(colours or {}), layout=str(layout),
                   modules=tuple(m for m in MODULES if m in chosen),
                   language=str(language))  # fmt: skip


def read_colours(value: str) -> dict[str, Any]:
    """Custom colours from ``--colours``: a JSON object, inline or in a file.

    Raises:
        UsageError: the file cannot be read, or it is not a JSON object.
    """
    text = value
    if not value.lstrip().startswith("{"):
        try:
            text = Path(value).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise UsageError(f"--colours: cannot read {value!r} ({reason}); give a JSON object "
                             "such as '{\"primary\": \"#1d4ed8\"}' or a file holding one.") from None  # fmt: skip
    try:
        colours = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        colours = None
    if not isinstance(colours, dict):
        raise UsageError("--colours: not a JSON object of name: '#rrggbb' (e.g. "
                         "'{\"primary\": \"#1d4ed8\"}').")  # fmt: skip
    return colours
