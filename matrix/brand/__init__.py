"""Brand tokens as data: the origin's four palettes (or a tenant's own colours), each in a light
and a dark scheme, checked for contrast, and rendered for every face.

``tokens.json`` holds the origin's console tokens (fonts, radii, spacing, shadows) and, per
palette and scheme, the colour set (background, cards, text, muted text, borders, the primary
colour and the text drawn on it, status colours and the series colours of charts). A brand is
refused when a pair of colours that carries text is unreadable (WCAG AA: 4.5:1 for text, 3:1 for
chart series on the background), and the refusal names every failing pair.

    brand = resolve("ocean")                       # a shipped palette in its default scheme
    brand = resolve("ocean", scheme="dark")
    brand = resolve(None, colours={"primary": "#7a2e8c"})   # custom colours over the default
    css_variables(brand)   # {"--color-bg": "#f8fafc", ..., "--font-body": ...}
    plotly_layout(brand)   # the layout of a Plotly template: fonts, colourway, grid, background

Nothing here imports plotly or dash: ``matrix.viz`` and ``dashboards/`` build their objects from
these plain values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from matrix.errors import UsageError
from matrix.issues import Issues

SCHEMES = ("light", "dark")
CUSTOM = "custom"
# The colours a scheme must define; ``series`` is the list of chart colours.
COLOUR_KEYS = ("bg", "bg-soft", "card", "text", "muted", "border", "primary", "primary-strong",
               "on-primary", "good", "warn", "bad")  # fmt: skip
# (foreground, background, minimum ratio, what the pair is): every pair that carries text (4.5:1)
# or a graphic the reader must tell from its background (3:1, WCAG 1.4.11).
PAIRS = (
    ("text", "bg", 4.5, "body text on the page background"),
    ("text", "card", 4.5, "body text on a card"),
    ("text", "bg-soft", 4.5, "body text on the soft background"),
    ("muted", "bg", 4.5, "secondary text on the page background"),
    ("muted", "card", 4.5, "secondary text on a card"),
    ("on-primary", "primary", 4.5, "button text on the primary colour"),
    ("good", "card", 3.0, "the 'good' status colour on a card"),
    ("warn", "card", 3.0, "the 'warning' status colour on a card"),
    ("bad", "card", 3.0, "the 'breach' status colour on a card"),
)
SERIES_MINIMUM = 3.0
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True, kw_only=True)
class Brand:
    """A palette resolved to one scheme: every colour, the chart series, and the shared tokens."""

    palette: str
    scheme: str
    colours: Mapping[str, str]
    series: tuple[str, ...]
    fonts: Mapping[str, str] = field(default_factory=dict)
    radii: Mapping[str, str] = field(default_factory=dict)
    spacing: Mapping[str, str] = field(default_factory=dict)
    shadows: Mapping[str, str] = field(default_factory=dict)

    @property
    def dark(self) -> bool:
        return self.scheme == "dark"


@cache
def tokens() -> dict[str, Any]:
    """The shipped tokens (package data ``matrix/brand/tokens.json``)."""
    text = resources.files("matrix.brand").joinpath("tokens.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def palettes() -> tuple[str, ...]:
    """The shipped palette names, the default first."""
    data = tokens()
    names = sorted(data["palettes"])
    names.remove(data["default_palette"])
    return (data["default_palette"], *names)


def default_palette() -> str:
    return str(tokens()["default_palette"])


def resolve(
    palette: str | None = None,
    *,
    scheme: str | None = None,
    colours: Mapping[str, Any] | None = None,
) -> Brand:
    """The brand of a palette (None = the default) in a scheme (None = the palette's own), with
    ``colours`` (custom colours, any of :data:`COLOUR_KEYS` and ``series``) over it.

    Raises:
        UsageError: an unknown palette or scheme, a colour that is not ``#rrggbb``, or a pair of
            colours below its contrast minimum; every problem is named at once.
    """
    issues = Issues()
    data = tokens()
    name = palette or data["default_palette"]
    if name not in data["palettes"]:
        issues.error("palette", f"unknown palette {name!r}; choose one of {', '.join(palettes())}"
                                " or give custom colours")  # fmt: skip
        name = data["default_palette"]
    spec = data["palettes"][name]
    chosen = scheme or spec["default_scheme"]
    if chosen not in SCHEMES:
        issues.error("scheme", f"unknown scheme {chosen!r}; choose light or dark")
        chosen = spec["default_scheme"]
    base = dict(spec["schemes"][chosen])
    series = tuple(base.pop("series"))
    for key, value in (colours or {}).items():
        if key == "series":
            values = value if isinstance(value, list | tuple) else [value]
            bad = [v for v in values if not isinstance(v, str) or not _HEX.match(v)]
            if bad or not values:
                issues.error("colours.series", "series must be a list of #rrggbb colours, "
                                               f"got {value!r}")  # fmt: skip
            else:
                series = tuple(str(v).lower() for v in values)
        elif key not in COLOUR_KEYS:
            issues.error(f"colours.{key}", f"unknown colour {key!r}; the colours are "
                                           f"{', '.join(COLOUR_KEYS)} and series")  # fmt: skip
        elif not isinstance(value, str) or not _HEX.match(value):
            issues.error(f"colours.{key}", f"{value!r} is not a colour; write it as #rrggbb")
        else:
            base[key] = value.lower()
    issues.raise_invalid("Invalid brand", then="Nothing was changed.")
    brand = Brand(palette=CUSTOM if colours else name, scheme=chosen, colours=base, series=series,
                  fonts=data["fonts"], radii=data["radii"], spacing=data["spacing"],
                  shadows=data["shadows"])  # fmt: skip
    check(brand).raise_invalid(f"The {brand.palette} palette ({chosen}) is unreadable",
                               then="Pick other colours; nothing was changed.")  # fmt: skip
    return brand


def from_config(config: Mapping[str, Any]) -> Brand:
    """The brand a tenant's runtime config names (its ``brand`` section: palette, scheme and
    custom colours, as ``matrix tenant apply`` stores a pack's), resolved.

    A stored brand was checked when it was saved; should it no longer resolve (the shipped tokens
    changed under it), the palette alone in the stored scheme is used, then the default palette,
    so that a face drawing the tenant's brand never fails on it.
    """
    spec = config.get("brand", config)
    spec = spec if isinstance(spec, Mapping) else {}
    palette, scheme, colours = spec.get("palette"), spec.get("scheme"), spec.get("colours")
    for name, chosen, custom in ((palette, scheme, colours), (palette, scheme, None)):
        try:
            return resolve(name if isinstance(name, str) else None,
                           scheme=chosen if isinstance(chosen, str) else None,
                           colours=custom if isinstance(custom, Mapping) else None)  # fmt: skip
        except UsageError:
            continue
    return resolve()


def check(brand: Brand) -> Issues:
    """Every pair of :data:`PAIRS` and every series colour against the card, each below its
    minimum an error naming both colours, the ratio and the minimum."""
    issues = Issues()
    c = brand.colours
    for fg, bg, minimum, what in PAIRS:
        ratio = contrast_ratio(c[fg], c[bg])
        if ratio < minimum:
            issues.error(f"colours.{fg}/{bg}", f"{what}: {fg} {c[fg]} on {bg} {c[bg]} has contrast "
                                               f"{ratio:.2f}:1, below {minimum}:1")  # fmt: skip
    for index, colour in enumerate(brand.series):
        ratio = contrast_ratio(colour, c["card"])
        if ratio < SERIES_MINIMUM:
            issues.error(f"colours.series[{index}]", f"chart series {colour} on card {c['card']} has"
                         f" contrast {ratio:.2f}:1, below {SERIES_MINIMUM}:1")  # fmt: skip
    return issues


def contrast_ratio(foreground: str, background: str) -> float:
    """The WCAG 2 contrast ratio of two ``#rrggbb`` colours, from 1 to 21."""
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else float(((c + 0.055) / 1.055) ** 2.4)

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def css_variables(brand: Brand) -> dict[str, str]:
    """The brand as CSS custom properties: ``--color-<key>``, ``--color-series-<n>``,
    ``--font-heading|body|mono``, ``--radius-*``, ``--space-*`` and ``--shadow-*``."""
    style = {f"--color-{k}": v for k, v in brand.colours.items()}
    style.update({f"--color-series-{i}": v for i, v in enumerate(brand.series, start=1)})
    style.update({f"--font-{k}": v for k, v in brand.fonts.items()})
    style.update({f"--radius-{k}": v for k, v in brand.radii.items()})
    style.update({f"--space-{k}": v for k, v in brand.spacing.items()})
    style.update({f"--shadow-{k}": v for k, v in brand.shadows.items()})
    return style


def plotly_layout(brand: Brand) -> dict[str, Any]:
    """The ``layout`` of a Plotly template for the brand: its fonts and text colour, the series
    as the colourway, the card as background, and quiet grid lines."""
    c = brand.colours
    axis = {"gridcolor": c["border"], "linecolor": c["border"], "zerolinecolor": c["border"],
            "tickfont": {"color": c["muted"]}, "title": {"font": {"color": c["muted"]}},
            "automargin": True}  # fmt: skip
    return {
        "font": {"family": brand.fonts.get("body", "sans-serif"), "color": c["text"], "size": 13},
        "title": {"font": {"family": brand.fonts.get("heading", "sans-serif"), "size": 16}, "x": 0},
        "colorway": list(brand.series),
        "paper_bgcolor": c["card"],
        "plot_bgcolor": c["card"],
        "xaxis": axis,
        "yaxis": axis,
        "legend": {"font": {"color": c["muted"]}, "orientation": "h", "y": -0.2},
        "hoverlabel": {"bgcolor": c["bg-soft"], "font": {"color": c["text"]}},
        "margin": {"l": 56, "r": 24, "t": 56, "b": 48},
    }
