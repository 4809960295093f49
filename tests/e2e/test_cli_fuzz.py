"""Every command of the command line with generated bad values: never an internal error or a
traceback, exit 0, 1 or 2 only, 1 or 2 for a value it must refuse, and nothing stored when it
refuses.

The commands come from walking :data:`matrix.cli.cli`, so a command that lands is fuzzed with no
change here (its parameters get kinds from their names and click types: :mod:`tests.e2e.fuzz_values`).
Each case starts from a valid command line naming records of the seeded store, then spoils one or
two of its parameters (or adds an unknown option, drops a required one, adds a stray argument).
Every case runs in process on one DuckDB store per test worker; the row count of every table is
read after each case, and a refused case must leave it as it was. Generation is derandomized, as
in ``tests/api/test_fuzz.py``: the same cases on every run. A command's failures are collected
over all its cases and reported together, each with its command line and what it answered.

Commands that serve or run long are bounded: ``serve``, ``demo``, ``simulate`` and ``memory
eval`` always get a value click refuses for one of their numbers (a valid one would start a
server, a simulation of days or an evaluation over every labelled history), ``gate run`` only unknown gate ids (a known one executes notebooks), ``lab`` always
``--dry-run``, ``new-saas`` always ``--dry-run`` (a valid case renders the project aside and
writes nothing), ``worker`` always ``--max-seconds`` (a value that never stops is reported as
hung). ``analytics sync`` copies the small seeded store into an analytics file (the world sets
``MATRIX_ANALYTICS_URL``) with a ``--wait-seconds`` of bounded seconds, and ``analytics export``
writes it into a fresh folder. ``contracts openapi --write`` and ``crm ai eval --calibrate`` are left out: they rewrite
files of the project itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matrix.cli import cli
from tests.conftest import IN_CI, ROOT
from tests.e2e.fuzz_values import BAD, Bad, choice_bad, good_value, kind_of
from tests.e2e.fuzz_world import PASSWORD, Hung, Outcome, World, make_world

CASES = 2000 if IN_CI else 400
"""Cases over all commands (spread evenly); CI runs the issue's 2,000."""

BOUNDED = {"serve": ("port", "workers"), "demo": ("tenants", "days", "port"),
           "simulate": ("tenants", "days"), "memory eval": ("limit",)}  # fmt: skip
"""Commands that get a value click refuses for one of these, in every case."""
CLICK_REFUSES_INT = ("abc", "", "1.5", "-1", "99999999999", "NaN")
ALWAYS = {"lab": ("dry_run",), "worker": ("max_seconds",), "user add": ("password_stdin",),
          "new-saas": ("dry_run", "template_repo")}
"""Parameters every case of the command carries."""
LEFT_OUT = {
    "contracts openapi": ("write",),
    "crm ai eval": ("calibrate",),
    "gate run": ("run_all",),
}
MAY_CREATE = {"init", "migrate"}
"""Commands for which a storage URL naming a new file in an existing folder is fine."""
STDIN = {"user add": PASSWORD + "\n", "chat": "Oi\n"}
STRUCTURAL = ("!unknown-option", "!missing-required", "!extra-argument")

settings.register_profile(
    "cli-fuzz",
    deadline=None,  # an in-process command on a shared machine has no stable duration
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)


def leaf_commands(
    group: click.Group = cli, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, click.Command]]:
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from leaf_commands(command, (*path, name))
        else:
            yield " ".join((*path, name)), command


COMMANDS = dict(leaf_commands())
PER_COMMAND = math.ceil(CASES / len(COMMANDS))


@dataclass(frozen=True)
class Slot:
    """A parameter of a command, with its kind."""

    param: click.Parameter
    kind: str

    @property
    def name(self) -> str:
        return str(self.param.name)

    @property
    def positional(self) -> bool:
        return isinstance(self.param, click.Argument)

    @property
    def repeated(self) -> bool:
        return bool(getattr(self.param, "multiple", False)) or self.param.nargs == -1


@dataclass(frozen=True)
class Case:
    command: str
    values: dict[str, list[str]]
    """Parameter name → the values given for it (one, or several for a repeated option)."""
    flags: tuple[str, ...]
    spoiled: tuple[tuple[str, Bad], ...]
    """What the case got wrong on purpose, by parameter (or a ``!`` structural change)."""

    @property
    def must_refuse(self) -> bool:
        return any(bad.refuse for _, bad in self.spoiled)


def slots(command: str) -> list[Slot]:
    found = [Slot(p, kind_of(command, p)) for p in COMMANDS[command].params if p.name != "help"]
    return [s for s in found if s.name not in LEFT_OUT.get(command, ())]


def bad_values(command: str, slot: Slot) -> list[Bad]:
    if command in BOUNDED and slot.name in BOUNDED[command]:
        return [Bad(v, True) for v in CLICK_REFUSES_INT]
    if slot.kind == "choice":
        return choice_bad(slot.param)
    values = BAD[slot.kind]
    if command == "gate run" and slot.name == "ids":
        return [b for b in values if b.value != ""]  # no id at all needs --all, left out
    if slot.kind == "storage" and command in MAY_CREATE:
        return [Bad(b.value, False) if b.value == "@storage-missing" else b for b in values]
    return values


def cases(command: str) -> st.SearchStrategy[Case]:
    every = slots(command)
    spoilable = [s for s in every if s.kind != "flag"]
    if command in BOUNDED:
        first = [s for s in spoilable if s.name in BOUNDED[command]]
    elif command == "gate run":
        first = [s for s in spoilable if s.name == "ids"]
    else:
        first = spoilable

    structural = [
        s
        for s in STRUCTURAL
        if s != "!missing-required" or any(slot.param.required for slot in spoilable)
    ]
    if any(slot.repeated and slot.positional for slot in spoilable):
        structural.remove("!extra-argument")

    @st.composite
    def draw(draw: Callable[..., Any]) -> Case:
        spoiled: dict[str, Bad] = {}
        targets = [draw(st.sampled_from(first))] if first else []
        if draw(st.booleans()) and spoilable:
            targets.append(draw(st.sampled_from(spoilable)))
        for slot in targets:
            spoiled[slot.name] = draw(st.sampled_from(bad_values(command, slot)))
        if draw(st.integers(0, 9)) == 0 or not targets:
            spoiled[draw(st.sampled_from(structural))] = Bad("", True)
        values: dict[str, list[str]] = {}
        flags = []
        for slot in every:
            always = slot.name in ALWAYS.get(command, ())
            if slot.kind == "flag":
                if always or draw(st.booleans()):
                    flags.append(slot.name)
                continue
            good = good_value(command, slot.param, slot.kind)
            if slot.name in spoiled:
                bad = [spoiled[slot.name].value]
                values[slot.name] = [good, *bad] if slot.repeated and good else bad
            elif good is not None and (slot.param.required or always or draw(st.booleans())):
                values[slot.name] = [good]
        return Case(command, values, tuple(flags), tuple(spoiled.items()))

    return draw()


def argv(world: World, case: Case) -> list[str]:
    """The command line of ``case``: options first, then ``--`` and the arguments (so that an
    argument such as ``-1`` reaches the command as a value)."""
    by_name = {s.name: s for s in slots(case.command)}
    options: list[str] = []
    arguments: list[str] = []
    for name, named in case.values.items():
        slot = by_name[name]
        if "!missing-required" in dict(case.spoiled) and slot.param.required:
            continue
        for value in named:
            resolved = resolve(world, value)
            if slot.positional:
                arguments.append(resolved)
            else:
                options += [_flag_of(slot.param), resolved]
    for name in case.flags:
        options.append(_flag_of(by_name[name].param))
    spoiled = dict(case.spoiled)
    if "!unknown-option" in spoiled:
        options.append("--no-such-option")
    if "!extra-argument" in spoiled:
        arguments.append("stray")
    return [*case.command.split(), *options, *(["--", *arguments] if arguments else [])]


def _flag_of(param: click.Parameter) -> str:
    assert isinstance(param, click.Option)
    if param.is_flag and param.secondary_opts and not param.default:
        return param.opts[0]
    return max(param.opts, key=len)


def resolve(world: World, value: str) -> str:
    """``value`` with an ``@`` placeholder replaced by what it names in ``world``."""
    if not value.startswith("@"):
        return value
    name = value[1:]
    if name in world.ids:
        return world.ids[name]
    if name in world.files:
        return str(world.files[name])
    paths: dict[str, Callable[[], str]] = {
        "missing": lambda: str(world.tmp / "no-such-file.json"),
        "folder": lambda: str(world.tmp / "folder"),
        "empty-folder": lambda: str(world.tmp / "empty-folder"),
        "contracts": lambda: str(ROOT / "contracts"),
        "pack": lambda: str(ROOT / "matrix" / "data" / "packs" / "sample"),
        "missing-parent": lambda: str(world.tmp / "no" / "such" / "folder" / "out.md"),
        "storage": lambda: world.url,
        "storage-folder": lambda: f"duckdb:///{world.tmp / 'folder'}",
        "storage-not-a-store": lambda: f"duckdb:///{world.files['not-a-store']}",
        "storage-missing": lambda: f"duckdb:///{world.fresh('new.duckdb')}",
        "new-id": lambda: f"fuzz-{world.fresh('id').parent.name}",
        "other-tenant": lambda: world.ids["globex_customer_id"],
    }
    if name in paths:
        return paths[name]()
    if name.startswith("fresh"):
        path = world.fresh("out" + name.removeprefix("fresh"))
        path.parent.mkdir(parents=True)
        return str(path)
    raise AssertionError(f"unknown placeholder {value!r}")


def problems(
    case: Case, outcome: Outcome, before: dict[str, int], after: dict[str, int]
) -> list[str]:
    found = []
    text = outcome.out + outcome.err
    if "internal error" in text:
        found.append("internal error")
    if "Traceback (most recent call last)" in text:
        found.append("a traceback")
    if outcome.code not in (0, 1, 2):
        found.append(f"exit {outcome.code}, not 0, 1 or 2")
    elif outcome.code == 0 and case.must_refuse:
        found.append("exit 0 for a value it must refuse")
    if outcome.code != 0 and after != before:
        changed = {t: (before.get(t), after.get(t)) for t in after.keys() | before.keys()
                   if before.get(t) != after.get(t)}  # fmt: skip
        found.append(f"refused but stored: {changed}")
    return found


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """One store per test worker, seeded once."""
    return make_world(Path(tmp_path_factory.mktemp("cli-fuzz")))


@pytest.mark.slow
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_command_refuses_bad_values_cleanly(world: World, command: str) -> None:
    failures: dict[str, str] = {}
    state = {"counts": world.counts()}

    @settings(settings.get_profile("cli-fuzz"), max_examples=PER_COMMAND)
    @given(cases(command))
    def run(case: Case) -> None:
        line = argv(world, case)
        try:
            outcome = world.run(line, STDIN.get(command, ""))
        except Hung as exc:
            outcome = Outcome(-1, "", f"hung: {exc}")
        after = world.counts()
        found = problems(case, outcome, state["counts"], after)
        state["counts"] = after
        if found:
            spoiled = ", ".join(f"{k}={b.value[:60]!r}" for k, b in case.spoiled)
            key = f"{spoiled} → {'; '.join(f.split(':')[0] for f in found)}"
            failures.setdefault(key, f"{'; '.join(found)}\n  argv: {_shown(line)}\n  {outcome}")

    run()
    assert not failures, f"`matrix {command}`: {len(failures)} kinds of failure\n" + "\n".join(
        f"- {key}\n  {detail}" for key, detail in sorted(failures.items())
    )


def _shown(line: list[str]) -> str:
    return " ".join(repr(a) if not a or any(c in a for c in " \n\t\x00'\"") else a
                    for a in (x[:80] + "…" if len(x) > 80 else x for x in line))  # fmt: skip
