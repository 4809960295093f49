"""Every project ``matrix new-saas`` writes holds a pack ``matrix tenant apply`` accepts: the
answers are checked by the same checker as a pack, and a project whose pack that checker would
refuse is never written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from matrix import brand
from matrix.concierge.packs import apply_pack, read_pack, tenant_brand
from matrix.concierge.tenant import TenantRuntimes
from matrix.contracts import Catalog
from matrix.errors import UsageError
from matrix.newsaas import answers, check, check_project, generate
from matrix.newsaas.project import project_report
from matrix.paths import contracts_dir
from tests.generator.conftest import assert_pack_applies

SERIES = list(brand.resolve().series)
# One row per kind of answer the template branches on: each palette and scheme, custom colours,
# module subsets (which turn persona capabilities and policies off), layouts, languages, and
# names and tenant ids at the edges of their rules.
CASES: dict[str, dict[str, Any]] = {
    "defaults": {},
    "ocean-light": {"palette": "ocean", "scheme": "light"},
    "forest-dark": {"palette": "forest", "scheme": "dark"},
    "sunset-own-scheme": {"palette": "sunset"},
    "darkgreen-light-studio": {"palette": "darkgreen", "scheme": "light", "layout": "studio"},
    "custom-primary": {"colours": {"primary": "#1d4ed8", "on-primary": "#ffffff"}},
    "custom-12-series": {"colours": {"series": SERIES * 2}},
    "agreements-only": {"modules": ["agreements"]},
    "crm-billing": {"modules": ["crm", "billing"], "language": "en"},
    "no-crm": {"modules": ["customers", "agenda"], "language": "es"},
    "longest-name": {"project_name": "N" * answers.NAME_MAX},
    "shortest-name": {"project_name": "Zé"},
    "quoted-name": {"project_name": 'Café "Zé" & Filhos {{ x }}'},
    "digit-name": {"project_name": "123 Clinic"},
    "longest-tenant": {"tenant_id": "t" + "0" * 119},
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("template") / "repo"


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_new_saas_every_answer_combination_yields_a_pack_tenant_apply_accepts(
    case: dict[str, Any], repo: Path, tmp_path: Path, pack_store: str,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    chosen = check(**({"project_name": "Clinica Viva", "tenant_id": "clinica-viva"} | case))
    dst = tmp_path / "project"
    generate(dst, chosen, repo=repo, git=False)
    assert not check_project(dst).errors
    assert project_report(dst)["pack_problems"] == 0
    assert_pack_applies(capsys, pack_store, dst)


def test_new_saas_refuses_answers_whose_pack_is_invalid_and_writes_nothing(
    repo: Path, tmp_path: Path
) -> None:
    # Thirteen readable series colours: the brand resolves, but the pack's schema allows twelve.
    chosen = check(
        project_name="Viva", tenant_id="viva", colours={"series": SERIES * 2 + SERIES[:1]}
    )
    dst = tmp_path / "project"
    with pytest.raises(UsageError) as refused:
        generate(dst, chosen, repo=repo)
    message = str(refused.value)
    assert "--colours: tenant/tenant.json at /brand/colours/series" in message
    assert "Nothing was written" in message
    assert not dst.exists()
    with pytest.raises(UsageError, match="/brand/colours/series"):
        generate(dst, chosen, repo=repo, dry_run=True)


def test_new_saas_refuses_unreadable_custom_colours_naming_the_pair() -> None:
    with pytest.raises(UsageError) as refused:
        check(project_name="Viva", tenant_id="viva", colours={"text": "#777777", "bg": "#888888"})
    assert "text #777777 on bg #888888" in str(refused.value)
    assert "--colours" in str(refused.value)


@pytest.mark.parametrize("name", ["N" * (answers.NAME_MAX + 1), "V"])
def test_new_saas_refuses_a_name_the_personas_cannot_carry(name: str) -> None:
    with pytest.raises(UsageError, match="--name"):
        check(project_name=name, tenant_id="viva")


def test_check_project_names_a_pack_problem_as_tenant_apply_does(
    repo: Path, tmp_path: Path
) -> None:
    dst = tmp_path / "project"
    generate(dst, check(project_name="Viva", tenant_id="viva"), repo=repo, git=False)
    owner = dst / "tenant" / "personas" / "owner.json"
    owner.write_text(owner.read_text("utf-8").replace('"executive"', '"bossy"'), "utf-8")
    tenant = dst / "tenant" / "tenant.json"
    tenant.write_text(tenant.read_text("utf-8").replace('"darkgreen"', '"neon"'), "utf-8")
    found = [str(i) for i in check_project(dst).errors]
    assert any("tenant/personas/owner.json at /identity/tone" in f and "bossy" in f for f in found)
    report = project_report(dst)
    assert report["pack_problems"] == 1 and report["brand_contrast_problems"] == 1


def test_tenant_brand_is_the_packs_resolved_brand(
    repo: Path, tmp_path: Path, store: Any, clock: Any
) -> None:
    colours = {"primary": "#1d4ed8", "on-primary": "#ffffff"}
    dst = tmp_path / "project"
    generate(dst, check(project_name="Viva", tenant_id="viva", palette="ocean", scheme="dark",
                        colours=colours), repo=repo, git=False)  # fmt: skip
    runtimes = TenantRuntimes(store, clock)
    apply_pack(runtimes, read_pack(dst / "tenant", Catalog(contracts_dir())))
    resolved = tenant_brand(runtimes, "viva")
    assert resolved == brand.resolve("ocean", scheme="dark", colours=colours)
    assert resolved.scheme == "dark" and resolved.colours["primary"] == "#1d4ed8"


@pytest.mark.parametrize(
    ("name", "slug", "package"),
    [("Clínica Viva", "clinica-viva", "clinica_viva"), ("Café & Pão 24h", "cafe-pao-24h", "cafe_pao_24h"),
     ("3 Irmãos", "3-irmaos", "saas_3_irmaos")],
)  # fmt: skip
def test_new_saas_slug_drops_accents(name: str, slug: str, package: str) -> None:
    from matrix.newsaas import answers

    assert answers.slug(name) == slug and answers.package_name(name) == package
