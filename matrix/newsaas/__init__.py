"""``matrix new-saas``: a SaaS project on matrix-workbench, rendered from the template with copier
and updated later without losing local edits.

    answers = check(project_name="Clinica Viva", tenant_id="clinica-viva", palette="forest")
    generate(Path("clinica-viva"), answers, repo=DEFAULT_ROOT)
    update(Path("clinica-viva"), repo=DEFAULT_ROOT)   # to the current template

:mod:`~matrix.newsaas.answers` checks the answers (also the template's validators, through
:mod:`~matrix.newsaas.render`), :mod:`~matrix.newsaas.repository` keeps the template's versions
as git tags, :mod:`~matrix.newsaas.generate` runs copier, and :mod:`~matrix.newsaas.project` is
what a generated project checks about itself.
"""

from __future__ import annotations

from matrix.newsaas.answers import LAYOUTS, MODULES, Answers, check, read_colours
from matrix.newsaas.generate import Generated, generate, update
from matrix.newsaas.project import check_project, project_brand, project_report
from matrix.newsaas.repository import VERSION, versions

__all__ = ["LAYOUTS", "MODULES", "VERSION", "Answers", "Generated", "check", "check_project",
           "generate", "project_brand", "project_report", "read_colours", "update",
           "versions"]  # fmt: skip
