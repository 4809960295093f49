"""JUnit XML test results (pytest's ``--junitxml``, and most CI tools) into ``test_results``."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from matrix.errors import UsageError
from matrix.sources.report import ImportReport


def read_junit(path: Path) -> list[tuple[ET.Element, list[tuple[ET.Element, str]]]]:
    """Each suite of a JUnit file with its test cases and their status (passed, failed, error, skipped)."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise UsageError(f"{Path(path).name} is not a readable JUnit XML file: {exc}.") from None
    if root.tag not in ("testsuite", "testsuites"):
        raise UsageError(
            f"{Path(path).name}: the root element is <{root.tag}>, not <testsuites> or <testsuite>."
        )
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    out = []
    for suite in suites:
        cases = []
        for case in suite.iter("testcase"):
            status = "passed"
            for tag, value in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
                if case.find(tag) is not None:
                    status = value
                    break
            cases.append((case, status))
        out.append((suite, cases))
    return out


def junit_totals(path: Path) -> dict[str, int]:
    """How many test cases of a JUnit file passed, failed, errored and were skipped."""
    totals = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
    for _, cases in read_junit(path):
        for _, status in cases:
            totals[status] += 1
    return totals


def import_junit(
    store: Any,
    tenant_id: str,
    path: Path,
    *,
    run_id: str | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Import every test case of a JUnit file; a second import of the same run adds nothing."""
    now = now or store.clock.now()
    report = ImportReport(source=f"junit:{Path(path).name}")
    rows = []
    for suite, cases in read_junit(path):
        stamp = suite.get("timestamp")
        try:
            recorded = datetime.fromisoformat(stamp).replace(tzinfo=UTC) if stamp else now
        except ValueError:
            recorded = now
        run = run_id or f"{Path(path).name}@{stamp or now.isoformat()}"
        for case, status in cases:
            report.read += 1
            name, classname = case.get("name") or "", case.get("classname")
            if not name:
                report.skip("test case without a name")
                continue
            key = hashlib.sha256(
                f"{tenant_id}\x1f{run}\x1f{classname}\x1f{name}".encode()
            ).hexdigest()[:32]
            try:
                duration = float(case.get("time") or 0)
            except ValueError:
                duration = 0.0
            rows.append({"result_id": key, "tenant_id": tenant_id, "run_id": run, "suite": suite.get("name") or "",
                         "classname": classname, "name": name, "status": status, "duration_s": duration,
                         "recorded_at": recorded, "created_at": now})  # fmt: skip
    unique = list({r["result_id"]: r for r in rows}.values())
    if len(unique) < len(rows):
        report.skip("the same test twice in one run", len(rows) - len(unique))
    report.stored(store.delivery.add("test_results", unique), len(unique))
    return report
