"""The tenant's brand (``matrix.brand``: the origin consoles' palettes, checked for contrast) in
the viewer's scheme, as the shell's CSS variables, Mantine's theme and the figures' template.

A tenant picks its palette in its runtime config (``brand.palette``); the app applies the palette
of the tenant in the filter. Unknown values fall back to darkgreen, as in the origin. The viewer
picks light or dark with the shell's toggle (kept in a cookie, so per browser); without a choice
a palette shows in its own default scheme.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from dashboards.context import scheme as chosen_scheme
from matrix import brand, viz

DEFAULT = brand.default_palette()


def _scheme(scheme: str | None) -> str | None:
    return scheme if scheme in brand.SCHEMES else None


Branded = brand.Brand | str | None
"""A resolved brand (``context.brand_of``), or a palette's name to resolve."""


def resolved(palette: Branded, scheme: str | None = None) -> brand.Brand:
    """The brand of ``palette`` (unknown: the default) in ``scheme`` (None: the viewer's choice
    for this request, else the palette's own); a :class:`matrix.brand.Brand` as it is."""
    if isinstance(palette, brand.Brand):
        return palette
    if scheme is None:
        scheme = chosen_scheme()
    return brand.resolve(palette if palette in brand.palettes() else None, scheme=_scheme(scheme))


def variables(palette: Branded, scheme: str | None = None) -> dict[str, str]:
    """The palette as CSS custom properties (``--color-bg`` …) plus the origin's spacing tokens."""
    return brand.css_variables(resolved(palette, scheme))


def plot_template(palette: Branded, scheme: str | None = None) -> go.layout.Template:
    """The figures' Plotly template: the brand's fonts, series colours, background and grid."""
    return viz.template(resolved(palette, scheme))


def mantine(palette: Branded, scheme: str | None = None) -> dict[str, Any]:
    """Mantine's theme for the brand: its fonts and radius (colours come from the CSS variables)."""
    b = resolved(palette, scheme)
    return {"fontFamily": b.fonts.get("body"), "headings": {"fontFamily": b.fonts.get("heading")},
            "fontFamilyMonospace": b.fonts.get("mono"), "defaultRadius": "md", "primaryColor": "teal"}  # fmt: skip
