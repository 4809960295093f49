"""The template as a git repository with one tag per version, which copier needs to update.

The template ships as package data (``matrix/data/template/``): its current tree is
:data:`VERSION`, and ``history/<version>.patch`` keeps each earlier version as the patch that
turns the next version's tree back into it (small, and reviewable as a diff). Copier updates a
project only from a git repository whose tags are the versions, so :func:`ensure` builds one at
a stable place (:data:`DEFAULT_ROOT`, or ``--template-repo``; a project's ``.copier-answers.yml``
names it, so a plain ``copier update`` finds it too): one commit per version, oldest first, tagged with the
version. The commits have fixed authors and dates, so the same template always gives the same
commits, and a repository that already holds the same versions is left as it is. A new one is
built beside it and moved into place, so a concurrent build never leaves half a repository.

To release a template change: keep a copy of ``project/`` as it was (``old/``), edit it
(``new/``), bump :data:`VERSION`, and add ``history/<old version>.patch``, the diff from the new
tree back to the old one: ``git diff --no-index --src-prefix=a/project/ --dst-prefix=b/project/
new old``, with the ``new/`` and ``old/`` parts of each path removed. The tests in
``tests/generator`` check that every patch applies and that the current tree is the newest tag.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from packaging.version import Version

from matrix import paths
from matrix.config import child_environment
from matrix.errors import MissingDependencyError, StorageError

VERSION = "1.2.0"
"""The version of the template's current tree."""
TEMPLATE = paths.DATA / "template"
DEFAULT_ROOT = Path("~/.cache/matrix-workbench/template")
"""Where the repository is built unless told otherwise (``~`` is the user's home)."""
HISTORY = "history"
_COMMIT_ENV = {"GIT_AUTHOR_NAME": "matrix-workbench", "GIT_AUTHOR_EMAIL": "template@matrix-workbench",
               "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+00:00", "GIT_COMMITTER_NAME": "matrix-workbench",
               "GIT_COMMITTER_EMAIL": "template@matrix-workbench",
               "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+00:00"}  # fmt: skip
# Nothing of the user's git configuration (hooks, signing, attributes) may change the commits.
_GIT_OPTIONS = ("-c", "core.hooksPath=/dev/null", "-c", "commit.gpgsign=false",
                "-c", "tag.gpgsign=false", "-c", "core.autocrlf=false",
                "-c", "init.defaultBranch=main", "-c", "core.fileMode=true")  # fmt: skip


def versions(template: Path = TEMPLATE) -> tuple[str, ...]:
    """Every version of the template, oldest first (the last is :data:`VERSION`)."""
    older = sorted((p.stem for p in (template / HISTORY).glob("*.patch")), key=Version)
    return (*older, VERSION)


def ensure(root: Path, template: Path = TEMPLATE) -> Path:
    """The template's git repository at ``root``, built or rebuilt when it lacks a version or
    holds another tree for one.

    Raises:
        MissingDependencyError: git is not installed.
        StorageError: ``root`` cannot be written, or a history patch does not apply.
    """
    root = root.expanduser().absolute()
    try:
        root.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".build-", dir=root.parent) as tmp:
            built = _build(Path(tmp) / "repo", template)
            if _same_versions(root, built):
                return root
            aside = root.parent / f".{root.name}.old-{uuid.uuid4().hex}"
            if root.exists():
                os.rename(root, aside)
            try:
                os.rename(built, root)
            except OSError:
                if not _same_versions(root, built):  # another build won, with other contents
                    raise
            shutil.rmtree(aside, ignore_errors=True)
    except OSError as exc:
        raise StorageError(f"Cannot build the template repository at {root}: {exc}; give "
                           "--template-repo a folder you can write.") from None  # fmt: skip
    return root


def tag_tree(repo: Path, version: str) -> str | None:
    """The tree id of ``version``'s tag in ``repo``, or None when it has no such tag."""
    found = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "--quiet",
                            f"refs/tags/{version}^{{tree}}"],
                           capture_output=True, text=True, check=False)  # fmt: skip
    return found.stdout.strip() or None if found.returncode == 0 else None


def _same_versions(existing: Path, built: Path) -> bool:
    if not (existing / ".git").exists():
        return False
    wanted = _tags(built)
    return all(tag_tree(existing, v) == tag_tree(built, v) for v in wanted)


def _tags(repo: Path) -> list[str]:
    return _git(repo, "tag", "--list").split()


def _build(repo: Path, template: Path) -> Path:
    trees = _trees(repo.parent / "trees", template)
    repo.mkdir()
    _git(repo, "init", "--quiet")
    for version, tree in trees:
        for child in repo.iterdir():
            if child.name != ".git":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        shutil.copytree(tree, repo, dirs_exist_ok=True)
        _git(repo, "add", "--all")
        _git(repo, "commit", "--quiet", "--allow-empty", "-m", f"Template {version}")
        _git(repo, "tag", version)
    return repo


def _trees(where: Path, template: Path) -> list[tuple[str, Path]]:
    """Each version's tree, oldest first: the current one copied, each older one patched back."""
    ordered = versions(template)
    current = where / ordered[-1]
    shutil.copytree(template, current, ignore=shutil.ignore_patterns(HISTORY, "__pycache__"))
    trees = [(ordered[-1], current)]
    for version in reversed(ordered[:-1]):
        tree = where / version
        shutil.copytree(trees[-1][1], tree)
        patch = (template / HISTORY / f"{version}.patch").absolute()
        applied = subprocess.run(["git", "apply", "--whitespace=nowarn", str(patch)], cwd=tree,
                                 capture_output=True, text=True, check=False)  # fmt: skip
        if applied.returncode != 0:
            raise StorageError(f"The template history patch {patch.name} does not apply to "
                               f"version {trees[-1][0]}: {applied.stderr.strip()}; remake it "
                               "with git diff (see matrix/newsaas/repository.py).")  # fmt: skip
        trees.append((version, tree))
    return list(reversed(trees))


def _git(repo: Path, *args: str) -> str:
    env = child_environment(None, **_COMMIT_ENV)
    try:
        done = subprocess.run(["git", *_GIT_OPTIONS, "-C", str(repo), *args], env=env,
                              capture_output=True, text=True, check=False)  # fmt: skip
    except FileNotFoundError:
        raise MissingDependencyError("matrix new-saas needs git (copier keeps template versions "
                                     "in git): apt-get install git.") from None  # fmt: skip
    if done.returncode != 0:
        raise StorageError(f"git {' '.join(args)} failed in {repo}: {done.stderr.strip()}")
    return done.stdout
