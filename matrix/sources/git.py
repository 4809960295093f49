"""Git history: commits (with author and commit times, merges) and tags as releases.

Reads a repository with the ``git`` command (no library), so it works on any clone. Tags that
match ``tag_pattern`` become deployments of kind ``code``, dated by the tagged commit's commit
time, so a repository's release history feeds the DORA metrics without a deploy pipeline.
"""

from __future__ import annotations

import fnmatch
import hashlib
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from matrix.errors import UsageError
from matrix.sources.report import ImportReport

_SEP = "\x1f"


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise UsageError(
            f"{repo} is not a readable git repository: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else 'git failed'}."
        )
    return done.stdout


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.strip()).astimezone(UTC)


def import_git(store: Any, tenant_id: str, repo: Path, *, tag_pattern: str = "v*", name: str | None = None,
               now: datetime | None = None) -> tuple[ImportReport, ImportReport]:  # fmt: skip
    """Import commits and matching tags; returns the commits' report and the deployments'."""
    repo = Path(repo)
    name = name or repo.resolve().name
    now = now or store.clock.now()
    log = _git(repo, "log", "--all", f"--format=%H{_SEP}%an{_SEP}%aI{_SEP}%cI{_SEP}%P{_SEP}%s")
    commits = ImportReport(source=f"git:{name}")
    rows = []
    for line in log.splitlines():
        if not line.strip():
            continue
        commits.read += 1
        sha, author, authored, committed, parents, subject = [*line.split(_SEP), *[""] * 6][:6]
        rows.append({"commit_id": f"{name}:{sha}", "tenant_id": tenant_id, "repo": name, "sha": sha,
                     "author": author, "authored_at": _when(authored), "committed_at": _when(committed),
                     "is_merge": len(parents.split()) > 1, "subject": subject, "created_at": now})  # fmt: skip
    commits.stored(store.delivery.add("commits", rows), commits.read)

    releases = ImportReport(source=f"git-tags:{name}")
    tags = _git(repo, "for-each-ref", "refs/tags",
                f"--format=%(refname:short){_SEP}%(*objectname){_SEP}%(objectname)")  # fmt: skip
    deployments = []
    for line in tags.splitlines():
        if not line.strip():
            continue
        releases.read += 1
        tag, peeled, target = [*line.split(_SEP), "", ""][:3]
        if not fnmatch.fnmatch(tag, tag_pattern):
            releases.skip(f"tag does not match {tag_pattern}")
            continue
        sha = peeled or target
        key = hashlib.sha256(f"{tenant_id}:{name}:{tag}".encode()).hexdigest()[:32]
        deployments.append({"deployment_id": key, "tenant_id": tenant_id, "service": name, "version": tag,
                            "kind": "code", "commit_sha": sha,
                            "deployed_at": _when(_git(repo, "show", "-s", "--format=%cI", sha)),
                            "status": "success", "simulated": False, "source": f"git-tag:{tag_pattern}",
                            "created_at": now})  # fmt: skip
    releases.stored(store.delivery.add("deployments", deployments), len(deployments))
    return commits, releases
