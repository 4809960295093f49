"""Git history: commits (with their parents, author and commit times) and tags as releases.

Reads a repository with the ``git`` command (no library), so it works on any clone. Tags that
match ``tag_pattern`` become deployments of kind ``code``. A release is dated by its annotated
tag's date (when the release was cut), or by the tagged commit's time for a lightweight tag or
with ``release_time="commit"``. Commits keep their parents, so DORA's lead time follows ancestry.

A repository is identified by its root commit, not by the folder it was cloned into: importing
the same history from two clones stores it once. Its name (the deployments' service) is the one
given, else the ``origin`` remote's, else the folder's.
"""

from __future__ import annotations

import fnmatch
import hashlib
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from matrix.errors import UsageError
from matrix.sources.report import ImportReport

_SEP = "\x1f"
ReleaseTime = Literal["tag", "commit"]
RELEASE_TIMES = ("tag", "commit")


def _git(repo: Path, *args: str, check: bool = True) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0 and check:
        raise UsageError(
            f"{repo} is not a readable git repository: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else 'git failed'}."
        )
    return done.stdout if done.returncode == 0 else ""


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.strip()).astimezone(UTC)


def repository_identity(repo: Path) -> str:
    """The repository's identity: its first root commit (the same in every clone)."""
    roots = sorted(_git(repo, "rev-list", "--max-parents=0", "--all").split())
    if not roots:
        raise UsageError(f"{repo} has no commits to import.")
    return roots[0][:12]


def repository_name(repo: Path) -> str:
    """The ``origin`` remote's repository name, else the folder's."""
    remote = _git(repo, "config", "--get", "remote.origin.url", check=False).strip().rstrip("/")
    if remote:
        return (
            remote.rsplit("/", 1)[-1].rsplit(":", 1)[-1].removesuffix(".git") or repo.resolve().name
        )
    return repo.resolve().name


def import_git(store: Any, tenant_id: str, repo: Path, *, tag_pattern: str = "v*", name: str | None = None,
               release_time: ReleaseTime = "tag", now: datetime | None = None) -> tuple[ImportReport, ImportReport]:  # fmt: skip
    """Import commits and matching tags; returns the commits' report and the deployments'."""
    if release_time not in RELEASE_TIMES:
        raise UsageError(f"release_time must be tag or commit, got {release_time!r}.")
    repo = Path(repo)
    identity = repository_identity(repo)
    name = name or repository_name(repo)
    now = now or store.clock.now()
    log = _git(repo, "log", "--all", f"--format=%H{_SEP}%an{_SEP}%aI{_SEP}%cI{_SEP}%P{_SEP}%s")
    commits = ImportReport(source=f"git:{name}")
    rows, committed = [], {}
    for line in log.splitlines():
        if not line.strip():
            continue
        commits.read += 1
        sha, author, authored, at, parents, subject = [*line.split(_SEP), *[""] * 6][:6]
        committed[sha] = _when(at)
        rows.append({"commit_id": f"{tenant_id}:{identity}:{sha}", "tenant_id": tenant_id, "repo": name,
                     "sha": sha, "author": author, "authored_at": _when(authored), "committed_at": committed[sha],
                     "is_merge": len(parents.split()) > 1, "parents": parents.strip(), "subject": subject,
                     "created_at": now})  # fmt: skip
    commits.stored(store.delivery.add("commits", rows), commits.read)

    releases = ImportReport(source=f"git-tags:{name}")
    tags = _git(repo, "for-each-ref", "refs/tags", f"--format=%(refname:short){_SEP}%(objecttype)"
                f"{_SEP}%(*objectname){_SEP}%(objectname){_SEP}%(taggerdate:iso-strict)")  # fmt: skip
    deployments = []
    for line in tags.splitlines():
        if not line.strip():
            continue
        releases.read += 1
        tag, kind, peeled, target, tagged = [*line.split(_SEP), "", "", "", ""][:5]
        if not fnmatch.fnmatch(tag, tag_pattern):
            releases.skip(f"tag does not match {tag_pattern}")
            continue
        sha = peeled or target
        if sha not in committed:
            releases.skip("tag does not point at a commit")
            continue
        annotated = kind == "tag" and bool(tagged.strip())
        released = _when(tagged) if annotated and release_time == "tag" else committed[sha]
        key = hashlib.sha256(f"{tenant_id}:{identity}:{tag}".encode()).hexdigest()[:32]
        deployments.append({"deployment_id": key, "tenant_id": tenant_id, "service": name, "version": tag,
                            "kind": "code", "commit_sha": sha, "deployed_at": released, "status": "success",
                            "simulated": False, "source": f"git-tag:{tag_pattern}", "created_at": now})  # fmt: skip
    releases.stored(store.delivery.add("deployments", deployments), len(deployments))
    return commits, releases
