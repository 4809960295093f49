"""``matrix new-saas`` as a user runs it: a generated project passes its own ``make test``, an
update from the previous template version keeps a local edit, the same answers give the same
tree, and a bad answer writes nothing."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from matrix.gates.spec import load_gates
from matrix.newsaas import answers, repository
from matrix.newsaas.generate import CONFLICT_MARKER
from matrix.newsaas.project import check_project
from tests.conftest import IN_CI
from tests.generator.conftest import assert_pack_applies

ANSWERS = ("--name", "Clinica Viva", "--tenant", "clinica-viva", "--palette", "forest")
PREVIOUS, CURRENT = repository.versions()[-2:]


def matrix(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "matrix", *args], cwd=cwd, capture_output=True,
                          text=True, check=False, stdin=subprocess.DEVNULL)  # fmt: skip


def git(dst: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(dst), *args], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip


def new_project(tmp_path: Path, name: str = "project", *extra: str) -> Path:
    dst = tmp_path / name
    done = matrix("new-saas", str(dst), *ANSWERS, "--template-repo", str(tmp_path / "repo"), *extra)
    assert done.returncode == 0, done.stdout + done.stderr
    return dst


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}  # fmt: skip


@pytest.mark.slow
def test_new_saas_project_passes_its_own_make_test(tmp_path: Path) -> None:
    if shutil.which("make") is None:
        if IN_CI:
            pytest.fail("make is not installed")
        pytest.skip("make is not installed")
    dst = new_project(tmp_path)
    for name in ("tenant/tenant.json", "tenant/personas/owner.json", "tenant/personas/whatsapp.json",
                 "tenant/policies/default.json", "theme/brand.css", "theme/plotly_template.json",
                 "README.md", "Makefile", "pyproject.toml", ".ci/run", "gates/gates.json"):  # fmt: skip
        assert (dst / name).is_file(), name
    assert (
        "make demo" in (dst / "README.md").read_text()
        and "make test" in (dst / "README.md").read_text()
    )
    assert "matrix-workbench" in (dst / "pyproject.toml").read_text()
    started = time.perf_counter()
    # This environment's python has the working tree's matrix-workbench: nothing is installed.
    done = subprocess.run(["make", "test", f"PY={sys.executable}"], cwd=dst, capture_output=True,
                          text=True, check=False, stdin=subprocess.DEVNULL)  # fmt: skip
    seconds = time.perf_counter() - started
    print(f"generated project's make test: {seconds:.1f} s")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert re.search(r"\d+ passed", done.stdout)
    assert "g10_tenant_pack | pass" in done.stdout and "g01_contract_checks | pass" in done.stdout


# What each template version brought, as a project shows it: (file, text that arrived).
ARRIVED = {
    "1.1.0": (("README.md", "## Updating from the template"), ("Makefile", "update: install")),
    "1.2.0": (("Makefile", "matrix tenant apply tenant"),
              ("tests/test_tenant_pack.py", "def test_pack_applied_reaches_the_runtime_config")),
}  # fmt: skip
# The files an update from each older version changes (the README is edited by the user too).
CHANGED = {
    "1.0.0": {"README.md", "Makefile", ".copier-answers.yml", "tests/test_tenant_pack.py"},
    "1.1.0": {"README.md", "Makefile", ".copier-answers.yml", "tests/test_tenant_pack.py"},
}


@pytest.mark.parametrize("older", repository.versions()[:-1])
def test_new_saas_update_keeps_an_edit_and_brings_the_template_change(
    older: str, tmp_path: Path, pack_store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    dst = new_project(tmp_path, "project", "--template-version", older)
    later = [v for v in ARRIVED if repository.Version(v) > repository.Version(older)]
    for version in later:
        for name, text in ARRIVED[version]:
            assert not (dst / name).is_file() or text not in (dst / name).read_text()
    readme = (
        (dst / "README.md").read_text().replace("A SaaS on", "Our clinic's own words. A SaaS on")
    )
    (dst / "README.md").write_text(readme)
    git(dst, "commit", "-q", "-am", "our words")
    before = tree(dst)
    done = matrix("new-saas", "--update", str(dst), "--template-repo", str(tmp_path / "repo"))
    assert done.returncode == 0, done.stdout + done.stderr
    after = tree(dst)
    assert "Our clinic's own words." in after["README.md"].decode()  # the edit is kept
    for version in later:  # every later version's change arrived
        for name, text in ARRIVED[version]:
            assert text in after[name].decode(), (version, name)
    assert f"_commit: {CURRENT}" in after[".copier-answers.yml"].decode()
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == CHANGED[older]
    assert not any(CONFLICT_MARKER in content for content in after.values())
    assert not [name for name in after if name.endswith(".rej")]
    assert "README.md" in done.stdout
    assert not check_project(dst).errors
    assert_pack_applies(capsys, pack_store, dst)


def test_new_saas_update_over_an_overlapping_edit_names_the_conflict(tmp_path: Path) -> None:
    dst = new_project(tmp_path, "project", "--template-version", PREVIOUS)
    makefile = (dst / "Makefile").read_text()
    line = "\t@$(PY) -m matrix demo $(if $(filter 0,$(SERVE)),--no-serve,)\n"
    assert line in makefile
    # The user's own demo step, where the current template puts `matrix tenant apply` first.
    (dst / "Makefile").write_text(
        makefile.replace(line, "\t@$(PY) -m matrix seed-my-data\n" + line)
    )
    git(dst, "commit", "-q", "-am", "seed our data first")
    done = matrix("new-saas", "--update", str(dst), "--template-repo", str(tmp_path / "repo"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "overlaps local edits in Makefile:" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    merged = (dst / "Makefile").read_bytes()
    assert CONFLICT_MARKER in merged and b"seed-my-data" in merged and b"tenant apply" in merged
    untouched = [n for n, c in tree(dst).items() if CONFLICT_MARKER in c]
    assert untouched == ["Makefile"]  # the other files the update changed merged cleanly


def test_new_saas_plain_copier_update_works_too(tmp_path: Path) -> None:
    dst = new_project(tmp_path, "project", "--template-version", PREVIOUS)
    (dst / "tenant" / "policies" / "default.json").write_text(
        (dst / "tenant" / "policies" / "default.json")
        .read_text()
        .replace('"value": 3', '"value": 5')
    )
    git(dst, "commit", "-q", "-am", "five follow-ups a day")
    done = subprocess.run([sys.executable, "-m", "copier", "update", "--trust", "--defaults",
                           "--skip-answered"], cwd=dst, capture_output=True, text=True,
                          check=False, stdin=subprocess.DEVNULL)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert '"value": 5' in (dst / "tenant" / "policies" / "default.json").read_text()
    assert "## Updating from the template" in (dst / "README.md").read_text()
    assert not check_project(dst).errors


def test_new_saas_same_answers_give_the_same_tree(tmp_path: Path) -> None:
    first = tree(new_project(tmp_path, "one"))
    second = tree(new_project(tmp_path, "two"))
    assert first == second
    other = tree(new_project(tmp_path, "three", "--scheme", "dark"))
    assert other["theme/brand.css"] != first["theme/brand.css"]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("--name", "Viva", "--tenant", "viva", "--palette", "neon"), "--palette"),
        (("--name", "Viva", "--tenant", "Bad Id"), "--tenant"),
        (("--name", "", "--tenant", "viva"), "--name"),
        (("--name", "Viva", "--tenant", "viva", "--colours", '{"text": "#ffffff", "bg": "#fefefe"}'),
         "text #ffffff on bg #fefefe"),
        (("--name", "Viva", "--tenant", "viva", "--colours", "missing.json"), "--colours"),
        (("--name", "Viva"), "--tenant"),
        (("--name", "Viva", "--tenant", "viva", "--layout", "grid"), "--layout"),
        (("--name", "Viva", "--tenant", "viva", "--template-version", "0.9"), "--template-version"),
    ],
    ids=["palette", "tenant", "name", "unreadable-colours", "colours-file", "missing-tenant",
         "layout", "version"],
)  # fmt: skip
def test_new_saas_refuses_a_bad_answer_and_writes_nothing(
    tmp_path: Path, args: tuple[str, ...], named: str
) -> None:
    dst = tmp_path / "project"
    done = matrix("new-saas", str(dst), *args, "--template-repo", str(tmp_path / "repo"))
    assert done.returncode == 2, done.stdout + done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and named in done.stderr
    assert "Traceback" not in done.stderr
    assert not dst.exists()


def test_new_saas_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    dst = tmp_path / "project"
    dst.mkdir()
    (dst / "notes.txt").write_text("mine")
    done = matrix("new-saas", str(dst), *ANSWERS, "--template-repo", str(tmp_path / "repo"))
    assert done.returncode == 2 and "--overwrite" in done.stderr
    assert [p.name for p in dst.iterdir()] == ["notes.txt"]


def test_new_saas_dry_run_lists_the_files_and_writes_nothing(tmp_path: Path) -> None:
    dst = tmp_path / "project"
    done = matrix(
        "new-saas", str(dst), *ANSWERS, "--dry-run", "--template-repo", str(tmp_path / "repo")
    )
    assert done.returncode == 0, done.stderr
    assert "write tenant/personas/owner.json" in done.stdout and "write .ci/run" in done.stdout
    assert not dst.exists()


def test_new_saas_update_refuses_uncommitted_changes(tmp_path: Path) -> None:
    dst = new_project(tmp_path, "project", "--template-version", PREVIOUS)
    (dst / "README.md").write_text("changed, not committed\n")
    done = matrix("new-saas", "--update", str(dst), "--template-repo", str(tmp_path / "repo"))
    assert done.returncode == 2 and "Commit or stash" in done.stderr
    assert (dst / "README.md").read_text() == "changed, not committed\n"


def test_template_history_builds_one_tag_per_version_with_the_same_commits(tmp_path: Path) -> None:
    first = repository.ensure(tmp_path / "a")
    second = repository.ensure(tmp_path / "b")
    tags = git(first, "tag", "--list").split()
    assert sorted(tags, key=repository.Version) == list(repository.versions())
    assert git(first, "rev-parse", "HEAD") == git(second, "rev-parse", "HEAD")
    assert git(first, "describe", "--tags").strip() == CURRENT  # the current tree is the newest
    head = git(first, "rev-parse", "HEAD")
    repository.ensure(first)  # the same versions: left as it is
    assert git(first, "rev-parse", "HEAD") == head


def test_tenant_id_rule_is_the_stores() -> None:
    from matrix.storage.store import _TENANT_ID

    assert answers.TENANT_ID.pattern == _TENANT_ID.pattern


def test_modules_are_the_registrys() -> None:
    from matrix.modules.registry import specs

    assert set(answers.MODULES) == {s.name for s in specs()}


def test_gate_spec_extends_shipped_gates(tmp_path: Path) -> None:
    spec = tmp_path / "gates.json"
    (tmp_path / "g10.ipynb").write_text("{}")
    gate = {
        "id": "g10_own",
        "notebook": "g10.ipynb",
        "checks": [{"name": "x", "op": "==", "threshold": 0}],
    }
    spec.write_text(
        '{"extends": ["g01_contract_checks"], "gates": [' + __import__("json").dumps(gate) + "]}"
    )
    assert [g.id for g in load_gates(spec)] == ["g01_contract_checks", "g10_own"]
    spec.write_text(
        '{"extends": ["g99_nothing"], "gates": [' + __import__("json").dumps(gate) + "]}"
    )
    with pytest.raises(Exception, match="g99_nothing"):
        load_gates(spec)
