"""Tenant secrets sealed at rest on both backends: nothing readable in the DuckDB file's bytes or
in PostgreSQL's column values, a wrong key named as such, clear values from before sealed on
first use, and a key rotation that is all or nothing."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from matrix.clock import FrozenClock
from matrix.config import Settings
from matrix.errors import ConfigError, StorageError
from matrix.storage import Store, open_store
from matrix.storage.secrets import new_key, parse_key

OPENAI = "sk-live-TENANT-5c3e1f9a7b2d4e6f8091"
WEBHOOK = "whsec-acme-8b1f0c2d9e3a4b5c"
GATEWAY = "evo-gateway-key-77aa55cc33ee"
SECRETS = (OPENAI, WEBHOOK, GATEWAY)
AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _configure(store: Store) -> None:
    store.tenants.add("acme")
    store.runtime_config.save(
        "acme", {"provider": {"mode": "openai"}},
        {"openai.api_key": OPENAI, "crm_evolution.webhook_secret": WEBHOOK,
         "crm_evolution.api_key": GATEWAY},
        AT,
    )  # fmt: skip


def _stored_text(store: Store) -> str:
    """On DuckDB the file's raw bytes (store closed); on PostgreSQL every column of every row."""
    if store.dialect == "duckdb":
        path = Path(store.backend.url.removeprefix("duckdb:///"))
        store.close()
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*")
                        if not p.name.endswith(".key")).decode("latin-1")  # fmt: skip
    with store.backend.transaction() as tx:
        tables = [r[0] for r in tx.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )]  # fmt: skip
        return json.dumps({t: tx.query(f"SELECT * FROM {t}") for t in tables}, default=str)


def _reopen(store: Store, clock: FrozenClock, **settings: str) -> Store:
    return open_store(settings=Settings.load(storage_url=_url(store), **settings), clock=clock)


def _url(store: Store) -> str:
    url = store.settings.storage_url
    return url


def test_tenant_secrets_are_not_readable_in_the_store(store: Store, clock: FrozenClock) -> None:
    _configure(store)
    assert store.runtime_config.secret("acme", "openai.api_key") == OPENAI
    assert store.runtime_config.secret_names("acme") == {
        "openai.api_key", "crm_evolution.webhook_secret", "crm_evolution.api_key",
    }  # fmt: skip
    key = store.secrets.keyring.require(make=False)
    url = _url(store)
    text = _stored_text(store)
    assert "mxs1." in text  # the sealed values are there
    for secret in SECRETS:
        assert secret not in text
    import base64

    assert base64.urlsafe_b64encode(key.material).decode() not in text  # nor the key
    with open_store(settings=Settings.load(storage_url=url), clock=clock) as again:
        assert again.runtime_config.secret("acme", "crm_evolution.webhook_secret") == WEBHOOK


def test_a_wrong_key_is_refused_by_name(store: Store, clock: FrozenClock) -> None:
    url = _url(store)
    first, second = new_key(), new_key()
    store.close()
    with open_store(settings=Settings.load(storage_url=url, secret_key=first), clock=clock) as s:
        _configure(s)
    with open_store(settings=Settings.load(storage_url=url, secret_key=second), clock=clock) as s:
        with pytest.raises(ConfigError, match="MATRIX_SECRET_KEY") as info:
            s.runtime_config.secret("acme", "openai.api_key")
        assert OPENAI not in str(info.value) and first not in str(info.value)
    with open_store(settings=Settings.load(storage_url=url, secret_key=first), clock=clock) as s:
        assert s.runtime_config.secret("acme", "openai.api_key") == OPENAI


def test_a_value_moved_to_another_tenant_does_not_open(store: Store) -> None:
    _configure(store)
    store.tenants.add("beta")
    with store.backend.transaction() as tx:
        tx.execute(
            "INSERT INTO tenant_secrets (tenant_id, name, value, updated_at)"
            " SELECT 'beta', name, value, updated_at FROM tenant_secrets"
            " WHERE tenant_id = 'acme' AND name = 'openai.api_key'"
        )
    with pytest.raises(StorageError, match="integrity") as info:
        store.runtime_config.secret("beta", "openai.api_key")
    assert OPENAI not in str(info.value)


def test_secrets_stored_in_clear_are_sealed_on_first_use(store: Store, clock: FrozenClock) -> None:
    store.tenants.add("acme")
    with store.backend.transaction() as tx:  # as a matrix from before sealing stored them
        tx.execute(
            "INSERT INTO tenant_secrets (tenant_id, name, value, updated_at) VALUES (?, ?, ?, ?)",
            ["acme", "openai.api_key", OPENAI, AT],
        )
    url = _url(store)
    store.close()
    with open_store(settings=Settings.load(storage_url=url), clock=clock) as again:
        assert again.secrets.status()["in_clear"] == 1
        assert again.runtime_config.secret("acme", "openai.api_key") == OPENAI
        with again.backend.transaction() as tx:
            (value,) = tx.query("SELECT value FROM tenant_secrets")[0]
        assert value.startswith("mxs1.") and OPENAI not in value
        assert again.secrets.status()["in_clear"] == 0


def test_rotate_key_reseals_everything_under_the_new_key(store: Store, clock: FrozenClock) -> None:
    url = _url(store)
    old, new = new_key(), new_key()
    store.close()
    with open_store(settings=Settings.load(storage_url=url, secret_key=old), clock=clock) as s:
        _configure(s)
        pepper = s.secrets.platform("api_token_pepper", make=new_key, at=AT)
        done = s.secrets.rotate(new)
        assert done.resealed == 4 and done.key_file is None
        assert done.new_key_id != done.old_key_id
    with open_store(settings=Settings.load(storage_url=url, secret_key=new), clock=clock) as s:
        assert s.runtime_config.secret("acme", "crm_evolution.api_key") == GATEWAY
        assert s.secrets.platform("api_token_pepper", make=None, at=AT) == pepper
        assert s.secrets.status()["key_opens_all"]
    settings = Settings.load(storage_url=url, secret_key=old)
    with (
        open_store(settings=settings, clock=clock) as s,
        pytest.raises(ConfigError, match="MATRIX_SECRET_KEY"),
    ):
        s.runtime_config.secret("acme", "openai.api_key")


def test_a_failed_rotation_changes_nothing(
    store: Store, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import matrix.storage.secrets as secrets

    _configure(store)
    with store.backend.transaction() as tx:
        before = tx.query("SELECT tenant_id, name, value FROM tenant_secrets ORDER BY name")
    key_file = store.secrets.keyring.key_file
    key_before = key_file.read_bytes() if key_file else None
    real_seal, calls = secrets.seal, []

    def failing_seal(*args: object) -> str:
        calls.append(1)
        if len(calls) == 2:
            raise StorageError("the disk filled up")
        return real_seal(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(secrets, "seal", failing_seal)
    with pytest.raises(StorageError, match="disk filled up"):
        store.secrets.rotate(new_key())
    with store.backend.transaction() as tx:
        assert tx.query("SELECT tenant_id, name, value FROM tenant_secrets ORDER BY name") == before
    assert (key_file.read_bytes() if key_file else None) == key_before
    assert store.runtime_config.secret("acme", "openai.api_key") == OPENAI


def test_settings_reject_a_key_that_is_not_one(store: Store, clock: FrozenClock) -> None:
    url = _url(store)
    store.close()
    with open_store(
        settings=Settings.load(storage_url=url, secret_key="hunter2"), clock=clock
    ) as s:
        s.tenants.add("acme")
        with pytest.raises(ConfigError, match="MATRIX_SECRET_KEY is not a secret key") as info:
            s.runtime_config.save("acme", {}, {"openai.api_key": OPENAI}, AT)
        assert "hunter2" not in str(info.value)
        assert s.runtime_config.secret_names("acme") == set()


def test_keys_read_as_base64_or_hex() -> None:
    made = new_key()
    for text in (made, made.rstrip("="), f" {made}\n", bytes(range(32)).hex(), "a" * 43 + "="):
        assert len(parse_key(text)) == 32, text
    assert parse_key(made.replace("-", "+").replace("_", "/")) == parse_key(made)


# -- where the key comes from when MATRIX_SECRET_KEY is empty -----------------------------------


@pytest.fixture
def duckdb_file(
    tmp_path: Path, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Store]:
    monkeypatch.delenv("MATRIX_SECRET_KEY", raising=False)
    url = f"duckdb:///{tmp_path / 'local.duckdb'}"
    with open_store(settings=Settings.load(storage_url=url), clock=clock, migrate=True) as store:
        yield store


def test_an_embedded_store_makes_its_key_file_on_first_use(duckdb_file: Store) -> None:
    key_file = duckdb_file.secrets.keyring.key_file
    assert key_file is not None and key_file.name == "local.duckdb.key"
    duckdb_file.tenants.add("acme")
    duckdb_file.runtime_config.save("acme", {}, {}, AT)
    assert not key_file.exists()  # nothing to seal yet
    _configure(duckdb_file)
    assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(parse_key(key_file.read_text())) == 32
    assert duckdb_file.secrets.status()["key_source"] == "file"


def test_a_lost_key_file_is_named_not_replaced(duckdb_file: Store, clock: FrozenClock) -> None:
    _configure(duckdb_file)
    key_file = duckdb_file.secrets.keyring.key_file
    assert key_file is not None
    url = duckdb_file.settings.storage_url
    duckdb_file.close()
    key_file.unlink()
    with open_store(settings=Settings.load(storage_url=url), clock=clock) as again:
        with pytest.raises(ConfigError, match="MATRIX_SECRET_KEY is not set") as info:
            again.runtime_config.secret("acme", "openai.api_key")
        assert str(key_file) in str(info.value)
        with pytest.raises(ConfigError, match="MATRIX_SECRET_KEY"):
            again.runtime_config.save("acme", {}, {"openai.api_key": "sk-other"}, AT)
    assert not key_file.exists()


def test_rotating_an_embedded_store_rewrites_its_key_file(
    duckdb_file: Store, clock: FrozenClock
) -> None:
    _configure(duckdb_file)
    key_file = duckdb_file.secrets.keyring.key_file
    assert key_file is not None
    before = key_file.read_text()
    done = duckdb_file.secrets.rotate(new_key())
    assert done.key_file == str(key_file) and key_file.read_text() != before
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    url = duckdb_file.settings.storage_url
    duckdb_file.close()
    with open_store(settings=Settings.load(storage_url=url), clock=clock) as again:
        assert again.runtime_config.secret("acme", "openai.api_key") == OPENAI


@pytest.mark.postgres
def test_postgres_without_a_key_refuses_to_store_a_secret(
    postgres_url: str, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MATRIX_SECRET_KEY")
    settings = Settings.load(storage_url=postgres_url)
    with open_store(settings=settings, clock=clock, migrate=True) as store:
        store.tenants.add("acme")
        with pytest.raises(ConfigError, match="MATRIX_SECRET_KEY is not set") as info:
            store.runtime_config.save("acme", {}, {"openai.api_key": OPENAI}, AT)
        assert "matrix secrets new-key" in str(info.value)
        assert store.runtime_config.secret_names("acme") == set()
        assert store.runtime_config.secret("acme", "openai.api_key") is None
