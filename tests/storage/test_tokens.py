"""API bearer tokens on both backends: bound to one tenant (or the platform), stored only as a
keyed hash, and every kind of bad token refused with its own code."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest

from matrix.clock import FrozenClock
from matrix.errors import AuthenticationError, NotFoundError, UsageError
from matrix.storage import Store
from matrix.tokens import authenticate, create_token, list_tokens, make_token, revoke_token


@pytest.fixture
def tenants(store: Store) -> Store:
    store.tenants.add("acme")
    store.tenants.add("beta")
    return store


def _dump(store: Store) -> str:
    """Every row of every table, as text (what a copy of the store would show)."""
    with store.backend.transaction() as tx:
        tables = [r[0] for r in tx.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema IN ('main', 'public')"
        )]  # fmt: skip
        rows = {t: tx.query(f"SELECT * FROM {t}") for t in tables}
    return json.dumps(rows, default=str)


def test_token_acts_for_its_tenant_only(tenants: Store) -> None:
    issued = create_token(tenants, tenant_id="acme", name="crm-console", actor="ana")
    identity = authenticate(tenants, f"Bearer {issued.token}")
    assert identity.tenant_id == "acme" and not identity.admin
    assert identity.token_id == issued.record.token_id and identity.name == "crm-console"
    assert identity.allows("acme") and not identity.allows("beta")
    assert issued.token.startswith("mxt_") and len(issued.token) == 53
    assert not identity.allows("acmé") and not identity.allows("\udcff")  # any text, never an error


def test_token_refuses_any_other_tenant_id_text(tenants: Store) -> None:
    identity = authenticate(tenants, f"Bearer {create_token(tenants, tenant_id='acme').token}")
    for other in ("\x80", "acmé", "\ud800", "", "acme\x00"):
        assert not identity.allows(other)


def test_admin_token_is_bound_to_the_platform(tenants: Store) -> None:
    issued = create_token(tenants, tenant_id=None, admin=True)
    identity = authenticate(tenants, f"bearer {issued.token}")
    assert identity.admin and identity.tenant_id is None
    assert identity.allows("acme") and identity.allows("beta")
    assert issued.token.startswith("mxa_")


def test_token_is_stored_only_as_a_keyed_hash(tenants: Store) -> None:
    issued = create_token(tenants, tenant_id="acme")
    dump = _dump(tenants)
    assert issued.token not in dump
    assert issued.token[4:-4] not in dump
    assert hashlib.sha256(issued.token.encode()).hexdigest() not in dump  # keyed, not plain
    with tenants.backend.transaction() as tx:
        (stored,) = tx.query("SELECT token_hash FROM api_tokens")[0]
    assert stored == tenants.api_tokens.digest(issued.token)


def test_json_of_a_new_token_carries_it_once(tenants: Store) -> None:
    body = create_token(tenants, tenant_id="acme", expires_days=30).as_dict()
    assert {"token", "token_id", "tenant_id", "name", "expires_at"} <= set(body)
    assert body["tenant_id"] == "acme" and body["expires_at"].startswith("2026-12-02")
    listed = list_tokens(tenants)
    assert body["token"] not in json.dumps(listed)
    assert listed[0]["shown_as"] == f"mxt_…{body['token'][-4:]}"
    assert "token" not in listed[0]


def _well_formed_unknown() -> str:
    return make_token("mxt_")


def _flip(token: str) -> str:
    middle = len(token) // 2
    return token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "missing_token"),
        ("", "missing_token"),
        ("   ", "missing_token"),
        ("Basic YWxhZGRpbjpvcGVuc2VzYW1l", "malformed_token"),
        ("Bearer", "malformed_token"),
        ("Bearer abc", "malformed_token"),
        ("Bearer mxt_ünïcødé", "malformed_token"),
        ("Bearer mxq_" + "a" * 49, "malformed_token"),
        ("Bearer ${flip}", "bad_checksum"),
        ("Bearer ${unknown}", "unknown_token"),
    ],
)
def test_bad_headers_are_refused_with_their_code(
    tenants: Store, header: str | None, code: str
) -> None:
    issued = create_token(tenants, tenant_id="acme")
    if header is not None:
        header = header.replace("${flip}", _flip(issued.token))
        header = header.replace("${unknown}", _well_formed_unknown())
    with pytest.raises(AuthenticationError) as info:
        authenticate(tenants, header)
    assert info.value.code == code
    assert issued.token not in str(info.value)


def test_revoked_token_is_refused_at_once(tenants: Store) -> None:
    issued = create_token(tenants, tenant_id="acme")
    first = revoke_token(tenants, issued.record.token_id)
    assert first["state"] == "revoked" and not first["already_revoked"]
    with pytest.raises(AuthenticationError) as info:
        authenticate(tenants, f"Bearer {issued.token}")
    assert info.value.code == "revoked_token"
    assert revoke_token(tenants, issued.record.token_id)["already_revoked"]
    with pytest.raises(NotFoundError, match="tok_nope"):
        revoke_token(tenants, "tok_nope")


def test_expired_token_is_refused(tenants: Store, clock: FrozenClock) -> None:
    issued = create_token(tenants, tenant_id="acme", expires_days=1)
    clock.advance(timedelta(hours=23))
    assert authenticate(tenants, f"Bearer {issued.token}").tenant_id == "acme"
    clock.advance(timedelta(hours=1))
    with pytest.raises(AuthenticationError) as info:
        authenticate(tenants, f"Bearer {issued.token}")
    assert info.value.code == "expired_token"
    assert list_tokens(tenants, "acme")[0]["state"] == "expired"


def test_a_token_of_another_store_is_unknown(tenants: Store) -> None:
    from matrix.storage import open_store

    other = open_store("duckdb:///:memory:")
    other.tenants.add("acme")
    foreign = create_token(other, tenant_id="acme").token
    other.close()
    create_token(tenants, tenant_id="acme")
    with pytest.raises(AuthenticationError) as info:
        authenticate(tenants, f"Bearer {foreign}")
    assert info.value.code == "unknown_token"


def test_a_store_without_tokens_refuses_without_making_a_key(store: Store) -> None:
    with pytest.raises(AuthenticationError) as info:
        authenticate(store, f"Bearer {_well_formed_unknown()}")
    assert info.value.code == "unknown_token"
    assert store.secrets.status()["sealed"] == 0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"tenant_id": "nobody"}, NotFoundError, "Unknown tenant 'nobody'"),
        ({"tenant_id": None}, UsageError, "not neither"),
        ({"tenant_id": "acme", "admin": True}, UsageError, "not both"),
        ({"tenant_id": "acme", "expires_days": 0}, UsageError, "--expires-days 0"),
    ],
)
def test_create_refuses_what_cannot_work(
    tenants: Store, kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        create_token(tenants, **kwargs)  # type: ignore[arg-type]
    assert tenants.api_tokens.list() == []


def test_list_filters_by_tenant(tenants: Store) -> None:
    create_token(tenants, tenant_id="acme")
    create_token(tenants, tenant_id="beta")
    create_token(tenants, tenant_id=None, admin=True)
    assert [r["tenant_id"] for r in list_tokens(tenants, "beta")] == ["beta"]
    assert len(list_tokens(tenants)) == 3


def test_tokens_stay_valid_across_a_key_rotation(tenants: Store) -> None:
    from matrix.storage.secrets import new_key

    issued = create_token(tenants, tenant_id="acme")
    tenants.secrets.rotate(new_key())
    tenants.api_tokens._pepper = None  # read the pepper again, under the new key
    assert authenticate(tenants, f"Bearer {issued.token}").tenant_id == "acme"


def test_a_token_revoked_through_another_store_is_refused_next(
    tenants: Store, clock: FrozenClock
) -> None:
    """Another process (here: another store on the same database) revokes a token the first has
    just accepted: the first refuses it on the next request."""
    from matrix.config import Settings
    from matrix.storage import open_store

    issued = create_token(tenants, tenant_id="acme")
    for _ in range(3):
        assert authenticate(tenants, f"Bearer {issued.token}").tenant_id == "acme"
    with open_store(
        settings=Settings.load(storage_url=tenants.settings.storage_url), clock=clock
    ) as other:
        revoke_token(other, issued.record.token_id)
    with pytest.raises(AuthenticationError) as info:
        authenticate(tenants, f"Bearer {issued.token}")
    assert info.value.code == "revoked_token"
