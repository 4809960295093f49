"""Generate a project from the template, and update one, with copier (its only importer).

Both run over the template repository of :mod:`matrix.newsaas.repository` (built first), at a
version's tag: a project records it in ``.copier-answers.yml`` (``_commit``) with the
repository's path (``_src_path``), which is what ``copier update`` reads.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import copier
from copier.errors import CopierError, UserMessageError

from matrix.config import child_environment
from matrix.errors import ConflictError, MissingDependencyError, UsageError
from matrix.newsaas import repository
from matrix.newsaas.answers import Answers
from matrix.newsaas.project import refuse_invalid_pack

CONFLICT_MARKER = b"<<<<<<< before updating"
# The project's first commit, when git has no identity for the user (an update needs one).
_FALLBACK_IDENTITY = {"GIT_AUTHOR_NAME": "matrix new-saas", "GIT_AUTHOR_EMAIL": "new-saas@localhost",
                      "GIT_COMMITTER_NAME": "matrix new-saas",
                      "GIT_COMMITTER_EMAIL": "new-saas@localhost"}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class Generated:
    """What :func:`generate` or :func:`update` did."""

    path: Path
    version: str
    files: tuple[str, ...] = ()
    """The project's files, relative and sorted (for a dry run: the files it would write)."""
    previous_version: str | None = None
    changed: tuple[str, ...] = field(default_factory=tuple)
    committed: bool = False


def choose_version(version: str | None) -> str:
    """``version`` when the template has it, else the current one.

    Raises:
        UsageError: the template has no such version (the known ones listed).
    """
    known = repository.versions()
    if version is None:
        return known[-1]
    if version not in known:
        raise UsageError(f"--template-version {version!r} is unknown; the template's versions are "
                         f"{', '.join(known)}.")  # fmt: skip
    return version


def check_destination(dst: Path, *, overwrite: bool) -> None:
    """Refuse a destination that is a file, or a folder with anything in it (unless
    ``overwrite``), before anything is written.

    Raises:
        UsageError: naming the folder and the fix.
    """
    if dst.exists() and not dst.is_dir():
        raise UsageError(f"DIR {str(dst)!r} is a file; name a new folder for the project.")
    if dst.is_dir() and any(dst.iterdir()) and not overwrite:
        raise UsageError(f"DIR {str(dst)!r} is not empty; name a new folder, or pass --overwrite "
                         "to write the project over it.")  # fmt: skip


def generate(dst: Path, answers: Answers, *, repo: Path, version: str | None = None,
             overwrite: bool = False, dry_run: bool = False, git: bool = True) -> Generated:  # fmt: skip
    """Write the project for ``answers`` into ``dst`` (``dry_run``: only say which files).

    With ``git`` (and ``dst`` not inside another repository), the project becomes a git
    repository with one commit, as ``copier update`` needs.

    Raises:
        UsageError: the destination is refused (see :func:`check_destination`), copier
            refused, or the pack the answers make is invalid (nothing written).
        MissingDependencyError: git is missing.
    """
    version = choose_version(version)
    check_destination(dst, overwrite=overwrite)
    source = repository.ensure(repo)
    # Rendered aside first: the pack is checked as `matrix tenant apply` checks it, so a project
    # is written whole with a valid pack or not at all (and a dry run lists exactly its files).
    with tempfile.TemporaryDirectory(prefix="matrix-new-saas-") as tmp:
        rendered = Path(tmp) / "project"
        _copy(source, rendered, answers, version)
        refuse_invalid_pack(rendered)
        files = tuple(_files(rendered))
        if dry_run:
            return Generated(path=dst, version=version, files=files)
        shutil.copytree(rendered, dst, symlinks=True, dirs_exist_ok=True)
    committed = git and _init_git(dst, version)
    return Generated(path=dst, version=version, files=tuple(_files(dst)), committed=committed)


def update(dst: Path, *, repo: Path, version: str | None = None) -> Generated:
    """Bring the project at ``dst`` to the template's ``version`` (default: the current one),
    keeping the user's edits; the changes are left uncommitted for review.

    Raises:
        UsageError: ``dst`` is no generated project, has uncommitted changes, or is newer.
        ConflictError: the template's change and a local edit overlap; the files are named
            (each holds both sides between conflict markers).
    """
    version = choose_version(version)
    answers_file = dst / ".copier-answers.yml"
    if not answers_file.is_file():
        raise UsageError(f"DIR {str(dst)!r} has no .copier-answers.yml; it was not made by "
                         "matrix new-saas (generate a project first).")  # fmt: skip
    previous = _answered(answers_file, "_commit")
    # Copier reads both template versions from the repository the answers name: rebuild that one
    # (where this or an earlier matrix put it), or ``repo`` when they name none.
    recorded = _answered(answers_file, "_src_path")
    repository.ensure(Path(recorded) if recorded else repo)
    before = set(_changed(dst))
    try:
        copier.run_update(str(dst), vcs_ref=version, defaults=True,
                          overwrite=True, unsafe=True, quiet=True, skip_answered=True,
                          conflict="inline", skip_tasks=True)  # fmt: skip
    except UserMessageError as exc:
        fix = " Commit or stash your changes first." if "dirty" in str(exc) else ""
        raise UsageError(f"Cannot update {str(dst)!r}: {exc}{fix}") from None
    except CopierError as exc:
        raise UsageError(f"Cannot update {str(dst)!r}: {exc}") from None
    changed = sorted(set(_changed(dst)) - before)
    conflicts = [name for name in changed if _has_conflict(dst / name)]
    if conflicts:
        raise ConflictError(f"The update to template {version} overlaps local edits in "
                            f"{', '.join(conflicts)}: each holds both sides between <<<<<<< and "
                            ">>>>>>> lines; keep what you want, then commit.", code="template_conflict")  # fmt: skip
    return Generated(path=dst, version=version, previous_version=previous,
                     files=tuple(_files(dst)), changed=tuple(changed))  # fmt: skip


def _copy(source: Path, dst: Path, answers: Answers, version: str) -> None:
    try:
        copier.run_copy(str(source), str(dst), data=answers.as_data(), vcs_ref=version,
                        defaults=True, unsafe=True, quiet=True,
                        skip_tasks=True)  # fmt: skip
    except (CopierError, ValueError) as exc:
        raise UsageError(f"The template refused the answers: {exc}") from None


def _files(dst: Path) -> list[str]:
    return sorted(p.relative_to(dst).as_posix() for p in dst.rglob("*")
                  if p.is_file() and ".git" not in p.relative_to(dst).parts)  # fmt: skip


def _git(dst: Path, *args: str, identity: bool = False) -> subprocess.CompletedProcess[str]:
    env = child_environment(None, **(_FALLBACK_IDENTITY if identity else {}))
    try:
        return subprocess.run(["git", "-C", str(dst), *args], env=env, capture_output=True,
                              text=True, check=False)  # fmt: skip
    except FileNotFoundError:
        raise MissingDependencyError("matrix new-saas needs git: apt-get install git.") from None


def _init_git(dst: Path, version: str) -> bool:
    """Make ``dst`` a git repository with the generated project as its first commit (not when
    it is already inside a repository: the user's own history is theirs)."""
    if shutil.which("git") is None:
        raise MissingDependencyError("matrix new-saas needs git: apt-get install git.")
    inside = _git(dst, "rev-parse", "--show-toplevel")
    if inside.returncode == 0:
        return False
    _git(dst, "init", "--quiet", "-b", "main")
    _git(dst, "add", "--all")
    named = _git(dst, "config", "user.email").stdout.strip() != ""
    done = _git(dst, "commit", "--quiet", "-m", f"Generated by matrix new-saas (template {version})",
                identity=not named)  # fmt: skip
    return done.returncode == 0


def _changed(dst: Path) -> list[str]:
    status = _git(dst, "status", "--porcelain", "--untracked-files=all", "--no-renames")
    return [line[3:] for line in status.stdout.splitlines() if line[3:]]


def _has_conflict(path: Path) -> bool:
    try:
        return path.is_file() and CONFLICT_MARKER in path.read_bytes()
    except OSError:
        return False


def _answered(answers_file: Path, key: str) -> str | None:
    """One of copier's own values in the answers file (``_commit``, ``_src_path``)."""
    for line in answers_file.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{key}:"):
            return line.split(":", 1)[1].strip().strip("'\"") or None
    return None
