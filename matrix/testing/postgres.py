"""A throwaway PostgreSQL server started from the machine's binaries.

Used by the storage tests, the benchmarks and the pre-production gate. The server lives in a
temporary folder, listens on 127.0.0.1 on a free port with trust authentication, and is removed
on :meth:`ThrowawayPostgres.stop`. As root, it runs as the ``postgres`` user (PostgreSQL refuses
to run as root).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from matrix.config import child_environment, default_in_child, running_in_ci
from matrix.errors import MissingDependencyError, StorageError

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) were not found. Install them with"
    " `apt-get install -y postgresql` (Debian), or put their folder on PATH."
)


def find_bin_dir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: PATH first, then Debian's layout."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(os.path.realpath(initdb)).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThrowawayPostgres:
    """Start with :meth:`start`, get a database URL with :meth:`create_database`, then :meth:`stop`."""

    def __init__(self, *, fsync: bool = False, bin_dir: Path | None = None) -> None:
        self.bin_dir = bin_dir or find_bin_dir()
        if self.bin_dir is None:
            raise MissingDependencyError(INSTALL_HINT)
        self.fsync = fsync
        self.port = 0
        self.data_dir: Path | None = None
        self._runas: list[str] = []

    @property
    def url(self) -> str:
        """URL of the server's default ``postgres`` database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> ThrowawayPostgres:
        root = Path(tempfile.mkdtemp(prefix="matrix-pg-"))
        self.data_dir = root / "data"
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(root, user.pw_uid, user.pw_gid)
            self._runas = ["runuser", "-u", "postgres", "--"]
        self.port = _free_port()
        self._run(
            "initdb", "-D", str(self.data_dir), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        options = (
            f"-p {self.port} -k {root} -c listen_addresses=127.0.0.1"
            f" -c fsync={'on' if self.fsync else 'off'}"
            f" -c synchronous_commit={'on' if self.fsync else 'off'}"
            " -c full_page_writes=off -c max_connections=200"
        )
        self._run("pg_ctl", "-D", str(self.data_dir), "-o", options, "-l", str(root / "server.log"),
                  "-w", "-t", "60", "start")  # fmt: skip
        return self

    def create_database(self, name: str | None = None) -> str:
        """Create a fresh database and return its URL."""
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self.data_dir is None:
            return
        try:
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.data_dir.parent, ignore_errors=True)
            self.data_dir = None

    def __enter__(self) -> ThrowawayPostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self, tool: str, *args: str) -> None:
        assert self.bin_dir is not None
        cmd = [*self._runas, str(self.bin_dir / tool), *args]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = ""
            if self.data_dir is not None and (self.data_dir.parent / "server.log").exists():
                log = (self.data_dir.parent / "server.log").read_text()[-800:]
            raise StorageError(
                f"{tool} failed (exit {done.returncode}): {done.stderr.strip()[-800:]} {log}".strip()
            )


def run_with_throwaway_store(command: list[str]) -> int:
    """Run ``command`` with ``MATRIX_STORAGE_URL`` on a new, migrated PostgreSQL database of a
    throwaway server (``MATRIX_GATE_POSTGRES_URL`` names the server), removed afterwards.

    Without the server binaries it uses a throwaway DuckDB store instead, except under ``CI=true``
    where the missing binaries are an error."""
    from matrix.storage import open_store

    env = child_environment(MATRIX_PROVIDER_MODE=default_in_child("MATRIX_PROVIDER_MODE", "local"))
    if find_bin_dir() is None:
        if running_in_ci():
            print(f"error: {INSTALL_HINT}", file=sys.stderr)
            return 2
        print(f"note: {INSTALL_HINT} Using a throwaway DuckDB store instead.", file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix="matrix-store-") as folder:
            env["MATRIX_STORAGE_URL"] = f"duckdb:///{folder}/throwaway.duckdb"
            open_store(env["MATRIX_STORAGE_URL"], migrate=True).close()
            return subprocess.call(command, env=env)
    with ThrowawayPostgres() as server:
        env["MATRIX_STORAGE_URL"] = server.create_database("matrix")
        env["MATRIX_GATE_POSTGRES_URL"] = server.url
        open_store(env["MATRIX_STORAGE_URL"], migrate=True).close()
        return subprocess.call(command, env=env)


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        print("usage: python -m matrix.testing.postgres -- COMMAND [ARGS…]", file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(run_with_throwaway_store(args))
