"""Importers on both backends: the origin's worklog and costlog, JUnit; totals checked by hand."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from matrix.errors import UsageError
from matrix.metrics import compute
from matrix.sources.junit import import_junit
from matrix.sources.worklog import import_costlog, import_worklog
from matrix.storage import Store
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures"
WINDOW = {"since": datetime(2026, 2, 1, tzinfo=UTC), "until": datetime(2026, 4, 1, tzinfo=UTC)}


def _csv_rows(name: str) -> list[list[str]]:
    with (FIXTURES / name).open(encoding="utf-8") as f:
        return list(csv.reader(f))[1:]


@pytest.fixture
def platform(store: Store) -> Store:
    store.tenants.add("platform")
    return store


def test_worklog_totals_match_an_independent_sum(platform: Store) -> None:
    rows = _csv_rows("worklog.csv")
    hours = sum(Decimal(r[3]) for r in rows)
    report = import_worklog(platform, "platform", FIXTURES / "worklog.csv")
    assert (report.read, report.added, report.skipped) == (len(rows), len(rows), 0) == (218, 218, 0)
    again = import_worklog(platform, "platform", FIXTURES / "worklog.csv")
    assert (again.added, again.reasons) == (0, {"already imported": 218})
    total = compute(platform, "focus_time_hours", tenant_id="platform", grain="all", **WINDOW)
    assert total.total == pytest.approx(float(hours)) == pytest.approx(60.08)
    by_phase = Counter(r[4] for r in rows)
    with platform.backend.transaction() as tx:
        stored = dict(
            tx.query(
                "SELECT phase, count(*) FROM worklog WHERE tenant_id = 'platform' GROUP BY phase"
            )
        )
    assert stored == dict(by_phase)


def test_costlog_totals_match_an_independent_sum(platform: Store) -> None:
    rows = _csv_rows("costlog.csv")
    report = import_costlog(platform, "platform", FIXTURES / "costlog.csv")
    assert (report.read, report.added) == (len(rows), len(rows)) == (211, 211)
    with platform.backend.transaction() as tx:
        usd, brl, n = tx.query("SELECT sum(amount_usd), sum(amount_brl), count(*) FROM costlog")[0]
        categories = dict(tx.query("SELECT category, count(*) FROM costlog GROUP BY category"))
    assert Decimal(str(usd)) == sum(Decimal(r[5]) for r in rows)
    assert Decimal(str(brl)) == sum(Decimal(r[4]) for r in rows)
    assert categories == dict(Counter(r[6] for r in rows)) and n == 211


def test_a_malformed_row_is_named_and_nothing_is_imported(platform: Store, tmp_path: Path) -> None:
    bad = tmp_path / "worklog.csv"
    lines = (FIXTURES / "worklog.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("2026-02-22", "22/02/2026", 1)
    lines[4] = lines[4].replace(",0.", ",zero", 1)
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(UsageError) as info:
        import_worklog(platform, "platform", bad)
    message = str(info.value)
    assert "2 malformed row(s), nothing imported" in message
    assert "worklog.csv line 3: date '22/02/2026' is not YYYY-MM-DD" in message
    assert "line 5 duration_hours: 'zero" in message
    with platform.backend.transaction() as tx:
        assert tx.query("SELECT count(*) FROM worklog")[0][0] == 0
    report = import_worklog(platform, "platform", bad, skip_bad=True)
    assert (report.added, report.skipped) == (216, 2)


def test_a_file_without_the_expected_columns_is_refused(platform: Store, tmp_path: Path) -> None:
    wrong = tmp_path / "costlog.csv"
    wrong.write_text("when,what\n2026-01-01,x\n")
    with pytest.raises(UsageError, match="missing column"):
        import_costlog(platform, "platform", wrong)


def test_junit_results_give_the_pass_ratio(platform: Store, tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    report.write_text(
        '<testsuites><testsuite name="pytest" timestamp="2026-02-10T10:00:00">'
        '<testcase classname="a" name="t1" time="0.1"/>'
        '<testcase classname="a" name="t2" time="0.1"><failure message="x"/></testcase>'
        '<testcase classname="a" name="t3" time="0.1"><error message="y"/></testcase>'
        '<testcase classname="a" name="t4" time="0.1"><skipped/></testcase>'
        '<testcase classname="b" name="t5" time="0.2"/>'
        "</testsuite></testsuites>"
    )
    result = import_junit(platform, "platform", report)
    assert (result.read, result.added) == (5, 5)
    assert import_junit(platform, "platform", report).added == 0
    ratio = compute(platform, "test_pass_ratio", tenant_id="platform", grain="all", **WINDOW)
    assert ratio.total == pytest.approx(2 / 4)
    (tmp_path / "broken.xml").write_text("<testsuites><testsuite>")
    with pytest.raises(UsageError, match="not a readable JUnit XML"):
        import_junit(platform, "platform", tmp_path / "broken.xml")
