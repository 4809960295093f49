"""Brand tokens: every shipped palette is readable in both schemes; an unreadable one is refused
with the failing pair named; custom colours are validated field by field."""

from __future__ import annotations

from typing import Any

import pytest

from matrix import brand
from matrix.errors import UsageError


@pytest.mark.parametrize("scheme", brand.SCHEMES)
@pytest.mark.parametrize("palette", brand.palettes())
def test_brand_every_shipped_palette_passes_the_contrast_check(palette: str, scheme: str) -> None:
    resolved = brand.resolve(palette, scheme=scheme)
    assert not brand.check(resolved).errors
    assert set(brand.COLOUR_KEYS) <= set(resolved.colours) and len(resolved.series) >= 6


def test_brand_origin_palettes_and_default() -> None:
    assert brand.palettes()[0] == "darkgreen" == brand.default_palette()
    assert set(brand.palettes()) == {"darkgreen", "ocean", "forest", "sunset"}
    assert brand.resolve(None).dark and not brand.resolve("ocean").dark


def test_brand_contrast_ratio_matches_wcag() -> None:
    assert brand.contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert brand.contrast_ratio("#777777", "#777777") == pytest.approx(1.0)
    # WCAG's own example: #767676 on white is the lightest grey that passes AA (4.54:1).
    assert brand.contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def test_brand_unreadable_colours_are_refused_with_the_failing_pair_named() -> None:
    with pytest.raises(UsageError) as caught:
        brand.resolve("ocean", colours={"text": "#e0e6ee"})
    message = str(caught.value)
    assert "text #e0e6ee on bg #f8fafc" in message and "below 4.5:1" in message
    assert {i.where for i in caught.value.issues} >= {"colours.text/bg", "colours.text/card"}


def test_brand_a_pale_series_colour_is_refused() -> None:
    with pytest.raises(UsageError, match=r"series #fafafa on card #ffffff"):
        brand.resolve("forest", colours={"series": ["#2f7d58", "#fafafa"]})


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"palette": "darkgren"}, "palette"),
        ({"palette": "ocean", "scheme": "dim"}, "scheme"),
        ({"palette": "ocean", "colours": {"primary": "blue"}}, "colours.primary"),
        ({"palette": "ocean", "colours": {"accent": "#123456"}}, "colours.accent"),
    ],
)
def test_brand_bad_values_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(UsageError) as caught:
        brand.resolve(**kwargs)  # type: ignore[arg-type]
    assert [i.where for i in caught.value.issues] == [field]


def test_brand_custom_colours_render_to_css_and_plotly() -> None:
    custom = brand.resolve(None, scheme="light", colours={"primary": "#7a2e8c"})
    assert custom.palette == brand.CUSTOM
    css = brand.css_variables(custom)
    assert css["--color-primary"] == "#7a2e8c" and css["--font-heading"].startswith("Sora")
    assert css["--space-1"] == "4px" and "--color-series-1" in css
    layout = brand.plotly_layout(custom)
    assert layout["colorway"] == list(custom.series)
    assert layout["paper_bgcolor"] == custom.colours["card"]


def test_brand_template_styles_a_figure() -> None:
    import plotly.graph_objects as go

    from matrix import viz

    ocean = brand.resolve("ocean")
    fig = viz.themed(go.Figure(go.Bar(x=[1], y=[2])), ocean)
    assert list(fig.layout.template.layout.colorway) == list(ocean.series)
    assert fig.layout.template.layout.paper_bgcolor == ocean.colours["card"]


def test_from_config_resolves_palette_scheme_and_colours() -> None:
    colours = {"primary": "#1d4ed8", "on-primary": "#ffffff"}
    config = {"brand": {"palette": "ocean", "scheme": "dark", "colours": colours, "layout": None}}
    assert brand.from_config(config) == brand.resolve("ocean", scheme="dark", colours=colours)
    assert brand.from_config(config["brand"]) == brand.from_config(config)  # the section alone


@pytest.mark.parametrize(
    ("spec", "palette", "scheme"),
    [
        ({"palette": "forest", "scheme": "light", "colours": {"text": "#ffffff"}}, "forest", "light"),
        ({"palette": "neon", "scheme": None, "colours": None}, "darkgreen", "dark"),
        ({}, "darkgreen", "dark"),
    ],
    ids=["unreadable-colours-dropped", "unknown-palette", "empty"],
)  # fmt: skip
def test_from_config_falls_back_rather_than_fail(
    spec: dict[str, Any], palette: str, scheme: str
) -> None:
    found = brand.from_config({"brand": spec})
    assert (found.palette, found.scheme) == (palette, scheme)
