"""``matrix routing``: routing measured as a model, on the labelled corpus of owner requests."""

from __future__ import annotations

from typing import Any

import click

from matrix.cli.options import CONTEXT, Number, json_option, open_app, storage_option
from matrix.cli.output import emit, table
from matrix.routing import PARTS, rules_report, tenant_report


@click.group(context_settings=CONTEXT)
def routing() -> None:
    """Routing as a measured model: score the routing rules on the labelled corpus."""


@routing.command("eval")
@click.option(
    "--part", type=click.Choice(PARTS), default="test", show_default=True,
    help="Which part of the corpus: dev (rules are tuned on it), test (it measures them), all.",
)  # fmt: skip
@click.option(
    "--min-accuracy", type=Number(0, 1), default=None,
    help="Exit 1 when the accuracy is below this share (e.g. 0.95).",
)  # fmt: skip
@click.option(
    "--tenant", "tenant_id", default=None,
    help="Score this tenant's routing instead: its rules and policy and, when it has its own AI"
    " key, its classifier within the rules' guard (one model call per case).",
)  # fmt: skip
@storage_option
@json_option
def routing_eval(
    part: str, min_accuracy: float | None, tenant_id: str | None, storage_url: str | None,
    as_json: bool,
) -> None:  # fmt: skip
    """Accuracy, per-intent precision and recall, the confusion matrix and every harmful
    confusion of the shipped routing rules (or a tenant's routing) on a part of the corpus.

    A confusion is harmful when the policy would have refused the request, or held it for
    approval, and the task it was routed to runs without either. Exit 1 on any harmful confusion
    (or below --min-accuracy).
    """
    if tenant_id is None:
        report = rules_report(part)
    else:
        with open_app(storage_url) as app:
            runtime = app.concierge.tenant_runtime(tenant_id)
            classifiers = app.concierge.interaction.classifiers
            classifier = classifiers(runtime.ai) if classifiers else None
            report = tenant_report(part, runtime.routing, runtime.policy, classifier, tenant_id)
    emit(report.as_dict(), as_json, _text)
    low = min_accuracy is not None and (report.accuracy or 0.0) < min_accuracy
    if report.harmful or low:
        raise SystemExit(1)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _text(r: dict[str, Any]) -> str:
    labels: list[str] = r["labels"]
    languages = ", ".join(
        f"{x['language']} {_percent(x['accuracy'])} of {x['cases']}" for x in r["languages"]
    )
    intents = [
        {**s, "precision": _percent(s["precision"]), "recall": _percent(s["recall"])}
        for s in r["intents"]
    ]
    lines = [
        f"routing {r['router']} {r['routing_version']} (policy {r['policy_version']}) on the"
        f" {r['part']} part: {r['correct']}/{r['cases']} correct, accuracy"
        f" {_percent(r['accuracy'])}, {r['harmful_count']} harmful confusion(s)",
        f"  by language: {languages}",
        "",
        table(intents, ("intent", "support", "predicted", "precision", "recall")),
        "",
        "confusion (rows: expected, columns: routed to, numbered as the rows):",
    ]
    width = max(len(label) for label in labels) + 4
    lines.append(" " * width + "".join(f"{i + 1:>5}" for i in range(len(labels))))
    for i, (label, row) in enumerate(zip(labels, r["confusion"], strict=True)):
        cells = "".join(f"{n if n else '.':>5}" for n in row)
        lines.append(f"{i + 1:>2}. {label}".ljust(width) + cells)
    if r["reasons"]:
        lines += ["", "how the tasks were chosen: "
                  + ", ".join(f"{reason} {n}" for reason, n in r["reasons"].items())]  # fmt: skip
    lines += ["", f"harmful confusions: {r['harmful_count']}"]
    lines += [
        f"  {m['id']} [{m['harm']}] {m['expected']} -> {m['predicted']}: {m['text']}"
        for m in r["harmful"]
    ]
    others = [m for m in r["misses"] if not m["harm"]]
    lines += ["", f"other misses: {len(others)}"]
    lines += [f"  {m['id']} {m['expected']} -> {m['predicted']}: {m['text']}" for m in others]
    return "\n".join(lines)


COMMANDS = (routing,)
