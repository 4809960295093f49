"""What the domain refuses, as the user reads it: an overpayment, an address that is not one, a
lead converted before it is won, an admin limited to a tenant; and the terminal's own habits
(``exit`` in a chat, ``matrix lab`` as root). Each case checks the exact message and that nothing
was stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from matrix.cli.output import money, percent, plural, usd
from tests.api.conftest import ApiWorld, make_world
from tests.api.test_crm_core import create
from tests.conftest import ROOT
from tests.e2e.test_cli_grammar import run


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A store with the tenant acme, the default for every command of the test."""
    url = f"duckdb:///{tmp_path / 'store.duckdb'}"
    monkeypatch.setenv("MATRIX_STORAGE_URL", url)
    assert run("init")[0] == 0 and run("tenant", "create", "acme")[0] == 0
    return url


def acme(*args: str, input: str = "") -> tuple[int, str, str]:
    return run(*args, "--tenant", "acme", input=input)


def _id(args: tuple[str, ...], key: str) -> str:
    code, out, err = acme(*args, "--json")
    assert code == 0, err
    return str(json.loads(out)[key])


def test_a_payment_larger_than_what_is_open_is_refused(url: str) -> None:
    customer = _id(("customers", "add", "Ana Souza"), "customer_id")
    charge = _id(
        ("billing", "charge", customer, "--amount", "100.50", "--due", "2026-12-10"), "charge_id"
    )
    assert acme("billing", "pay", charge, "--amount", "40")[0] == 0
    code, out, err = acme("billing", "pay", charge, "--amount", "500")
    assert (code, out) == (1, "")
    assert err == (f"error: A payment of BRL 500.00 is more than the BRL 60.50 still open on charge {charge}"
                   " (overpayment); record at most BRL 60.50.\n")  # fmt: skip
    code, out, _ = acme("billing", "pay", charge, "--amount", "60.50")
    assert code == 0 and "charge_status=paid" in out
    payments = json.loads(acme("billing", "list", "--json")[1])
    assert [(c["status"], c["amount"]) for c in payments] == [("paid", "100.50")]


@pytest.mark.parametrize(
    "email", ["not-an-email", "ana@", "@example.com", "ana @example.com", "ana@example"]
)
def test_a_customer_email_that_is_not_one_is_refused(url: str, email: str) -> None:
    code, _, err = acme("customers", "add", "Ana Souza", "--email", email)
    assert (code, err) == (2, f"error: primary_email {email!r} is not an e-mail address; write it like"
                              " ana@example.com.\n")  # fmt: skip
    assert acme("customers", "list", "--json")[1].strip() == "[]"


def test_a_customer_email_is_kept_trimmed(url: str) -> None:
    code, out, _ = acme("customers", "add", "Ana Souza", "--email", " ana@example.com ", "--json")
    assert code == 0 and json.loads(out)["primary_email"] == "ana@example.com"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiWorld]:
    yield from make_world(f"duckdb:///{tmp_path / 'api.duckdb'}")


def test_the_api_refuses_the_same_emails_through_the_same_check(api: ApiWorld) -> None:
    customer = api.post("/v1/customers", {"request_id": "r-1", "customer": {
        "display_name": "Ana Souza", "primary_email": "not-an-email"}})  # fmt: skip
    assert customer.status_code == 400, customer.text
    assert customer.json()["message"] == ("primary_email 'not-an-email' is not an e-mail address; write it"
                                          " like ana@example.com.")  # fmt: skip
    assert api.get("/v1/customers").json()["count"] == 0
    contact = create(
        api, "contact", display_name="Carla Dias", email="not-an-email"
    )  # the contract's pattern
    assert (
        contact.status_code == 400
        and contact.json()["details"][0]["path"] == "/request/contact/email"
    )


def test_only_a_won_lead_converts(url: str) -> None:
    lead = _id(("crm", "capture", "Carla Dias", "--phone", "+5511977776666"), "lead_id")
    code, out, err = acme("crm", "convert", lead)
    assert (code, out) == (1, "")
    assert err == (f"error: Lead {lead} is in stage 'new'; only a won lead becomes a customer (lead_not_won)."
                   " Move it to won first: new → contacted → qualified → proposal → won.\n")  # fmt: skip
    assert acme("customers", "list", "--json")[1].strip() == "[]"
    for stage, trigger in (("contacted", "first_contact_attempt"), ("qualified", "qualification_passed"),
                           ("proposal", "proposal_sent"), ("won", "proposal_accepted")):  # fmt: skip
        assert acme("crm", "move", lead, "--to", stage, "--trigger", trigger)[0] == 0
    code, out, _ = acme("crm", "convert", lead)
    assert code == 0 and "display_name=Carla Dias  status=created" in out


def test_an_admin_cannot_be_limited_to_a_tenant(url: str) -> None:
    code, out, err = run("user", "add", "admin2", "--role", "admin", "--tenant", "acme", "--password-stdin",
                         input="a-long-password\n")  # fmt: skip
    assert (code, out) == (2, "")
    assert err == ("error: an admin sees every tenant, so --tenant acme would mean nothing; drop --tenant, or"
                   " use --role manager to limit the user to it.\n")  # fmt: skip
    assert run("user", "list", "--json")[1].strip() == "[]"
    code, out, _ = run(
        "user", "add", "admin2", "--role", "admin", "--password-stdin", input="a-long-password\n"
    )
    assert (code, out) == (0, "user admin2: admin (every tenant)\n")


@pytest.mark.parametrize("ending", ["exit", "quit", " QUIT ", "/exit", None], ids=repr)
def test_chat_ends_on_exit_quit_and_end_of_input(url: str, ending: str | None) -> None:
    lines = "hello\n" + ("" if ending is None else ending + "\nnever sent\n")
    code, out, err = acme("chat", input=lines)
    assert code == 0, err
    assert out.count("concierge> ") == 1  # only "hello" was sent; the ending was not a message


def test_lab_passes_allow_root_when_run_as_root(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 0)
    code, out, _ = run("lab", "--dry-run")
    assert code == 0 and out.rstrip().endswith("--no-browser --allow-root")
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    assert run("lab", "--dry-run")[1].rstrip().endswith("--no-browser")


def test_git_ignores_jupyter_checkpoints() -> None:
    assert ".ipynb_checkpoints/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        (usd(0.021150750000000006), "$0.0212"),
        (usd(12.345), "$12.35"),
        (usd(0.5), "$0.50"),
        (usd(0), "$0.00"),
        (usd(-3.1), "-$3.10"),
        (usd(1234.5), "$1,234.50"),
        (usd(None), "unpriced"),
        (money("100.5", "BRL"), "BRL 100.50"),
        (percent(1 / 6), "16.7%"),
        (percent(None), "no data"),
        (plural(1, "row"), "1 row"),
        (plural(2, "row"), "2 rows"),
        (plural(0, "row"), "0 rows"),
    ],
)
def test_numbers_print_with_their_units(printed: str, expected: str) -> None:
    assert printed == expected


def test_metric_values_print_in_their_unit_with_counts_in_the_right_number(url: str) -> None:
    assert acme("chat", "-m", "hello")[0] == 0
    code, out, _ = acme("metrics", "compute", "owner_interaction_success_ratio", "--grain", "all")
    assert code == 0
    assert "owner_interaction_success_ratio (ratio), 1 row read via duckdb" in out
    assert out.rstrip().endswith("100.0%  (1 row)")


def test_dora_prints_its_rates_as_percentages(url: str) -> None:
    run("tenant", "create", "platform")
    for n, status in enumerate(["success"] * 5 + ["failed"]):
        code, _, err = run(
            "deploy", "record", "api", f"1.0.{n}", "--status", status, "--at", f"2026-11-0{n + 1}"
        )
        assert code == 0, err
    code, out, _ = run("metrics", "dora", "--since", "2026-10-15", "--until", "2026-11-15")
    assert code == 0
    rate = next(line for line in out.splitlines() if "change failure rate" in line)
    assert (
        rate.startswith("  change failure rate    16.7% (1 failed)") and "%" in rate.split("[")[-1]
    )
    assert "(6 deployments: 6 code, of which 0 platform releases; 0 config changes)" in out
