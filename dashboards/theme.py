"""Brand palettes of the origin consoles (darkgreen, ocean, forest, sunset) as CSS variables.

A tenant picks its palette in its runtime config (``brand.palette``); the app applies the palette
of the tenant in the filter. Unknown values fall back to darkgreen, as in the origin.
"""

from __future__ import annotations

PALETTES: dict[str, dict[str, str]] = {
    "darkgreen": {"bg": "#07130f", "bg-soft": "#0d1f18", "card": "#10261d", "text": "#d7f7e7", "muted": "#8fb8a3",
                  "border": "#1f3d30", "primary": "#2ed67b", "primary-strong": "#1fae60", "plot": "plotly_dark"},
    "ocean": {"bg": "#f8fafc", "bg-soft": "#eef2f6", "card": "#ffffff", "text": "#102a43", "muted": "#627d98",
              "border": "#d9e2ec", "primary": "#627d98", "primary-strong": "#334e68", "plot": "plotly_white"},
    "forest": {"bg": "#f5faf5", "bg-soft": "#e8f3ea", "card": "#ffffff", "text": "#1b3a2a", "muted": "#5b7d68",
               "border": "#cfe3d4", "primary": "#2f7d58", "primary-strong": "#1f5c40", "plot": "plotly_white"},
    "sunset": {"bg": "#fff8f2", "bg-soft": "#ffeede", "card": "#ffffff", "text": "#3d1f0f", "muted": "#9a6a4f",
               "border": "#f3d5bf", "primary": "#e0672b", "primary-strong": "#b4491a", "plot": "plotly_white"},
}  # fmt: skip
DEFAULT = "darkgreen"


def variables(palette: str | None) -> dict[str, str]:
    """The palette as CSS custom properties (``--color-bg`` …) plus the origin's spacing tokens."""
    tokens = PALETTES.get(palette or DEFAULT, PALETTES[DEFAULT])
    style = {f"--color-{k}": v for k, v in tokens.items() if k != "plot"}
    style.update({"--radius-lg": "16px", "--radius-md": "10px", "--font-heading": "Sora, sans-serif",
                  "--font-body": "Manrope, sans-serif"})  # fmt: skip
    return style


def plot_template(palette: str | None) -> str:
    return PALETTES.get(palette or DEFAULT, PALETTES[DEFAULT])["plot"]
