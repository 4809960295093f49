"""The ``matrix`` command line: the root group and one module per command group.

``from matrix.cli import cli, main`` gives the assembled root group and the entry point. They are
loaded on first use, so that a command module (here or in a business module's package) can import
the shared options from :mod:`matrix.cli.options` without assembling the root group first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matrix.cli.root import cli, main

__all__ = ["cli", "main"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from matrix.cli import root

        return getattr(root, name)
    raise AttributeError(f"module 'matrix.cli' has no attribute {name!r}")
