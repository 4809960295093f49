"""The environment of the processes the command line starts (JupyterLab, gate kernels).

A child process reads its settings from its environment, so the parent's environment is passed
on with the few variables it must see changed. This is the command line's one read of the
process environment; it belongs with the settings once they can say which variables a child
inherits.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


def child_environment(**overrides: str) -> dict[str, str]:
    """This process's environment with ``overrides`` (variable → value) applied."""
    return {**os.environ, **overrides}


@contextmanager
def environment_defaults(**defaults: str) -> Iterator[None]:
    """Set each variable that is unset to its default for the processes started meanwhile, then
    restore the environment."""
    added = {name: value for name, value in defaults.items() if name not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)
