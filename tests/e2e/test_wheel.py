"""The package as a user installs it: a wheel built from the project, installed into a new virtual
environment, run from an empty folder, finds its contracts, notebooks, gate specs and routing
corpus."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import ROOT

SHIPPED = ("pyproject.toml", "README.md", "matrix", "dashboards", "contracts", "notebooks")


def _build_wheel(tmp_path: Path) -> Path:
    """A wheel built from a copy of the project (so the checkout gets no build/ folder)."""
    source = tmp_path / "source"
    source.mkdir()
    for name in SHIPPED:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))  # fmt: skip
        else:
            shutil.copy2(ROOT / name, source / name)
    dist = tmp_path / "dist"
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(source)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    [wheel] = dist.glob("matrix_workbench-*.whl")
    return wheel


@pytest.mark.slow
def test_the_wheel_runs_from_an_empty_folder(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    done = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    # The dependencies come from this environment (offline); matrix itself only from the wheel.
    # A path listed in a .pth file is added as is: the editable install's hook there never runs.
    ask = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    purelib = Path(subprocess.check_output([str(python), "-c", ask], text=True).strip())
    (purelib / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MATRIX_", "PYTHON"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"

    def matrix(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(venv / "bin" / "matrix"), *args], cwd=empty, env=env, capture_output=True,
                              text=True, check=False, timeout=120)  # fmt: skip

    where = subprocess.run([str(python), "-c", "import matrix, matrix.paths as p; print(matrix.__file__);"
                            " print(p.contracts_dir())"], cwd=empty, env=env, capture_output=True, text=True,
                           check=True).stdout.split()  # fmt: skip
    assert all(Path(w).is_relative_to(venv) for w in where), where
    assert not any(Path(w).resolve().is_relative_to(ROOT) for w in where), where

    init = matrix("init")
    assert init.returncode == 0, init.stdout + init.stderr
    assert (empty / "var" / "matrix.duckdb").is_file()

    contracts = matrix("contracts", "check", "--json")
    assert contracts.returncode == 0, contracts.stdout + contracts.stderr
    assert '"ok": true' in contracts.stdout and '"schemas": 0' not in contracts.stdout

    gates = matrix("gate", "list")
    assert gates.returncode == 0, gates.stdout + gates.stderr
    assert "g01_contract_checks" in gates.stdout and "g08_delivery" in gates.stdout

    routing = matrix("routing", "eval", "--part", "test")  # the labelled corpus is package data
    assert routing.returncode == 0, routing.stdout + routing.stderr
    assert "harmful confusions: 0" in routing.stdout
