"""The public surface: sorted __all__, every name importable, version consistent."""

from __future__ import annotations

import tomllib

import matrix
import matrix.storage
from tests.conftest import ROOT


def test_all_is_sorted_and_importable() -> None:
    for module in (matrix, matrix.storage):
        assert module.__all__ == sorted(module.__all__)
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name} is in __all__ but missing"


def test_version_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert matrix.__version__ == project["version"]
