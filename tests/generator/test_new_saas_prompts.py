"""``matrix new-saas`` on a terminal asks for the answers it was not given, re-asks a refused
one with the reason, and writes the project from what was typed (driven through a
pseudo-terminal, as a user at a shell)."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from tests.generator.conftest import assert_pack_applies

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
# A guard against a prompt that never comes, so a broken prompt fails instead of hanging.
GUARD_SECONDS = 300


class Terminal:
    """A command on a pseudo-terminal: read until some text is shown, then type a line."""

    def __init__(self, *args: str, cwd: Path) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(args, cwd=cwd, stdin=slave, stdout=slave, stderr=slave,
                                        close_fds=True, start_new_session=True)  # fmt: skip
        os.close(slave)
        self.shown = ""

    def expect(self, text: str) -> None:
        while text not in self.shown:
            ready, _, _ = select.select([self.master], [], [], GUARD_SECONDS)
            chunk = self._read() if ready else b""
            if not chunk:
                pytest.fail(f"{text!r} was never shown; the terminal showed:\n{self.shown}")
            self.shown += chunk.decode("utf-8", "replace")

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\r")

    def finish(self) -> int:
        while chunk := self._read():
            self.shown += chunk.decode("utf-8", "replace")
        code = self.process.wait(timeout=GUARD_SECONDS)
        os.close(self.master)
        return code

    def _read(self) -> bytes:
        try:
            return os.read(self.master, 4096)
        except OSError:  # the command ended and closed its side of the terminal
            return b""


def test_new_saas_asks_on_a_terminal_for_what_is_missing(
    tmp_path: Path, pack_store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    dst = tmp_path / "project"
    term = Terminal(sys.executable, "-m", "matrix", "new-saas", str(dst), "--template-repo",
                    str(tmp_path / "repo"), cwd=tmp_path)  # fmt: skip
    term.expect("The SaaS's name: ")
    term.type("Clinica Viva")
    term.expect("first tenant's id")
    term.type("Bad Id")  # refused with the rule, and asked again
    term.expect("the tenant id 'Bad Id' is not valid")
    term.expect("first tenant's id")
    term.type("clinica-viva")
    term.expect("Palette [darkgreen]: ")
    term.type("ocean")
    term.expect("Layout [fabio2]: ")
    term.type("")  # the default
    term.expect("Modules [crm,customers,agenda,billing,agreements]: ")
    term.type("crm,agenda")
    code = term.finish()
    assert code == 0, term.shown
    assert f"Wrote {dst}" in term.shown
    tenant = json.loads((dst / "tenant" / "tenant.json").read_text("utf-8"))
    assert tenant["tenant_id"] == "clinica-viva" and tenant["name"] == "Clinica Viva"
    assert tenant["brand"]["palette"] == "ocean" and tenant["layout"] == "fabio2"
    assert tenant["modules"] == ["crm", "agenda"]
    assert_pack_applies(capsys, pack_store, dst)


def test_new_saas_with_defaults_asks_nothing_even_on_a_terminal(tmp_path: Path) -> None:
    term = Terminal(sys.executable, "-m", "matrix", "new-saas", str(tmp_path / "project"),
                    "--defaults", "--template-repo", str(tmp_path / "repo"), cwd=tmp_path)  # fmt: skip
    code = term.finish()
    assert code == 2 and "--name is required" in term.shown
    assert not (tmp_path / "project").exists()
