"""``matrix demo``: build the embedded demo store and say where to look next.

It checks the contracts, creates and migrates the embedded store, registers a demo tenant with
one traced owner request, and simulates weeks of traffic for a few tenants through the real
runtime (once; later runs keep what is there).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from matrix import envelopes as env
from matrix import paths
from matrix.clock import SYSTEM_CLOCK, Clock, FrozenClock
from matrix.config import Settings
from matrix.contracts import Catalog
from matrix.errors import ContractError, MatrixError

DEMO_TENANT = "demo"
DEMO_PASSWORD = "matrix-demo"  # the demo's own sign-in, printed on purpose; never use it elsewhere
_NAMESPACE = uuid.UUID("6f1d1c1e-4a59-4c39-9b1e-0d5b8a7c2f10")


def _id(label: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, label))


def sample_chain(tenant_id: str, start: datetime) -> list[env.Envelope]:
    """One owner request traced end to end: command, task, acceptance, completion.

    Ids are derived from the tenant, so writing the chain twice stores it once.
    """
    clock = FrozenClock(start)
    corr, trace = _id(f"{tenant_id}:corr"), _id(f"{tenant_id}:trace")
    task_id = _id(f"{tenant_id}:task")
    owner_command_id = _id(f"{tenant_id}:oc")
    owner = {"actor_id": "owner", "actor_type": "owner", "channel": "ui-chat"}
    agent = {"actor_id": "owner-concierge", "actor_type": "agent", "channel": "api"}
    text = "Schedule a meeting with Ana Souza on Friday at 10:00"
    # (delay in seconds, kind, name, source, target, status, payload)
    steps: list[tuple[float, str, str, str, str, str | None, dict[str, object]]] = [
        (0.0, "command", "owner.command.create", env.OWNER, env.OWNER, None,
         {"owner_command_id": owner_command_id, "mode": "one-shot", "text": text}),
        (0.01, "event", "owner.command.created", env.OWNER, env.OWNER, "info",
         {"owner_command_id": owner_command_id, "mode": "one-shot"}),
        (0.02, "command", "module.task.create", env.OWNER, env.AGENDA, None,
         {"task_id": task_id, "task_type": "agenda.commitment.schedule", "priority": "normal",
          "input": {"customer": "Ana Souza", "when": "friday 10:00"}}),
        (0.01, "event", "module.task.created", env.OWNER, env.AGENDA, None,
         {"task_id": task_id, "task_type": "agenda.commitment.schedule",
          "target_module": env.AGENDA}),
        (0.4, "event", "module.task.accepted", env.AGENDA, env.OWNER, "accepted",
         {"task_id": task_id, "accepted_by": f"{env.AGENDA}-worker"}),
        (0.3, "event", "module.task.completed", env.AGENDA, env.OWNER, "completed",
         {"task_id": task_id, "result_summary": "Appointment booked."}),
    ]  # fmt: skip
    chain: list[env.Envelope] = []
    causation: str | None = None
    for index, (delay, kind, name, source, target, status, payload) in enumerate(steps):
        clock.advance(delay)
        if kind == "command":
            actor = owner if not chain else agent
            built = env.command(
                name, tenant_id=tenant_id, source_module=source, target_module=target,
                payload=payload, actor=actor, correlation_id=corr, causation_id=causation,
                trace_id=trace, clock=clock,
            )  # fmt: skip
            built["command_id"] = _id(f"{tenant_id}:{index}")
            causation = built["command_id"]
        else:
            built = env.event(
                name, tenant_id=tenant_id, source_module=source, target_module=target,
                payload=payload, status=status, correlation_id=corr, causation_id=causation,
                trace_id=trace, clock=clock,
            )  # fmt: skip
            built["event_id"] = _id(f"{tenant_id}:{index}")
        chain.append(built)
    return chain


def run_demo(
    settings: Settings,
    *,
    echo: Callable[[str], None],
    tenants: int = 5,
    days: int = 14,
    progress: Callable[[int], None] | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> None:
    """Check contracts, build the store, simulate traffic once, run the gates, and print what to
    do next."""
    from functools import partial

    from matrix.app import build
    from matrix.concierge.packs import apply_pack, read_pack, sample_pack
    from matrix.simulate import run_simulation

    catalog = Catalog(settings.contracts_dir)
    report = catalog.check()
    if not report.ok:
        first = report.issues[0]
        raise ContractError(
            f"contracts are broken: {first.file}: {first.message}; run `matrix contracts check`."
        )
    echo(
        f"[1/4] contracts ok: {report.schemas} schemas, "
        f"{report.valid_examples + report.invalid_examples} examples checked"
    )
    with build(settings, clock=clock, migrate=True) as app:
        store = app.store
        echo(f"[2/4] store {store.url} ready at schema version {store.schema_version()}")
        # The demo tenant is made from the shipped example pack, as `matrix tenant apply` does.
        pack = read_pack(sample_pack(), catalog, tenant_id=DEMO_TENANT, name="Demo Tenant")
        applied = apply_pack(app.concierge.runtimes, pack)
        echo(f"      tenant {DEMO_TENANT} from the example pack: {applied['tenant']},"
             f" modules {', '.join(applied['modules'] or [])}")  # fmt: skip
        start = clock.now().replace(microsecond=0) - timedelta(minutes=5)
        store.events.append_many(sample_chain(DEMO_TENANT, start))
        if store.events.count("sim-01"):
            echo("[3/4] simulated traffic already present (run `matrix simulate` to add more)")
        else:
            echo(f"[3/4] simulating {days} days of {tenants} tenants through the real runtime ...")
            sim = run_simulation(
                partial(build, store=store),
                tenants=tenants,
                days=days,
                seed=7,
                end=clock.now(),
                progress=progress,
            )
            r = sim.as_dict()
            echo(
                f"      {r['interactions']} owner requests, {r['inbound_whatsapp_messages']} inbound WhatsApp"
                f" messages, tasks {r['tasks']}, approvals {r['approvals']},"
                f" {r['provider_errors']} AI provider errors, in {r['seconds']} s"
            )
            echo(f"      {r['note']}")
        _persona2(store, echo)
        _memory(app, echo)
        _import_history(store, settings, echo)
        _users(store)
    _gates(settings, clock, echo)
    echo("")
    echo("Where to look next:")
    echo(f"  .venv/bin/matrix chat --tenant {DEMO_TENANT}          talk to Persona 1")
    echo("  .venv/bin/matrix approvals list --tenant sim-01 --status all")
    echo("  .venv/bin/matrix events list --tenant sim-01 --limit 10")
    echo("  .venv/bin/matrix agenda list --tenant sim-01")
    echo("  .venv/bin/matrix billing list --tenant sim-01")
    echo("  .venv/bin/matrix crm leads --tenant sim-01")
    echo(
        "  dashboards → Conversations (/conversations)   Persona 2's drafts, handoffs; approve and send"
    )
    echo("  .venv/bin/matrix metrics dora --tenant platform")
    echo("  .venv/bin/matrix metrics slo --tenant sim-01")
    echo("  .venv/bin/matrix tenant show sim-01")
    echo("  .venv/bin/matrix --help")
    echo(
        f"Dashboards (`.venv/bin/matrix serve`, or `make demo` without SERVE=0): sign in as admin /"
        f" {DEMO_PASSWORD} (every tenant) or manager / {DEMO_PASSWORD} (sim-01 only)."
    )
    echo(
        "HTTP API (same server, docs at http://127.0.0.1:8050/docs): make a token with"
        " `.venv/bin/matrix token create --tenant sim-01`, then"
        " `curl -H 'Authorization: Bearer <token>' http://127.0.0.1:8050/v1/customers` (README: HTTP API)."
    )


MEMORY_FACTS = (
    "Our accountant is Ana Lima from Contas Certas; she closes the books on the 5th.",
    "By the way, our accountant is now Rui Sousa from Contabilidade Lima, send him the invoices.",
    "I prefer supplier meetings on Tuesday mornings, never after 5 pm.",
)
MEMORY_QUESTION = "Who is our accountant these days?"


def _memory(app: Any, echo: Callable[[str], None]) -> None:
    """The owner of sim-01 tells the concierge a few things in one session, and asks in another:
    the answer comes from long memory (the newer accountant, not the superseded one)."""
    told = "demo-memory-told"
    for fact in MEMORY_FACTS:
        app.concierge.interact("sim-01", told, fact)
    answer = app.concierge.interact("sim-01", "demo-memory-asked", MEMORY_QUESTION)
    summary = app.memory.summary("sim-01")
    corr = answer.owner_command.correlation_id
    echo(
        f"      memory: sim-01 keeps {summary['entries_total']} long-term entries"
        f" ({summary['promoted_count']} promoted, {summary['superseded_count']} superseded);"
        f" asked {MEMORY_QUESTION!r} in a new session, the concierge answered"
        f" {answer.assistant_output.text!r} (dashboards → Traces, tenant sim-01: the memory panel of"
        f" /traces?correlation={corr} shows the fact recalled)"
    )


def _persona2(store: Any, echo: Callable[[str], None]) -> None:
    """What Persona 2 did in the simulated tenants, counted in the store, and where to see it."""
    from matrix.simulate import SIM_PREFIX
    from matrix.simulate.report import persona2_counts

    tenants = [t.tenant_id for t in store.tenants.list() if t.tenant_id.startswith(SIM_PREFIX)]
    p = persona2_counts(store, tenants)
    reasons = ", ".join(f"{n} {reason}" for reason, n in p["handoffs_by_reason"].items()) or "none"
    echo(
        f"      Persona 2 (WhatsApp agent) read {p['messages_read']} inbound messages: sent"
        f" {p['replies_sent_automatically']} replies by itself, moved {p['leads_moved']} leads,"
        f" handed over to a human: {reasons}; {p['waiting_for_human']} conversations wait for a"
        " human now (dashboards → Conversations)"
    )


def _users(store: object) -> None:
    """The demo's dashboard users: an admin and a manager of sim-01 (created once)."""
    from matrix.access import add_user, get_user

    if get_user(store, "admin") is None:
        add_user(store, "admin", DEMO_PASSWORD, role="admin")
    if get_user(store, "manager") is None and store.tenants.get("sim-01") is not None:  # type: ignore[attr-defined]
        add_user(store, "manager", DEMO_PASSWORD, role="manager", tenants=["sim-01"])


def _gates(settings: Settings, clock: Clock, echo: Callable[[str], None]) -> None:
    """Run the shipped gates on the demo store (closed by now, so that the kernels can open it)."""
    import sys

    from tqdm import tqdm

    from matrix.gates import service

    run_id = "demo-" + clock.now().strftime("%Y%m%dT%H%M%SZ")
    echo(f"[4/4] running the quality gates on the demo store (reports/gates/{run_id}/) ...")
    try:
        gates = service.choose(run_all=True)
        # The gates' kernels answer with the offline provider unless the user chose one.
        mode = "local" if settings.sources.get("provider_mode", "default") == "default" else None
        with tqdm(
            total=len(gates), unit="gate", desc="gates", file=sys.stderr, disable=None
        ) as bar:
            done = service.run(settings, clock=clock, gates=gates, run_id=run_id,
                               progress=bar.update,
                               provider_mode=mode)  # fmt: skip
    except MatrixError as exc:
        echo(f"      the gate run did not finish: {exc}")
        return
    verdicts = done.summary["gates"]
    passed = [g["id"] for g in verdicts if g["verdict"] == "pass"]
    echo(f"      {len(passed)} of {len(verdicts)} gates pass; the others, and why"
         f" (details in reports/gates/{run_id}/summary.md):")  # fmt: skip
    for gate in verdicts:
        if gate["verdict"] != "pass":
            echo(f"        {gate['id']} {gate['verdict']} — {_why(gate)}")
    echo(
        "      (g02 needs a PostgreSQL server in MATRIX_GATE_POSTGRES_URL and a test run; `make test` has both)"
    )


def _why(gate: dict[str, Any]) -> str:
    """Why a gate did not pass: its error, else the blocking check first (a failed error-level
    one), then the next."""
    ranked = sorted((c for c in gate["checks"] if c["outcome"] != "pass"),
                    key=lambda c: c["outcome"] != "fail" or c["level"] != "error")  # fmt: skip
    why: str = (gate["error"] or {}).get("message") or "; ".join(
        f"{c['name']}: {c['message']}" for c in ranked[:2]
    )
    return why


def _import_history(store: object, settings: Settings, echo: Callable[[str], None]) -> None:
    """The project's own delivery history: its git commits and release tags, and its last test run."""

    from matrix.sources.git import import_git
    from matrix.sources.junit import import_junit

    root = paths.checkout_root()
    if root is None:
        return  # an installed package has no history of its own to import
    store.tenants.add("platform", "Platform")  # type: ignore[attr-defined]
    try:
        commits, releases = import_git(store, "platform", root, name="matrix-workbench")
        echo(
            f"      imported this project's git history: {commits.read} commits, {releases.added} new release tags"
        )
    except MatrixError as exc:
        echo(f"      (no git history imported: {exc})")
    junit = root / "reports" / "junit.xml"
    if junit.exists():
        report = import_junit(store, "platform", junit)
        echo(f"      imported the last test run ({junit.relative_to(root)}): {report.read} tests")
