"""The template's Jinja filters: the answers' checks and the brand rendered by ``matrix.brand``.

``copier.yml`` loads :class:`TemplateExtension` (``_jinja_extensions``), so the template's
validators are :mod:`matrix.newsaas.answers` and its theme files are what the dashboards use.
Copier counts an extension as code the template runs: ``matrix new-saas`` trusts its own
template; a plain ``copier copy`` or ``copier update`` of it needs ``--trust``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from jinja2 import Environment
from jinja2.ext import Extension

from matrix import brand
from matrix.newsaas import answers


def _brand(palette: Any, scheme: Any = "", colours: Any = None) -> brand.Brand:
    custom = colours if isinstance(colours, Mapping) and colours else None
    return brand.resolve(str(palette or "") or None, scheme=str(scheme or "") or None,
                         colours=custom)  # fmt: skip


def brand_css(palette: Any, scheme: Any = "", colours: Any = None) -> str:
    """The brand's CSS variables as a ``:root`` rule, one per line, in a stable order."""
    variables = brand.css_variables(_brand(palette, scheme, colours))
    lines = [f"  {name}: {value};" for name, value in variables.items()]
    return ":root {\n" + "\n".join(lines) + "\n}"


def plotly_template(palette: Any, scheme: Any = "", colours: Any = None) -> str:
    """The brand as a Plotly template (``{"layout": …}``), JSON with sorted keys."""
    layout = brand.plotly_layout(_brand(palette, scheme, colours))
    return json.dumps({"layout": layout}, indent=2, sort_keys=True, ensure_ascii=False)


def json_value(value: Any) -> str:
    """A value as JSON inside a JSON template (strings quoted and escaped)."""
    return json.dumps(value, ensure_ascii=False)


FILTERS = {
    "slug": answers.slug,
    "package_name": answers.package_name,
    "name_problem": answers.name_problem,
    "tenant_problem": answers.tenant_problem,
    "brand_problem": answers.brand_problem,
    "brand_css": brand_css,
    "plotly_template": plotly_template,
    "json_value": json_value,
}


class TemplateExtension(Extension):
    """Adds :data:`FILTERS` to the template's Jinja environment."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters.update(FILTERS)
