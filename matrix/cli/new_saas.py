"""``matrix new-saas``: a new SaaS project from the template (copier), or an update of one."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from matrix.cli.options import CONTEXT
from matrix.cli.output import emit
from matrix.errors import UsageError

# Asked in this order when missing; the required ones have no default.
REQUIRED = (("project_name", "--name", "The SaaS's name"),
            ("tenant_id", "--tenant", "Its first tenant's id (letters, digits, '.', '_', '-')"))  # fmt: skip


@click.command("new-saas", context_settings=CONTEXT)
@click.argument("directory", metavar="DIR", type=click.Path(file_okay=True, dir_okay=True))
@click.option("--name", "project_name", help="The SaaS's name (required).")
@click.option("--tenant", "tenant", help="The first tenant's id (required).")
@click.option("--palette", help="Brand palette: darkgreen (default), forest, ocean or sunset.")
@click.option("--scheme", help="light or dark (default: the palette's own).")
@click.option(
    "--colours", help="Custom colours over the palette: a JSON object or a file holding one."
)
@click.option("--layout", help="The consoles' layout: fabio2 (default) or studio.")
@click.option(
    "--modules", help="Comma-separated modules (default: crm,customers,agenda,billing,agreements)."
)
@click.option("--language", help="The personas' language tag (default: pt-BR).")
@click.option("--defaults", is_flag=True, help="Ask nothing: what is not given takes its default.")
@click.option("--overwrite", is_flag=True, help="Write over a folder that is not empty.")
@click.option(
    "--update",
    "update",
    is_flag=True,
    help="Update the project in DIR to the template's current version.",
)
@click.option(
    "--template-version", metavar="VERSION", help="A template version other than the current one."
)
@click.option(
    "--template-repo",
    type=click.Path(file_okay=False),
    help="Where the template's git repository is kept (default: ~/.cache/matrix-workbench/template).",
)
@click.option("--dry-run", is_flag=True, help="Say which files would be written; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def new_saas(directory: str, project_name: str | None, tenant: str | None, palette: str | None,
             scheme: str | None, colours: str | None, layout: str | None, modules: str | None,
             language: str | None, defaults: bool, overwrite: bool, update: bool,
             template_version: str | None, template_repo: str | None, dry_run: bool,
             as_json: bool) -> None:  # fmt: skip
    """Write a SaaS project on matrix-workbench into DIR: its tenant pack, brand theme,
    notebooks, gates, tests, Makefile (`make demo`, `make test`) and `.ci/run`.

    Missing answers are asked for on a terminal (not with --defaults); elsewhere --name and
    --tenant are required. With --update, DIR (a generated project, committed) is brought to the
    template's current version: local edits are kept, the changes left for review.
    """
    from matrix import newsaas
    from matrix.newsaas.generate import check_destination, choose_version
    from matrix.newsaas.repository import DEFAULT_ROOT

    repo = Path(template_repo) if template_repo else DEFAULT_ROOT
    dst = Path(directory)
    given = {"project_name": project_name, "tenant_id": tenant, "palette": palette,
             "scheme": scheme, "colours": colours, "layout": layout, "modules": modules,
             "language": language}  # fmt: skip
    if update:
        named = [f for f, v in (("--name", project_name), ("--tenant", tenant), ("--palette", palette),
                                ("--scheme", scheme), ("--colours", colours), ("--layout", layout),
                                ("--modules", modules), ("--language", language),
                                ("--overwrite", overwrite), ("--dry-run", dry_run)) if v]  # fmt: skip
        if named:
            raise UsageError(f"--update keeps the project's answers; drop {', '.join(named)} (to "
                             "change an answer, edit the project's files).")  # fmt: skip
        done = newsaas.update(dst, repo=repo, version=template_version)
        emit(_as_dict(done), as_json, _updated_text)
        return
    choose_version(template_version)
    check_destination(dst, overwrite=overwrite)
    interactive = not defaults and sys.stdin.isatty()
    answers = _answers(given, interactive=interactive)
    done = newsaas.generate(dst, answers, repo=repo, version=template_version,
                            overwrite=overwrite, dry_run=dry_run)  # fmt: skip
    emit(_as_dict(done) | {"dry_run": dry_run}, as_json,
         lambda r: _generated_text(r, dry_run=dry_run))  # fmt: skip


def _answers(given: dict[str, Any], *, interactive: bool) -> Any:
    from matrix import brand
    from matrix.newsaas import answers

    values = dict(given)
    for key, flag, question in REQUIRED:
        if values[key] is None:
            if not interactive:
                raise UsageError(f"{flag} is required (no terminal to ask on, or --defaults): "
                                 f"give {flag} VALUE.")  # fmt: skip
            check = answers.name_problem if key == "project_name" else answers.tenant_problem
            values[key] = _ask(question, check)
    if interactive:
        for key, question, default in (("palette", "Palette", brand.default_palette()),
                                       ("layout", "Layout", answers.LAYOUTS[0]),
                                       ("modules", "Modules", ",".join(answers.MODULES))):  # fmt: skip
            if values[key] is None:
                values[key] = click.prompt(question, default=default)
    values["colours"] = answers.read_colours(values["colours"]) if values["colours"] else None
    if values["modules"] is not None:
        values["modules"] = [m.strip() for m in str(values["modules"]).split(",") if m.strip()]
    return answers.check(project_name=values["project_name"], tenant_id=values["tenant_id"],
                         palette=values["palette"], scheme=values["scheme"] or "",
                         colours=values["colours"], layout=values["layout"] or answers.LAYOUTS[0],
                         modules=values["modules"],
                         language=values["language"] or "pt-BR")  # fmt: skip


def _ask(question: str, problem_of: Any) -> str:
    while True:
        value = str(click.prompt(question))
        problem = problem_of(value)
        if not problem:
            return value
        click.echo(f"  {problem}", err=True)


def _as_dict(done: Any) -> dict[str, Any]:
    return {"path": str(done.path), "version": done.version, "files": list(done.files),
            "previous_version": done.previous_version, "changed": list(done.changed),
            "committed": done.committed}  # fmt: skip


def _generated_text(result: dict[str, Any], *, dry_run: bool) -> str:
    if dry_run:
        lines = [f"dry run: template {result['version']} would write into {result['path']}:"]
        return "\n".join([*lines, *(f"  write {f}" for f in result["files"])])
    git = "; a git repository with its first commit" if result["committed"] else ""
    return (f"Wrote {result['path']} from template {result['version']}: "
            f"{len(result['files'])} files{git}.\nNext: cd {result['path']} && make test")  # fmt: skip


def _updated_text(result: dict[str, Any]) -> str:
    if not result["changed"]:
        return f"{result['path']} is already at template {result['version']}; nothing changed."
    changed = "\n".join(f"  {f}" for f in result["changed"])
    return (f"Updated {result['path']} from template {result['previous_version']} to "
            f"{result['version']}, keeping local edits:\n{changed}\n"
            "Review with git diff, then commit.")  # fmt: skip


COMMANDS = (new_saas,)
