"""``matrix memory eval``: recall measured on the labelled histories, beside full context and BM25."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from matrix.cli.options import CONTEXT, json_option
from matrix.cli.output import emit, table
from matrix.memory import evaluate

BOUNDS = {"min_recall": 0.90, "min_margin": 0.15, "min_latest_first": 0.95, "max_tokens": 2000}
"""What ``--check`` holds the memory system to (issue 17's bar)."""


@click.command("eval", context_settings=CONTEXT)
@click.option(
    "--part", type=click.Choice(evaluate.PARTS), default="test", show_default=True,
    help="Which tenants: dev (memory is tuned on them), test (they measure it), all.",
)  # fmt: skip
@click.option("--k", "k", type=click.IntRange(1, 50), default=evaluate.K, show_default=True,
              help="How many ranked items count (evidence recall@k).")  # fmt: skip
@click.option(
    "--embedder", type=click.Choice(("local", "off")), default="local", show_default=True,
    help="local: the shipped offline model (wordllama, 256 dimensions); off: keywords only.",
)  # fmt: skip
@click.option("--check", is_flag=True,
              help="Exit 1 unless recall@k >= 0.90, 15 points above BM25, latest-first >= 95 %"
                   " and no recall above 2,000 tokens.")  # fmt: skip
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Another labelled set in the same format (JSON lines) instead of the shipped one.")  # fmt: skip
@click.option("--tenants", "limit", type=click.IntRange(1, None), default=None,
              help="Only the first N histories of the part (a quick look; the bar is for the whole part).")  # fmt: skip
@click.option("--judge", is_flag=True,
              help="Also answer each question from each system's context and grade it with the"
                   " platform's OpenAI model (MATRIX_OPENAI_API_KEY; two calls per question and system).")  # fmt: skip
@json_option
def memory_eval(
    part: str, k: int, embedder: str, check: bool, path: Path | None, limit: int | None,
    judge: bool, as_json: bool,
) -> None:  # fmt: skip
    """Evidence recall@k, latest-first on knowledge updates, tokens and recall latency of memory
    on the labelled histories, beside full context and plain BM25 over turns, in one run (an
    in-memory DuckDB store, the product's own remember and rank)."""
    from tqdm import tqdm

    from matrix.clock import Clock
    from matrix.providers.embeddings import LocalEmbedder
    from matrix.storage import open_store

    histories = evaluate.select(evaluate.load(path), part)[:limit]
    grader = _judge() if judge else None
    chosen = LocalEmbedder() if embedder == "local" else None

    def store_for(clock: Clock) -> Any:
        return open_store("duckdb:///:memory:", clock=clock, migrate=True)

    with tqdm(total=len(histories), unit="tenant", desc="memory eval", file=sys.stderr,
              disable=True if as_json else None) as bar:  # fmt: skip
        report = evaluate.evaluate(histories, store_for, chosen, part=part, k=k,
                                   progress=bar.update, judge=grader)  # fmt: skip
    emit(report.as_dict(), as_json, _text)
    if check and _failures(report):
        raise SystemExit(1)


def _judge() -> evaluate.Judge:
    """The platform's OpenAI model as the judge (strict: a failure stops the run)."""
    from matrix.concierge.ports import TenantAI
    from matrix.config import Settings
    from matrix.errors import UsageError
    from matrix.providers.select import select_provider

    settings = Settings.load()
    if not settings.openai_api_key:
        raise UsageError("--judge needs the platform's OpenAI key: set MATRIX_OPENAI_API_KEY"
                         " (and MATRIX_OPENAI_BASE_URL for another compatible server).")  # fmt: skip
    provider, _ = select_provider(settings, TenantAI(mode="openai"))
    return evaluate.provider_judge(provider)


def _failures(report: evaluate.Report) -> list[str]:
    ours, bm25 = report.systems["memory"], report.systems["bm25_turns"]
    recall, base = ours["recall_at_k"] or 0.0, bm25["recall_at_k"] or 0.0
    out = []
    if recall < BOUNDS["min_recall"]:
        out.append(f"recall@{report.k} {recall:.3f} is below {BOUNDS['min_recall']}")
    if recall - base < BOUNDS["min_margin"]:
        out.append(
            f"recall@{report.k} is {recall - base:+.3f} against BM25 (needs +{BOUNDS['min_margin']})"
        )
    if (ours["latest_first"] or 0.0) < BOUNDS["min_latest_first"]:
        out.append(f"latest-first {ours['latest_first']} is below {BOUNDS['min_latest_first']}")
    if (ours["tokens_max"] or 0) > BOUNDS["max_tokens"]:
        out.append(f"a recall added {ours['tokens_max']} tokens (at most {BOUNDS['max_tokens']})")
    return out


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value * 100:.1f}%" if isinstance(value, float) and value <= 1 else f"{value:,.0f}"


def _text(r: dict[str, Any]) -> str:
    rows = []
    for name, s in r["systems"].items():
        rows.append({
            "system": name, f"recall@{r['k']}": _cell(s["recall_at_k"]),
            **{c: _cell(s["by_category"].get(c)) for c in evaluate.CATEGORIES[:-1]},
            "latest first": _cell(s["latest_first"]), "tokens (mean)": _cell(s["tokens_mean"]),
            "tokens (max)": _cell(s["tokens_max"]),
            "p95 ms": "-" if s["latency_p95_ms"] is None else f"{s['latency_p95_ms']:.1f}",
            **({"judged": _cell(s["judge_accuracy"])} if s.get("judge_accuracy") is not None else {}),
        })  # fmt: skip
    columns = list(rows[0]) if rows else []
    head = (f"memory on the {r['part']} part: {r['tenants']} tenants,"
            f" {r['systems']['memory']['questions']} questions, embedder {r['embedding_model'] or 'off'}")  # fmt: skip
    report = evaluate.Report(part=r["part"], tenants=r["tenants"], k=r["k"],
                             embedding_model=r["embedding_model"], systems=r["systems"])  # fmt: skip
    failing = _failures(report)
    verdict = ("meets the bar: " + ", ".join(f"{k} {v}" for k, v in BOUNDS.items())) if not failing \
        else "below the bar: " + "; ".join(failing)  # fmt: skip
    return "\n".join([head, "", table(rows, columns), "", verdict])


def register(group: click.Group) -> None:
    group.add_command(memory_eval)
