"""The process environment beyond the settings: what a subprocess inherits (a kernel, a server
worker), and whether CI runs us. With :mod:`matrix.config`, the only reader of ``os.environ``;
:mod:`matrix.config` re-exports these names, where callers have always found them."""

from __future__ import annotations

import os
from collections.abc import Mapping


def child_environment(
    base: Mapping[str, str] | None = None, **overrides: str | None
) -> dict[str, str]:
    """The variables for a subprocess: this process's environment (or ``base``) with
    ``overrides`` applied; an override of ``None`` removes the variable.

    Example: ``subprocess.run(cmd, env=child_environment(MATRIX_STORAGE_URL=url))``.
    """
    env = dict(os.environ if base is None else base)
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def default_in_child(name: str, value: str) -> str:
    """``value`` unless this process already sets ``name`` (for a subprocess's defaults, e.g. the
    local AI provider unless the user chose another)."""
    return os.environ.get(name) or value


_KERNEL_VARIABLES = {
    "storage_url": "MATRIX_STORAGE_URL",
    "gate_record": "MATRIX_GATE_RECORD",
    "provider_mode": "MATRIX_PROVIDER_MODE",
}


def export_for_kernels(
    *,
    storage_url: str | None = None,
    gate_record: str | None = None,
    provider_mode: str | None = None,
) -> None:
    """Set the store URL (``MATRIX_STORAGE_URL``), the gate record file (``MATRIX_GATE_RECORD``)
    and the AI provider mode (``MATRIX_PROVIDER_MODE``) in this process's environment, so that
    the notebook kernels it starts inherit them; None leaves a variable as it is. Only for a
    process that exists to run kernels (a gate runner's worker, a benchmark)."""
    given = {"storage_url": storage_url, "gate_record": gate_record, "provider_mode": provider_mode}
    for name, value in given.items():
        if value is not None:
            os.environ[_KERNEL_VARIABLES[name]] = value


def export_for_workers(*, storage_url: str) -> None:
    """Set ``MATRIX_STORAGE_URL`` in this process's environment, so that the worker processes of
    ``matrix serve --workers N`` (started afresh, their settings read from the environment) open
    the store this process serves, however it was named (``--storage-url`` included)."""
    os.environ[_KERNEL_VARIABLES["storage_url"]] = storage_url


def matrix_environment() -> dict[str, str]:
    """Every ``MATRIX_*`` variable this process has (what a deployment's settings come from)."""
    return {k: v for k, v in os.environ.items() if k.startswith("MATRIX_")}


def running_in_ci(env: Mapping[str, str] | None = None) -> bool:
    """Whether CI runs us (``CI`` set to true, 1 or yes, as CI services do); then a missing
    service is a failure, not a skip."""
    return (os.environ if env is None else env).get("CI", "").lower() in ("1", "true", "yes")
