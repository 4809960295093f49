"""Running the command line inside the test process, as a user types it."""

from __future__ import annotations

import pytest

from matrix.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Exit status, standard output and standard error of ``matrix ARGS…``."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err
