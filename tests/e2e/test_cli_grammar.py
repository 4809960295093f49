"""One grammar across the command line: every command walked from click's tree and the README's
command table, run in process against a real DuckDB store.

The conventions checked: exit codes are in the documented set {0, 1, 2}; every command that takes
``--tenant`` refuses an unknown tenant with exit 1 and the same one-line message, naming the nearest
known tenant; an unknown id exits 1 everywhere; only usage and configuration errors exit 2.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from matrix.cli import cli, main
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMAND_TABLE = README.split("## Command line", 1)[1].split("\n## ", 1)[0]
DOCUMENTED_EXIT_CODES = {0, 1, 2}
UNKNOWN_ID = "00000000-0000-0000-0000-000000000000"
# A value for each required option that passes its own checks, so that the tenant is what fails.
SAMPLES = {"--amount": "10", "--due": "2026-12-10", "--phone": "+5511999990000", "--to": "contacted",
           "--request-id": "req-0001", "--customer": UNKNOWN_ID, "--user": "ana", "--actor": "ana",
           "--signature": "00", "--role": "manager"}  # fmt: skip


def _leaves(
    group: click.Group, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _leaves(command, (*prefix, name))
        else:
            yield (*prefix, name), command


LEAVES = dict(_leaves(cli))
# new-saas's --tenant names the tenant a new project will create, not one of this store's.
WITH_TENANT = sorted(
    path for path, c in LEAVES.items()
    if any("--tenant" in p.opts for p in c.params) and path != ("new-saas",)
)  # fmt: skip


def _takes_file(param: click.Parameter) -> bool:
    return isinstance(param.type, (click.Path, click.File))


def _argument(param: click.Parameter, folder: Path) -> str:
    """An unknown id, or a file (a folder where only a folder will do) that exists."""
    if not _takes_file(param):
        return UNKNOWN_ID
    folder_only = getattr(param.type, "dir_okay", False) and not getattr(
        param.type, "file_okay", True
    )
    return str(folder if folder_only else folder / "input.json")


def _args(path: tuple[str, ...], tenant: str, folder: Path) -> list[str]:
    """``matrix PATH…`` with every argument and required option filled in, and ``--tenant``."""
    args, command = list(path), LEAVES[path]
    for param in command.params:
        if isinstance(param, click.Argument):
            args.append(_argument(param, folder))
        elif param.required and "--tenant" not in param.opts:
            choice = param.type.choices[0] if isinstance(param.type, click.Choice) else None
            args += [param.opts[0], SAMPLES.get(param.opts[0], choice or "x")]
    if path == ("user", "add"):
        args.append("--password-stdin")
    return [*args, "--tenant", tenant]


def run(*args: str, input: str = "") -> tuple[int, str, str]:
    """Exit status, standard output and standard error of ``matrix ARGS…``, through the real
    entry point (its error boundary included), in this process."""
    with CliRunner().isolation(input=input) as (out, err, _):
        code = main(list(args))
    return code, out.getvalue().decode(), err.getvalue().decode()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A store with the one tenant ``acme``, its URL as the default, and a folder of inputs."""
    folder = tmp_path_factory.mktemp("grammar")
    (folder / "input.json").write_text("{}", encoding="utf-8")
    url = f"duckdb:///{folder / 'store.duckdb'}"
    patch = pytest.MonkeyPatch()
    patch.setenv("MATRIX_STORAGE_URL", url)
    assert run("init")[0] == 0 and run("tenant", "create", "acme")[0] == 0
    yield url, folder
    patch.undo()


def test_the_readme_states_the_exit_codes() -> None:
    assert "Exit codes, the same for every command: 0 ok; 1 a failure,\nan unknown tenant or id, or a business refusal" in README  # fmt: skip
    assert "2 only for a usage or\nconfiguration error" in README


@pytest.mark.parametrize("path", sorted(LEAVES), ids=" ".join)
def test_help_and_the_readme_agree_on_tenant(path: tuple[str, ...]) -> None:
    code, out, _ = run(*path, "--help")
    assert code == 0 and out.startswith(f"Usage: matrix {' '.join(path)}")
    name = f"matrix {' '.join(path)}"
    usages = [usage for line in COMMAND_TABLE.splitlines() if line.startswith("| `")
              for usage in re.findall(r"`([^`]+)`", line.split(" | ")[0])
              if usage == name or usage.startswith(name + " ")]  # fmt: skip
    assert usages, f"{name} has no row in the README's command table"
    assert any("--tenant" in u for u in usages) == ("--tenant" in out), (name, usages)


@pytest.mark.parametrize("path", WITH_TENANT, ids=" ".join)
def test_every_tenant_option_refuses_an_unknown_tenant_the_same_way(
    store: tuple[str, Path], path: tuple[str, ...]
) -> None:
    _, folder = store
    code, out, err = run(*_args(path, "acmee", folder), input="a-long-password\n")
    assert (code, out, err) == (1, "", "error: Unknown tenant 'acmee'. Did you mean acme?\n")
    assert run("tenant", "list", "--json")[1].count('"tenant_id"') == 1  # nothing was created


def test_an_unknown_tenant_with_nothing_close_lists_the_known_ones(store: tuple[str, Path]) -> None:
    code, _, err = run("billing", "list", "--tenant", "globex")
    assert (code, err) == (1, "error: Unknown tenant 'globex'. Known tenants: acme; or create it with"
                              " `matrix tenant create globex`.\n")  # fmt: skip


# Commands whose first argument is an id the tenant may not have (not a name, file or version).
ID_COMMANDS = [p for p in WITH_TENANT if LEAVES[p].params and isinstance(LEAVES[p].params[0], click.Argument)
               and not _takes_file(LEAVES[p].params[0])
               and p not in {("crm", "capture"), ("customers", "add"), ("deploy", "record"),
                             ("memory", "retrieve"), ("user", "add")}]  # fmt: skip


@pytest.mark.parametrize("path", ID_COMMANDS, ids=" ".join)
def test_an_unknown_id_exits_1_everywhere(store: tuple[str, Path], path: tuple[str, ...]) -> None:
    _, folder = store
    args = _args(path, "acme", folder)
    if path == ("customers", "merge"):  # two ids: the second must differ from the first
        args[3] = "11111111-1111-1111-1111-111111111111"
    code, out, err = run(*args)
    assert code == 1 and out == "" and err.count("\n") == 1, (code, err)
    assert err.startswith(("error: No ", "error: Unknown metric")), err
    assert UNKNOWN_ID in err or "_not_found" in err, (
        err
    )  # the id quoted, or the code that says which


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("crm", "move", "LEAD", "--to", "won"), 1, "transition_not_allowed"),
        (("crm", "move", "LEAD", "--to", "contacted"), 1, "Use --trigger first_contact_attempt"),
        (
            ("crm", "move", "LEAD", "--to", "elsewhere"),
            2,
            "'elsewhere' is not one of 'new', 'contacted'",
        ),
        (("billing", "list", "--limit", "3"), 2, "No such option '--limit'"),
        (("metrics", "compute", "x_ratio"), 2, "Missing option '--tenant'"),
    ],
    ids=["refused-move", "move-needs-trigger", "bad-stage", "bad-option", "missing-tenant"],
)
def test_refusals_exit_1_and_usage_errors_exit_2(
    store: tuple[str, Path], args: tuple[str, ...], code: int, message: str
) -> None:
    lead = run(
        "crm", "capture", "Carla Dias", "--phone", "+5511977776666", "--tenant", "acme", "--json"
    )[1]
    lead_id = re.search(r'"lead_id": "([^"]+)"', lead).group(1)  # type: ignore[union-attr]
    given = [lead_id if a == "LEAD" else a for a in args]
    if given[0] != "metrics":
        given += ["--tenant", "acme"]
    got, _, err = run(*given)
    assert got == code and message in err and got in DOCUMENTED_EXIT_CODES, err
