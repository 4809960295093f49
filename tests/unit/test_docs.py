"""Every command and every setting is documented in the README."""

from __future__ import annotations

import click

from matrix.cli import cli
from matrix.config import SETTINGS
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _leaf_commands(group: click.Group, prefix: str = "matrix") -> list[str]:
    found = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        found += _leaf_commands(command, path) if isinstance(command, click.Group) else [path]
    return found


def test_every_cli_command_is_in_the_readme() -> None:
    missing = [c for c in _leaf_commands(cli) if f"`{c}" not in README]
    assert missing == []


def test_every_setting_is_in_the_readme() -> None:
    missing = [s.env for s in SETTINGS if s.env not in README or f"`{s.name}`" not in README]
    assert missing == []


def test_readme_opens_with_the_two_commands() -> None:
    first_screen = "\n".join(README.splitlines()[:12])
    assert "make demo" in first_screen and "make test" in first_screen


def test_architecture_names_real_places_and_every_component() -> None:
    """ARCHITECTURE.md and the README's layout name only paths that exist, and the architecture
    places every component of the package in a layer."""
    import re

    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:matrix|dashboards)/[\w/.*<>-]+)`", text))
    assert named
    for path in named:
        if "<" in path or "*" in path:
            continue  # a pattern: checked through its fixed prefix
        assert (ROOT / path).exists(), f"ARCHITECTURE.md names {path}, which does not exist"
    prefixes = {p.split("<")[0].split("*")[0] for p in named}
    for prefix in prefixes:
        assert (ROOT / prefix).exists(), prefix
    short = set(re.findall(r"`(\w+\.py)`", text))
    components = {p.name for p in (ROOT / "matrix").iterdir() if not p.name.startswith("__")
                  and (p.is_dir() or p.suffix == ".py") and p.name != "data"}  # fmt: skip
    for component in sorted(components):
        shown = component if component.endswith(".py") else component + "/"
        assert f"matrix/{shown}" in text or component in short, (
            f"ARCHITECTURE.md does not place matrix/{shown} in a layer"
        )
    layout = README.split("## Layout", 1)[1].split("##", 1)[0]
    for folder in re.findall(r"\b(\w+)/(?=[ ,)])", layout):
        assert any(p.is_dir() for p in (ROOT / folder, *ROOT.glob(f"*/{folder}"))), folder
