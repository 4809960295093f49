"""Gate reports: summary.json (checked against contracts/gate-verdict.schema.json), summary.md,
JUnit XML for CI, and an HTML rendering of each executed notebook that opens with the verdict in
its colour, the checks' values as people read them and the worst offender (:mod:`.report_html`)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from typing import Any

from matrix.config import mask_secrets
from matrix.contracts import Catalog
from matrix.envelopes import timestamp
from matrix.formats import duration
from matrix.gates import report_html
from matrix.gates.runner import GateResult


def write_reports(results: list[GateResult], out_dir: Path, *, run_id: str, started: datetime, finished: datetime,
                  contracts_dir: Path, storage_url: str | None, commit: str | None) -> dict[str, Any]:  # fmt: skip
    verdicts = {r.verdict for r in results}
    gates: list[dict[str, Any]] = []
    worst_of: dict[str, str] = {}
    summary: dict[str, Any] = {
        "run_id": run_id, "started_at": timestamp(started), "finished_at": timestamp(finished), "commit": commit,
        "storage_url": mask_secrets(storage_url) if storage_url else None,
        "verdict": "fail" if "fail" in verdicts else "no-data" if "no-data" in verdicts else "pass",
        "warnings": sum(len(r.warnings) for r in results),
        "gates": gates,
    }  # fmt: skip
    for r in results:
        artifacts = {"notebook": f"{r.gate.id}.ipynb"}
        unit_of = report_html.units(r.gate)
        checks = [c | {"message": report_html.message(c, unit_of.get(c["name"]))} for c in r.checks]
        gate = {
            "id": r.gate.id, "title": r.gate.title, "notebook": r.gate.notebook.name, "verdict": r.verdict,
            "duration_seconds": round(r.duration_seconds, 3), "error": r.error, "recorded": _jsonable(r.recorded),
            "checks": checks, "warnings": r.warnings, "artifacts": artifacts,
        }  # fmt: skip
        page = _html(r.output)
        if page is not None:
            page = report_html.decorate(page, report_html.header(gate, unit_of))
            (out_dir / f"{r.gate.id}.html").write_text(page, encoding="utf-8")
            artifacts["html"] = f"{r.gate.id}.html"
        if (worst := report_html.worst_offender(gate, unit_of)) is not None:
            worst_of[r.gate.id] = worst
        gates.append(gate)
    catalog = Catalog(contracts_dir)
    catalog.validate(catalog.resolve_id("gate-verdict"), summary)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    (out_dir / "summary.md").write_text(_markdown(summary, worst_of), encoding="utf-8")
    (out_dir / "junit.xml").write_bytes(_junit(summary))
    return summary


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(values, default=str))
    return out


def _html(notebook: Path | None) -> str | None:
    if notebook is None or not notebook.exists():
        return None
    import nbformat
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(notebook, as_version=4))  # type: ignore[no-untyped-call]
    return str(body)


def _markdown(summary: dict[str, Any], worst_of: dict[str, str]) -> str:
    lines = [
        f"# Gate run {summary['run_id']}: {_shown(summary['verdict'], summary['warnings'])}",
        "",
        "| gate | verdict | time | worst offender | detail |",
        "|---|---|---|---|---|",
    ]
    for g in summary["gates"]:
        failed = [
            f"{c['name']} {c['outcome']} ({c['message']})"
            for c in g["checks"]
            if c["outcome"] != "pass"
        ]
        detail = (g["error"] or {}).get("message") or "; ".join(failed) or "all checks pass"
        verdict = _shown(g["verdict"], len(g["warnings"]))
        worst = worst_of.get(g["id"], "—")
        lines.append(
            f"| {g['id']} | {verdict} | {duration(g['duration_seconds'])} | {worst} | {detail} |"
        )
    return "\n".join(lines) + "\n"


def _shown(verdict: str, warnings: int) -> str:
    """``pass``, or ``pass with 2 warnings`` when warning checks failed."""
    if not warnings or verdict == "fail":
        return verdict
    return f"{verdict} with {warnings} warning{'s' if warnings != 1 else ''}"


def _junit(summary: dict[str, Any]) -> bytes:
    suite = ET.Element("testsuite", name="matrix-gates", tests=str(len(summary["gates"])),
                       failures=str(sum(g["verdict"] == "fail" for g in summary["gates"])),
                       skipped=str(sum(g["verdict"] == "no-data" for g in summary["gates"])))  # fmt: skip
    for g in summary["gates"]:
        case = ET.SubElement(
            suite, "testcase", classname="gates", name=g["id"], time=str(g["duration_seconds"])
        )
        if g["verdict"] == "fail":
            message = (g["error"] or {}).get("message") or "; ".join(
                f"{c['name']}: {c['message']}" for c in g["checks"] if c["outcome"] == "fail"
            )
            ET.SubElement(case, "failure", message=message[:500])
        elif g["verdict"] == "no-data":
            ET.SubElement(case, "skipped", message="no data")
        if g["warnings"] and g["verdict"] != "fail":
            ET.SubElement(case, "system-out").text = (
                "warnings (failed warning checks): "
                + ", ".join(
                    f"{c['name']}: {c['message']}"
                    for c in g["checks"]
                    if c["name"] in g["warnings"]
                )
            )
            props = ET.SubElement(case, "properties")
            ET.SubElement(props, "property", name="warnings", value=str(len(g["warnings"])))
    data: bytes = ET.tostring(suite, encoding="utf-8", xml_declaration=True)
    return data
