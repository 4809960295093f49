"""The tenant's brand (``matrix.brand``: the origin consoles' palettes, checked for contrast) as
the shell's CSS variables and the figures' template.

A tenant picks its palette in its runtime config (``brand.palette``); the app applies the palette
of the tenant in the filter. Unknown values fall back to darkgreen, as in the origin.
"""

from __future__ import annotations

from matrix import brand

DEFAULT = brand.default_palette()


def _brand(palette: str | None) -> brand.Brand:
    return brand.resolve(palette if palette in brand.palettes() else None)


def variables(palette: str | None) -> dict[str, str]:
    """The palette as CSS custom properties (``--color-bg`` …) plus the origin's spacing tokens."""
    return brand.css_variables(_brand(palette))


def plot_template(palette: str | None) -> str:
    return "plotly_dark" if _brand(palette).dark else "plotly_white"
