"""DORA by ancestry on synthetic repositories with branches merged after a release, annotated
and lightweight tags, and the same history imported from two clones — on both backends."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from matrix.metrics.dora import dora, lead_times
from matrix.sources.deliveries import record_deployment
from matrix.sources.git import import_git
from matrix.storage import Store

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
WINDOW = {"since": T0 - timedelta(days=1), "until": T0 + timedelta(days=10)}


def _commit(repo: Path, at: datetime, message: str, file: str = "main.txt") -> None:
    """A commit at ``at`` that appends ``message`` to ``file`` (one file per branch: no conflicts)."""
    with (repo / file).open("a") as out:
        out.write(message + "\n")
    _git(repo, "add", ".", at=at)
    _git(repo, "commit", "-qm", message, at=at)


def _git(repo: Path, *args: str, at: datetime | None = None) -> str:
    env = {"GIT_COMMITTER_DATE": at.isoformat(), "GIT_AUTHOR_DATE": at.isoformat()} if at else {}
    done = subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env={**os.environ, "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "d@example.com",
                               "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "d@example.com", **env})  # fmt: skip
    return done.stdout.strip()


@pytest.fixture(scope="module")
def branched(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """main: m1 (T0), m2 (T0+1h) tagged v1 annotated at T0+3h; feature branch f1 (T0+2h, made
    BEFORE v1) merged at T0+26h; m3 (T0+27h) tagged v2 lightweight."""
    path = tmp_path_factory.mktemp("branched") / "shop"
    path.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    _commit(path, T0, "m1")
    _git(path, "checkout", "-q", "-b", "feature")
    _commit(path, T0 + timedelta(hours=2), "f1", file="feature.txt")
    _git(path, "checkout", "-q", "main")
    _commit(path, T0 + timedelta(hours=1), "m2")
    _git(path, "tag", "-a", "v1", "-m", "release 1", at=T0 + timedelta(hours=3))
    _git(
        path,
        "merge",
        "-q",
        "--no-ff",
        "feature",
        "-m",
        "merge feature",
        at=T0 + timedelta(hours=26),
    )
    _commit(path, T0 + timedelta(hours=27), "m3")
    _git(path, "tag", "v2")
    return path


def _by_ancestry(repo: Path) -> list[float]:
    """Lead times worked out by git itself: commits in v2 and not in v1 ship with v2."""

    def times(rev_range: list[str], released: datetime) -> list[float]:
        shas = _git(repo, "rev-list", *rev_range).split()
        return [(released - datetime.fromisoformat(_git(repo, "show", "-s", "--format=%cI", s)).astimezone(UTC)
                 ).total_seconds() / 3600 for s in shas]  # fmt: skip

    v1_at = datetime.fromisoformat(
        _git(repo, "for-each-ref", "--format=%(taggerdate:iso-strict)", "refs/tags/v1")
    )
    v2_at = datetime.fromisoformat(_git(repo, "show", "-s", "--format=%cI", "v2")).astimezone(UTC)
    return sorted(h for h in times(["v1"], v1_at) + times(["v2", "^v1"], v2_at) if h > 0)


def test_lead_time_follows_ancestry_not_commit_time(store: Store, branched: Path) -> None:
    store.tenants.add("platform")
    import_git(store, "platform", branched)
    report = dora(store, "platform", statistic="mean", **WINDOW)
    expected = _by_ancestry(branched)
    # f1 was committed before v1 but ships with v2: 25 h, not the 1 h a time rule would give.
    assert 25.0 in [round(h, 6) for h in expected]
    assert report.lead_times_used == len(expected)
    assert report.lead_time_hours == pytest.approx(sum(expected) / len(expected))


def test_annotated_tag_dates_the_release_unless_told_otherwise(
    store: Store, branched: Path
) -> None:
    store.tenants.add("platform")
    import_git(store, "platform", branched)
    with store.transaction() as tx:
        rows = tx.query("SELECT version, deployed_at FROM deployments ORDER BY version")
    assert [(v, at.astimezone(UTC)) for v, at in rows] == [
        ("v1", T0 + timedelta(hours=3)), ("v2", T0 + timedelta(hours=27))]  # fmt: skip


def test_release_time_commit_dates_by_the_tagged_commit(store: Store, branched: Path) -> None:
    store.tenants.add("platform")
    import_git(store, "platform", branched, release_time="commit")
    with store.transaction() as tx:
        rows = tx.query("SELECT version, deployed_at FROM deployments ORDER BY version")
    assert rows[0][1].astimezone(UTC) == T0 + timedelta(hours=1)


def test_same_history_from_two_clones_is_stored_once(
    store: Store, branched: Path, tmp_path: Path
) -> None:
    store.tenants.add("platform")
    other = tmp_path / "renamed-clone"
    shutil.copytree(branched, other)
    first, releases = import_git(store, "platform", branched)
    second, again = import_git(store, "platform", other)
    assert first.added == 5 and releases.added == 2
    assert (second.added, again.added) == (0, 0)
    assert dora(store, "platform", **WINDOW).deployments == 2


def test_rework_rate_counts_hotfixes_and_remediations(store: Store) -> None:
    store.tenants.add("acme")
    for hours, version, extra in ((1, "1", {}), (5, "2", {"hotfix": True}), (9, "3", {"remediates": "inc-7"}),
                                  (13, "4", {}), (17, "5", {"kind": "config"})):  # fmt: skip
        record_deployment(
            store, "acme", service="api", version=version, at=T0 + timedelta(hours=hours), **extra
        )
    report = dora(store, "acme", **WINDOW)
    assert (report.deployments, report.code_deployments, report.config_deployments) == (5, 4, 1)
    assert report.rework_deployments == 2 and report.rework_ratio == pytest.approx(2 / 5)
    assert report.factors["instability"] == {
        "change_failure_ratio": 0.0,
        "rework_ratio": pytest.approx(0.4),
    }
    assert set(report.factors["throughput"]) == {
        "deployments_per_day",
        "lead_time_hours",
        "time_to_restore_hours",
    }
    assert "rework_ratio" not in report.levels  # the 2024 clusters are drawn on the four keys


def test_lead_times_without_parents_fall_back_to_the_time_rule() -> None:
    at = [T0 + timedelta(hours=h) for h in range(6)]
    commits = [("a", "svc", at[0], None), ("b", "svc", at[2], None), ("c", "svc", at[4], None)]
    deployments = [("d1", "svc", "b", at[3]), ("d2", "svc", "c", at[5])]
    assert lead_times(deployments, commits) == [
        (at[3], 3 * 3600.0),
        (at[3], 3600.0),
        (at[5], 3600.0),
    ]


def test_a_tenant_sees_the_platform_releases_and_its_own_config_changes_apart(store: Store) -> None:
    store.tenants.add("platform")
    store.tenants.add("acme")
    for hours, version in ((1, "2026.5.1"), (30, "2026.5.2")):
        record_deployment(
            store, "platform", service="matrix", version=version, at=T0 + timedelta(hours=hours)
        )
    record_deployment(
        store, "platform", service="matrix-config", version="c1", kind="config", at=T0
    )
    record_deployment(
        store, "acme", service="prompt", version="p1", kind="config", at=T0 + timedelta(hours=2)
    )
    tenant = dora(store, "acme", **WINDOW)
    assert (tenant.deployments, tenant.code_deployments, tenant.platform_deployments) == (3, 2, 2)
    assert tenant.config_deployments == 1  # its own change; the platform's config is not its
    platform = dora(store, "platform", **WINDOW)
    assert (
        platform.code_deployments,
        platform.platform_deployments,
        platform.config_deployments,
    ) == (2, 0, 1)
