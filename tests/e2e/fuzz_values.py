"""What the command-line fuzz puts in each parameter: a kind per parameter, a valid value per kind,
and bad values per kind, each marked with whether a command must refuse it.

A parameter's kind comes from its click type and its name (``tenant_id`` names a tenant that must
exist, ``*_id`` a record, ``since`` a date…), with the few exceptions listed in :data:`KIND_OF`.
A bad value the command must refuse makes the case a refusal: exit 1 or 2, and no row written.
A value marked ``refuse=False`` is odd but may be fine (a display name with an accent, ``0`` as a
price); the command may take it or refuse it, but must never fail inside.
Values starting with ``@`` are resolved against the world when the case runs (a path in its
folder, an id it holds).
"""

from __future__ import annotations

from dataclasses import dataclass

import click


@dataclass(frozen=True)
class Bad:
    value: str
    refuse: bool
    """Whether every command must refuse this value in this kind of parameter."""


def _all(refuse: bool, *values: str) -> list[Bad]:
    return [Bad(v, refuse) for v in values]


CONTROL = ("", " ", "\t", "acme\n", "a\nb", "a\x00b", "\x1b[2J", "a\rb", "x" * 5000)
"""Never an id: empty, blank, control characters, newlines, NUL, overlong."""
ODD = ("nope", "ACME", "🙂", "' OR 1=1 --", "../../etc/passwd", "-1", "1e309", "NaN", "ação")
"""Odd words: an id nobody has, or a label that may be fine."""
NUMBERS_BAD = ("abc", "", " ", "NaN", "nan", "inf", "-inf", "Infinity", "1e309", "-1e309", "-1",
               "0x10", "a\x00")  # fmt: skip
"""Never a number the commands here take: not a number, not finite, negative."""
DATES_BAD = ("abc", "", "0001-01-01", "9999-12-31", "2026-02-30", "2026-13-01", "1e309", "-1",
             "2026-11-01T25:00:00Z", "2026-11-01\x00", "NaN")  # fmt: skip

BAD: dict[str, list[Bad]] = {
    "tenant": _all(True, *CONTROL, *ODD),
    "ref": _all(True, *CONTROL, *ODD, "00000000-0000-0000-0000-000000000000", "@other-tenant"),
    "new_id": _all(True, *CONTROL) + _all(False, *ODD),
    # A new tenant never takes a name the "tenant" kind expects to be unknown: the store is shared
    # by every case of a worker, so a tenant created here would be known to the cases after it.
    "new_tenant": _all(True, *CONTROL)
    + _all(False, "fuzz-new-tenant", "fuzz_tenant_2", "🙂-tenant"),
    "text": _all(False, *CONTROL, *ODD),
    "phone": _all(True, *CONTROL, "nope", "+1", "123", "+5511999990000" + "9" * 40, "1e309"),
    "email": _all(True, *CONTROL, "not-an-email", "a@", "@b.com", "a b@c.com"),
    "money": _all(True, *NUMBERS_BAD, "0", "-0", "1e20", "99999999999999999999.99", "1,50")
    + _all(False, "1.005", "1e-9", " 5 ", "1_000", "0.01"),
    "price": _all(True, *NUMBERS_BAD) + _all(False, "0", "1e20", "1e-9", "1_000"),
    "seconds": _all(True, *NUMBERS_BAD) + _all(False, "0", "0.01"),
    "int": _all(True, *NUMBERS_BAD, "1.5", "99999999999999999999") + _all(False, "0", "1"),
    "seed": _all(True, "abc", "", "1.5", "NaN", "1e309") + _all(False, "-1", "0", "9" * 30),
    "ratio": _all(True, *NUMBERS_BAD, "7", "1.0001", "1e20") + _all(False, "0", "1", "0.5"),
    "hours": _all(True, *NUMBERS_BAD) + _all(False, "0", "1e20", "0.001"),
    "date": _all(True, *DATES_BAD) + _all(False, "2026-11-01T09:00:00+05:30", "20261101"),
    "currency": _all(True, "", " ", "a\x00b", "x" * 5000, "1e309", "US", "DOLLARS", "R$")
    + _all(False, "usd", "XXX", "EUR"),
    "stage": _all(True, *CONTROL, "nope", "NEW", "1e309"),
    "signature": _all(True, *CONTROL, "nope", "sha256=" + "0" * 64, "sha256=zz"),
    "infile": _all(
        True,
        "@missing",
        "@folder",
        "@not-utf8",
        "@deep",
        "@deep-object",
        "@nul",
        "@not-json",
        "@array",
        "@null",
        "@empty",
        "/dev/null",
        "@huge-line",
    )
    + _all(False, ""),  # an empty --spec or --catalog is the shipped one, as for every setting
    "datafile": _all(True, "@missing", "@folder", "@not-utf8", "", "@deep")
    + _all(False, "@empty", "/dev/null", "@array", "@not-json", "@nul", "@huge-line"),
    "folder": _all(True, "@missing", "@not-json", "/dev/full", "@empty-folder")
    + _all(False, ""),  # an empty --contracts-dir is the setting's default, as for every setting
    "outfile": _all(True, "/dev/full", "@folder", "", "/proc/version", "/proc/nope.md")
    + _all(False, "@missing-parent", "@fresh.md", "@fresh.docx", "@fresh.txt"),
    "storage": _all(
        True,
        "",
        "nope://x",
        "duckdb://",
        "duckdb:///",
        "@storage-folder",
        "@storage-not-a-store",
        "@storage-missing",
        "postgresql://127.0.0.1:1/x",
        "duckdb:///a\x00b",
        "x" * 5000,
    )
    + _all(False, "duckdb:///:memory:"),
    "setting": _all(
        True,
        "execution.max_pending_confirmations=1.0e309",
        "execution.max_pending_confirmations=-1",
        "execution.max_pending_confirmations=NaN",
        "execution.confirmation_ttl_seconds=-5",
        "execution.confirmation_ttl_seconds=abc",
        "execution.confirmation_ttl_seconds=1e309",
        "execution.whatsapp_ai_min_confidence=7",
        "execution.whatsapp_ai_min_confidence=NaN",
        "openai.base_url=http://169.254.169.254/latest",
        "openai.base_url=http://10.0.0.1/v1",
        "openai.base_url=http://[::1]:8/v1",
        "openai.base_url=http://localhost:1/v1",
        "openai.base_url=ftp://example.com",
        "openai.base_url=https://192.168.1.1/v1",
        "openai.base_url=not a url",
        "nokey",
        "=1",
        "unknown.key=1",
        "openai=1",
        "a\x00b=1",
        "",
    )
    + _all(
        False,
        "openai.base_url=https://api.example.com/v1",
        "openai.model=gpt-5-mini",
        "execution.confirmation_ttl_seconds=600",
    ),
    "json": _all(
        True,
        "not json",
        "[" * 5000 + "]" * 5000,
        "[]",
        "null",
        "1e309",
        "",
        '{"total": NaN}',
        '{"total": "1e309"}',
        '{"total": "abc"}',
        "{}",
        '{"total": "' + "9" * 40 + '"}',
    )
    + _all(False, '{"total": "900"}', '{"total": "900", "extra": "\\u0000"}'),
}
"""Bad values by kind; ``choice`` and ``flag`` parameters are left to click (below)."""

GOOD: dict[str, str] = {
    "tenant": "acme", "new_id": "@new-id", "new_tenant": "@new-id", "text": "Ana", "phone": "+5511944443333",
    "email": "bia@example.com", "money": "10.00", "price": "1.25", "seconds": "0.05",
    "int": "5", "seed": "7", "ratio": "0.5", "hours": "24", "date": "2026-11-01",
    "currency": "BRL", "stage": "contacted", "signature": "@signature", "storage": "@storage",
    "setting": "openai.model=gpt-5-mini", "json": '{"total": "900"}', "outfile": "@fresh.md",
}  # fmt: skip
"""A valid value per kind (``ref``, ``infile`` and the others that name something are chosen per
parameter: see :data:`GOOD_FOR`)."""

GOOD_FOR: dict[str, str] = {
    "customer_id": "@customer_id", "keep_id": "@customer_id", "duplicate_id": "@duplicate_id",
    "lead_id": "@lead_id", "charge_id": "@charge_id", "conversation_id": "@conversation_id",
    "confirmation_id": "@confirmation_id", "correlation_id": "@correlation_id",
    "token_id": "@token_id", "memory_id": "@memory_id", "memory turns:session_id": "@session_id",
    "key": "servico", "metrics compute:name": "llm_cost_usd",
    "metrics show:name": "llm_cost_usd", "ids": "g01_contract_checks",
    "events append:source": "@envelope", "crm ingest:source": "@webhook",
    "agreements template:source": "@template", "tenant config:config_file": "@config",
    "import costlog:path": "@costlog", "import worklog:path": "@worklog",
    "import junit:path": "@junit", "import incidents:path": "@incidents",
    "import git:path": "@empty-folder", "contracts_dir": "@contracts", "gate history:gate_id": "g01_contract_checks",
    "tenant apply:pack_dir": "@pack",
    "new-saas:palette": "ocean", "new-saas:scheme": "light", "new-saas:layout": "studio",
    "new-saas:modules": "crm,agenda", "new-saas:language": "en",
    "new-saas:colours": '{"primary": "#1d4ed8", "on-primary": "#ffffff"}',
    "new-saas:template_version": "1.0.0", "new-saas:tenant": "acme-02",
    "new-saas:template_repo": "@fresh-template",
}  # fmt: skip
"""Valid values by parameter name, or by ``command:parameter``."""

KIND_OF: dict[str, str] = {
    "tenant apply:pack_dir": "folder",
    "new-saas:directory": "outfile",
    "tenant create:tenant_id": "new_tenant", "user add:username": "new_id",
    "external_key": "new_id", "client_request_id": "new_id", "session_id": "new_id",
    "run_id": "new_id", "deploy record:service": "new_id", "deploy record:version": "new_id",
    "metrics compute:name": "ref", "metrics show:name": "ref", "key": "ref", "ids": "ref",
    "gate history:gate_id": "ref", "memory turns:session_id": "ref", "deploy record:remediates": "text",
    "tenants": "tenant", "amount": "money", "fee": "price", "input_price": "price",
    "output_price": "price", "cached_price": "price", "audio_price": "price",
    "max_seconds": "seconds", "analytics sync:wait_seconds": "seconds", "attribution_hours": "hours", "min_confidence": "ratio",
    "min_accuracy": "ratio", "seed": "seed", "phone": "phone", "email": "email",
    "since": "date", "until": "date", "at": "date", "due": "date", "effective": "date",
    "currency": "currency", "to_stage": "stage", "signature": "signature",
    "storage_url": "storage", "assignments": "setting", "values_json": "json",
    "out": "outfile", "contracts_dir": "folder", "import git:path": "folder",
    "import costlog:path": "datafile", "import worklog:path": "datafile",
    "import junit:path": "datafile", "import incidents:path": "datafile",
}  # fmt: skip


def kind_of(command: str, param: click.Parameter) -> str:
    """The kind of ``param`` of ``command`` (its path, ``"billing charge"``)."""
    name = str(param.name)
    if f"{command}:{name}" in KIND_OF:
        return KIND_OF[f"{command}:{name}"]
    if name in KIND_OF:
        return KIND_OF[name]
    if isinstance(param, click.Option) and param.is_flag:
        return "flag"
    if isinstance(param.type, click.Choice):
        return "choice"
    if name == "tenant_id":
        return "tenant"
    if name.endswith("_id"):
        return "ref"
    if isinstance(param.type, click.types.IntParamType):
        return "int"
    if isinstance(param.type, click.types.FloatParamType):
        return "price"
    if isinstance(param.type, (click.File, click.Path)):
        return "infile"
    return "text"


def good_value(command: str, param: click.Parameter, kind: str) -> str | None:
    """A value ``param`` takes, or None when the case leaves it out."""
    name = str(param.name)
    for key in (f"{command}:{name}", name):
        if key in GOOD_FOR:
            return GOOD_FOR[key]
    if kind == "choice":
        assert isinstance(param.type, click.Choice)
        return str(param.type.choices[0])
    return GOOD.get(kind)


def choice_bad(param: click.Parameter) -> list[Bad]:
    assert isinstance(param.type, click.Choice)
    return _all(True, "nope", "", " ", "a\x00b", str(param.type.choices[0]).upper() + "X")
