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
