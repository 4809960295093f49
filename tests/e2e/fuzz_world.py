"""The store and the files the command-line fuzz runs against, and one command run in process.

:func:`make_world` builds a DuckDB store in a temporary folder through the command line itself
(``init``, ``tenant create``, ``customers add``, ``crm capture``, ``billing charge``, ``crm ingest``,
``events append``, ``agreements template``, ``chat`` until a confirmation waits, ``token create``,
``chat`` in a named session that memory keeps a candidate entry of),
so that a generated case can name records that exist. :meth:`World.run` runs one command with
:class:`click.testing.CliRunner`'s isolation around :func:`matrix.cli.main`, the entry point a
user's shell reaches (its error boundary included), and :meth:`World.counts` reads the row count
of every table in one query.
"""

from __future__ import annotations

import json
import signal
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from click.testing import CliRunner

from matrix.cli import main
from matrix.clock import SYSTEM_CLOCK
from matrix.modules.crm import inbox
from matrix.storage import open_store
from tests.api import evolution
from tests.conftest import ROOT, row_counts
from tests.factories import lead_created, task_chain

HANG_SECONDS = 30
"""A command still running after this long is reported as hung (the case fails); no command of a
bounded case comes near it."""

WEBHOOK_SECRET = evolution.SECRETS["acme"]
TEMPLATE = {"key": "servico", "title": "Contrato de Serviço",
            "fields": [{"name": "total", "label": "Valor", "type": "money", "required": True}],
            "clauses": [{"title": "Valor", "body": "{{customer_name}} pagará R$ {{total}}."}]}  # fmt: skip
PASSWORD = "correct-horse-battery"
MEMORY_STATEMENT = "The oven timer beeps twice after baking bread."
"""Kept by memory as a candidate (a plain statement), for the memory commands to name."""


class Hung(BaseException):
    """Raised into a command that ran past :data:`HANG_SECONDS` (not an ``Exception``: the CLI's
    error boundary must not turn it into an exit code)."""


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str

    def __str__(self) -> str:
        return f"exit {self.code}\nstdout: {self.out[-1500:]!r}\nstderr: {self.err[-1500:]!r}"


@dataclass
class World:
    """A seeded store, the ids it holds and files good and bad."""

    tmp: Path
    url: str
    env: dict[str, str]
    ids: dict[str, str] = field(default_factory=dict)
    """What exists, by the parameter that names it: ``customer_id``, ``lead_id``, ``charge_id``…"""
    files: dict[str, Path] = field(default_factory=dict)
    _fresh: int = 0

    def run(self, argv: Sequence[str], stdin: str | bytes = b"") -> Outcome:
        """``matrix ARGV…`` in process, with ``stdin`` as standard input."""
        with _deadline(), CliRunner().isolation(input=stdin, env=self.env) as (out, err, _):
            code = main(list(argv))
            return Outcome(code, _text(out.getvalue()), _text(err.getvalue()))

    def must(self, *argv: str, stdin: str = "") -> dict[str, Any]:
        """A seeding step that must succeed; its ``--json`` answer."""
        outcome = self.run([*argv, "--json"], stdin)
        assert outcome.code == 0, f"seeding `{' '.join(argv)}` failed: {outcome}"
        return json.loads(outcome.out) if outcome.out.strip() else {}

    def counts(self) -> dict[str, int]:
        """Rows per table of the store."""
        with open_store(self.url, check_schema=False) as store:
            return row_counts(store)

    def fresh(self, stem: str) -> Path:
        """A path in the folder that nothing has used yet."""
        self._fresh += 1
        return self.tmp / "fresh" / f"{self._fresh}" / stem


def make_world(tmp: Path) -> World:
    url = f"duckdb:///{tmp / 'store.duckdb'}"
    env = {"MATRIX_STORAGE_URL": url, "MATRIX_PROVIDER_MODE": "local", "MATRIX_OPERATOR": "fuzz",
           "MATRIX_REPORTS_DIR": str(tmp / "reports"), "MATRIX_DEBUG": "0",
           "MATRIX_LOCK_TIMEOUT": "10",
           # metrics read an analytics file once `analytics sync` has filled it (so the fuzz
           # syncs and exports for real, bounded by the small store)
           "MATRIX_ANALYTICS_URL": f"duckdb:///{tmp / 'analytics.duckdb'}"}  # fmt: skip
    world = World(tmp, url, env)
    _write_files(world)
    world.must("init")
    for tenant in ("acme", "globex"):
        world.must("tenant", "create", tenant)
    acme = ("--tenant", "acme")
    ids = world.ids
    ids["customer_id"] = world.must("customers", "add", "Ana Souza", "--phone", "+5511988887777",
                                    "--email", "ana@example.com", *acme)["customer_id"]  # fmt: skip
    ids["duplicate_id"] = world.must("customers", "add", "Ana S.", *acme)["customer_id"]
    ids["globex_customer_id"] = world.must("customers", "add", "Gil", "--tenant", "globex")[
        "customer_id"
    ]
    ids["lead_id"] = world.must("crm", "capture", "Bruno", "--phone", "+5511966665555", *acme)[
        "lead_id"
    ]
    ids["charge_id"] = world.must("billing", "charge", ids["customer_id"], "--amount", "100.50",
                                  "--due", "2026-12-15", *acme)["charge_id"]  # fmt: skip
    with open_store(url) as store:
        store.runtime_config.save("acme", {}, {"crm_evolution.webhook_secret": WEBHOOK_SECRET},
                                  datetime(2026, 11, 2, tzinfo=UTC))  # fmt: skip
    ingested = world.must("crm", "ingest", str(world.files["webhook"]), "--signature",
                          ids["signature"], *acme)  # fmt: skip
    ids["conversation_id"] = ingested["inbound"]["conversation_id"]
    world.must("events", "append", str(world.files["envelope"]))
    world.must("agreements", "template", str(world.files["template"]), *acme)
    world.must("chat", "-m", "Dar baixa na dívida do Pedro", *acme)
    waiting = world.must("approvals", "list", *acme)["items"]
    ids["confirmation_id"] = waiting[0]["confirmation_id"]
    ids["token_id"] = world.must("token", "create", *acme)["token_id"]
    ids["session_id"] = "fuzz-session"
    world.must("chat", "-m", MEMORY_STATEMENT, "--session", ids["session_id"], *acme)
    kept = world.must("memory", "list", "--session", ids["session_id"], *acme)["items"]
    ids["memory_id"] = next(e["memory_id"] for e in kept if e["content"] == MEMORY_STATEMENT)
    return world


def _write_files(world: World) -> None:
    tmp, files, ids = world.tmp, world.files, world.ids
    (tmp / "folder").mkdir()
    (tmp / "empty-folder").mkdir()
    chain = task_chain("acme", SYSTEM_CLOCK)
    ids["correlation_id"] = chain[0]["correlation_id"]
    doc = json.loads((ROOT / "contracts/examples/valid/evolution-webhook.json").read_text())
    webhook = json.dumps({**doc["instance"], "event_id": str(uuid.uuid4())}).encode()
    ids["signature"] = "sha256=" + inbox.sign(webhook, WEBHOOK_SECRET)
    written: dict[str, str | bytes] = {
        "envelope": json.dumps(chain[0]),
        "lead": json.dumps(lead_created("acme", SYSTEM_CLOCK)),
        "webhook": webhook,
        "template": json.dumps(TEMPLATE),
        "config": json.dumps({"openai": {"model": "gpt-5-mini"}}),
        "junit": '<testsuite name="s" tests="1"><testcase classname="c" name="t" time="0.1"/>'
        "</testsuite>",
        "incidents": "incident_id,title,severity,started_at,resolved_at,deployment_id\n"
        "INC-1,Down,sev2,2026-11-01T10:00:00Z,2026-11-01T11:00:00Z,\n",
        "not-utf8": b"\xff\xfe\xfa{\x80\x81 not text \xc3\x28",
        "deep": "[" * 100_000 + "]" * 100_000,
        "deep-object": '{"a":' * 50_000 + "1" + "}" * 50_000,
        "empty": "",
        "nul": b'{"key": "a\x00b", "\x00": 1}',
        "not-json": "this is not json {",
        "array": "[]",
        "null": "null",
        "not-a-store": '{"this": "is json, not a DuckDB file"}',
        "huge-line": "x" * 2_000_000,
    }
    for name, content in written.items():
        path = tmp / f"{name}.data"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        files[name] = path
    for name in ("costlog", "worklog"):
        files[name] = ROOT / "tests" / "fixtures" / f"{name}.csv"


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="backslashreplace")


@contextmanager
def _deadline() -> Iterator[None]:
    def hung(signum: int, frame: FrameType | None) -> None:
        raise Hung(f"still running after {HANG_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
