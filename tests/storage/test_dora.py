"""DORA metrics on a synthetic git repository with known commit and tag times, on both backends."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from matrix.errors import UsageError
from matrix.metrics.dora import classify, dora, summarize
from matrix.sources.git import import_git
from matrix.storage import Store

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _commit(repo: Path, at: datetime, message: str) -> None:
    (repo / "log.txt").write_text(
        (repo / "log.txt").read_text() + message + "\n"
        if (repo / "log.txt").exists()
        else message + "\n"
    )
    stamp = at.isoformat()
    env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_NAME": "Dev",
           "GIT_AUTHOR_EMAIL": "dev@example.com", "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com"}  # fmt: skip
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True, env=env, capture_output=True)
    subprocess.run(
        ["git", "-C", str(repo), "commit", "-qm", message], check=True, env=env, capture_output=True
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """c1 (T0), c2 (T0+2h, tagged v1.0), c3 (T0+5h), c4 (T0+30h, tagged v1.1), c5 (T0+40h, untagged)."""
    path = tmp_path_factory.mktemp("repo") / "shop"
    path.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    for hours, name, tag in ((0, "c1", None), (2, "c2", "v1.0"), (5, "c3", None), (30, "c4", "v1.1"),
                             (40, "c5", None)):  # fmt: skip
        _commit(path, T0 + timedelta(hours=hours), name)
        if tag:
            subprocess.run(["git", "-C", str(path), "tag", tag], check=True)
    subprocess.run(["git", "-C", str(path), "tag", "nightly-1"], check=True)
    return path


@pytest.fixture
def loaded(store: Store, repo: Path) -> Store:
    store.tenants.add("platform")
    commits, releases = import_git(store, "platform", repo)
    assert (commits.read, commits.added) == (5, 5)
    assert (releases.added, releases.reasons) == (2, {"tag does not match v*": 1})
    again, _ = import_git(store, "platform", repo)
    assert again.added == 0
    return store


WINDOW = {"since": T0 - timedelta(days=1), "until": T0 + timedelta(days=3)}


def test_lead_time_and_frequency_worked_out_by_hand(loaded: Store) -> None:
    report = dora(loaded, "platform", **WINDOW)
    # v1.0 ships c1 (2 h) and c2 (0 h: dropped); v1.1 ships c3 (25 h) and c4 (0 h: dropped); c5 is unreleased.
    assert (report.lead_times_used, report.lead_times_dropped) == (2, 2)
    assert report.lead_time_hours == pytest.approx(13.5)
    assert dora(loaded, "platform", statistic="mean", **WINDOW).lead_time_hours == pytest.approx(
        13.5
    )
    assert dora(loaded, "platform", statistic="p90", **WINDOW).lead_time_hours == pytest.approx(
        2 + 0.9 * 23
    )
    assert report.deployments == 2 and report.deployments_per_day == pytest.approx(2 / 4)
    assert report.change_failure_ratio == 0.0 and report.time_to_restore_hours is None
    assert report.empty_reasons == {"time_to_restore": "no incidents recorded in the window"}
    # 0.5 deployments a day, 13.5 h lead time, no failures, no restore time — placed by hand:
    expected = {
        2021: {
            "deployments_per_day": "high",
            "lead_time_hours": "high",
            "change_failure_ratio": "elite",
        },
        2023: {
            "deployments_per_day": "high",
            "lead_time_hours": "elite",
            "change_failure_ratio": "elite",
        },
        2024: {
            "deployments_per_day": "high",
            "lead_time_hours": "elite",
            "change_failure_ratio": "elite",
        },
    }
    for year, levels in expected.items():
        placed = dora(loaded, "platform", benchmark_year=year, **WINDOW)
        assert placed.levels == levels and placed.level == "high"
    assert report.benchmark["lead_time_hours"] == "less than one day"  # 2024 by default
    p90 = dora(loaded, "platform", statistic="p90", benchmark_year=2023, **WINDOW)
    assert p90.levels["lead_time_hours"] == "elite"  # 22.7 h < one day


def test_incidents_attribute_failures_and_restore_time(loaded: Store) -> None:
    with loaded.backend.transaction() as tx:
        tx.execute("INSERT INTO incidents VALUES ('i1', 'platform', 'checkout down', 'sev1', ?, ?, NULL, false, ?)",
                   [T0 + timedelta(hours=31), T0 + timedelta(hours=34), T0])  # fmt: skip
        tx.execute("INSERT INTO incidents VALUES ('i2', 'platform', 'slow search', 'sev3', ?, ?, NULL, false, ?)",
                   [T0 + timedelta(hours=60), T0 + timedelta(hours=61), T0])  # fmt: skip
    window = dora(loaded, "platform", attribution_hours=24, **WINDOW)
    # i1 starts 1 h after v1.1 → attributed; i2 starts 30 h after v1.1 → outside 24 h.
    assert window.failed_deployments == 1 and window.change_failure_ratio == pytest.approx(0.5)
    assert window.time_to_restore_hours == pytest.approx(2.0)  # median of 3 h and 1 h
    for year in (2021, 2023, 2024):
        placed = dora(loaded, "platform", benchmark_year=year, **WINDOW)
        assert placed.levels["change_failure_ratio"] == "low" and placed.level == "low"
        assert placed.levels["time_to_restore_hours"] == "high"  # 2 h: less than one day
    named = dora(loaded, "platform", attribution="named", **WINDOW)
    assert named.change_failure_ratio == 0.0
    wide = dora(loaded, "platform", attribution_hours=48, **WINDOW)
    assert wide.change_failure_ratio == pytest.approx(
        0.5
    )  # both land on v1.1: still one failed deployment


def test_empty_window_and_bad_parameters(loaded: Store) -> None:
    later = dora(loaded, "platform", since=T0 + timedelta(days=30), until=T0 + timedelta(days=31))
    assert later.deployments == 0 and later.change_failure_ratio is None
    assert later.empty_reasons["deployments"] == "no deployments recorded in the window"
    with pytest.raises(UsageError, match="before it starts"):
        dora(loaded, "platform", since=T0, until=T0 - timedelta(days=1))
    with pytest.raises(UsageError, match="statistic"):
        dora(loaded, "platform", statistic="p99", **WINDOW)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="benchmark year must be one of 2021, 2023, 2024"):
        dora(loaded, "platform", benchmark_year=2022, **WINDOW)
    assert later.levels == {} and later.level is None


@pytest.mark.parametrize(("metric", "value", "year", "level"), [
    ("lead_time_hours", 24.0, 2023, "high"),  # "less than one day" is strict
    ("lead_time_hours", 23.99, 2024, "elite"),
    ("lead_time_hours", 0.5, 2021, "elite"),
    ("lead_time_hours", 1.0, 2021, "high"),
    ("lead_time_hours", 500.0, 2021, "medium"),  # beyond one week, within six months
    ("lead_time_hours", 5000.0, 2024, "low"),
    ("time_to_restore_hours", 1.0, 2024, "high"),
    ("time_to_restore_hours", 100.0, 2021, "medium"),
    ("time_to_restore_hours", 100.0, 2024, "low"),  # 2024's medium recovers in less than a day
    ("change_failure_ratio", 0.05, 2024, "elite"),  # inclusive
    ("change_failure_ratio", 0.15, 2024, "high"),  # high (20%) is checked before medium (10%)
    ("change_failure_ratio", 0.15, 2023, "medium"),
    ("change_failure_ratio", 0.15, 2021, "elite"),
    ("change_failure_ratio", 0.31, 2021, "low"),
    ("deployments_per_day", 1.0, 2023, "elite"),
    ("deployments_per_day", 1 / 7, 2023, "high"),
    ("deployments_per_day", 1 / 7, 2021, "high"),  # 2021's high is weekly to monthly
    ("deployments_per_day", 1 / 60, 2021, "medium"),
    ("deployments_per_day", 1 / 60, 2024, "low"),
    ("deployments_per_day", 1 / 365, 2021, "low"),
])  # fmt: skip
def test_benchmark_levels_at_the_edges(metric: str, value: float, year: int, level: str) -> None:
    placed = classify(metric, value, year)
    assert placed is not None and placed[0] == level


@pytest.mark.parametrize(("values", "stat", "expected"), [([], "median", None), ([4.0], "p90", 4.0),
                                                          ([1, 2, 3, 4], "median", 2.5), ([1, 1, 1], "p90", 1.0)])  # fmt: skip
def test_summarize_edges(values: list[float], stat: str, expected: float | None) -> None:
    assert summarize(values, stat) == expected  # type: ignore[arg-type]


def test_not_a_repository_is_a_clear_error(store: Store, tmp_path: Path) -> None:
    store.tenants.add("platform")
    with pytest.raises(UsageError, match="not a readable git repository"):
        import_git(store, "platform", tmp_path)


def test_recorded_deployments_and_imported_incidents_feed_dora(
    loaded: Store, tmp_path: Path
) -> None:
    from matrix.sources.deliveries import import_incidents, record_deployment

    _, new = record_deployment(loaded, "platform", service="shop", version="hotfix-1", status="failed",
                               at=T0 + timedelta(hours=35))  # fmt: skip
    assert (
        new
        and not record_deployment(
            loaded, "platform", service="shop", version="hotfix-1", status="failed"
        )[1]
    )
    incidents = tmp_path / "incidents.csv"
    incidents.write_text("incident_id,title,severity,started_at,resolved_at,deployment_id\n"
                         f"INC-1,checkout down,sev1,{(T0 + timedelta(hours=31)).isoformat()},"
                         f"{(T0 + timedelta(hours=33)).isoformat()},\n")  # fmt: skip
    assert import_incidents(loaded, "platform", incidents).added == 1
    assert import_incidents(loaded, "platform", incidents).added == 0
    report = dora(loaded, "platform", **WINDOW)
    # v1.0 ok, v1.1 attributed INC-1 (1 h after), hotfix-1 failed: 2 of 3.
    assert report.deployments == 3 and report.change_failure_ratio == pytest.approx(2 / 3)
    assert report.time_to_restore_hours == pytest.approx(2.0)
    bad = tmp_path / "bad.csv"
    bad.write_text("incident_id,title,severity,started_at,resolved_at\nINC-2,x,sev2,yesterday,\n")
    with pytest.raises(
        UsageError, match=r"bad\.csv line 2 started_at: 'yesterday' is not a date-time"
    ):
        import_incidents(loaded, "platform", bad)


def test_trend_windows_equal_separate_reports(loaded: Store) -> None:
    from matrix.metrics.dora import dora_trend

    trend = dora_trend(loaded, "platform", grain="day", **WINDOW)
    assert len(trend) == 4 and [r.deployments for r in trend] == [0, 1, 1, 0]
    for window in trend:
        alone = dora(loaded, "platform", since=window.since, until=window.until)
        assert window.as_dict() == alone.as_dict()
    with pytest.raises(UsageError, match="grain must be day, week or month"):
        dora_trend(loaded, "platform", grain="hour", **WINDOW)
