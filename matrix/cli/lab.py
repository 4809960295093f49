"""``matrix lab``: JupyterLab on the shipped notebooks, with this store as their default."""

from __future__ import annotations

import os
import sys

import click

from matrix import paths
from matrix.cli.options import json_option, open_app, storage_option
from matrix.cli.output import emit
from matrix.config import absolute_storage_url, child_environment, mask_secrets


@click.command()
@click.option("--port", type=click.IntRange(1024, 65535), default=8888, show_default=True)
@click.option("--dry-run", is_flag=True, help="Print the command instead of starting JupyterLab.")
@storage_option
@json_option
def lab(port: int, dry_run: bool, storage_url: str | None, as_json: bool) -> None:
    """Open JupyterLab on notebooks/ with this store as the notebooks' default."""
    with open_app(storage_url) as app:  # the notebooks' store: it must exist and be migrated
        url = absolute_storage_url(app.settings.storage_url)
    command = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={paths.notebooks_dir()}", f"--port={port}",
               "--no-browser", *_root_flags()]  # fmt: skip
    if dry_run:
        emit({"command": command, "MATRIX_STORAGE_URL": mask_secrets(url)}, as_json,
             lambda r: f"MATRIX_STORAGE_URL={r['MATRIX_STORAGE_URL']} {' '.join(r['command'])}")  # fmt: skip
        return
    os.execvpe(command[0], command, child_environment(MATRIX_STORAGE_URL=url))


def _root_flags() -> list[str]:
    """JupyterLab refuses to run as root (as in a container) unless told it may."""
    return ["--allow-root"] if getattr(os, "geteuid", lambda: -1)() == 0 else []


COMMANDS = (lab,)
