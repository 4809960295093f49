"""Secrets at rest: the store's key, AES-GCM sealing, and the two tables of sealed secrets.

Tenant secrets (OpenAI keys, webhook secrets, gateway keys), the platform's own (the API token
pepper) and the keys the web server generates for itself (the session secret) are stored sealed with AES-256-GCM under one key that never lives in the store. The key
comes from ``MATRIX_SECRET_KEY``; when that is empty, an embedded DuckDB file uses a key file
beside it (``<store>.key``, made on first use, readable by its owner only) so that a local store
works with nothing set, and an in-memory store a key that lives as long as the process. A
PostgreSQL store needs the setting: its data and a key file would not sit on one machine.

A sealed value reads ``mxs1.<key id>.<nonce + ciphertext, URL-safe base64>``. The row it belongs
to (table, tenant and name) is authenticated with it, so a value copied into another row does not
open, and the key id lets a wrong key be named as such instead of yielding garbage.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from matrix.config import Settings
from matrix.errors import ConfigError, StorageError
from matrix.storage.base import Backend, Tx

PREFIX = "mxs1."
KEY_BYTES = 32
_NONCE_BYTES = 12
SETTING = "MATRIX_SECRET_KEY"
HOW_TO_MAKE = "make one with `matrix secrets new-key`"
_TABLES = ("tenant_secrets", "platform_secrets", "server_keys")
_STAMPS = {"platform_secrets": "updated_at", "server_keys": "created_at"}
_PLAIN = f"value NOT LIKE '{PREFIX}%'"
_HEX_KEY = re.compile(r"[0-9a-fA-F]{64}")
_BASE64_KEY = re.compile(r"[A-Za-z0-9_+/-]{43}=?")
_TO_URLSAFE = str.maketrans("+/", "-_")


class KeySource(StrEnum):
    """Where the store's key came from."""

    SETTING = "setting"
    FILE = "file"
    PROCESS = "process"


@dataclass(frozen=True, kw_only=True)
class SecretKey:
    """The key that seals a store's secrets, with where it came from (never its bytes in a repr)."""

    material: bytes = field(repr=False)
    source: KeySource
    where: str
    """``MATRIX_SECRET_KEY``, the key file's path, or ``this process``."""

    @property
    def key_id(self) -> str:
        """A short public fingerprint: names the key in messages without revealing it."""
        return hmac.new(self.material, b"matrix secret key id", hashlib.sha256).hexdigest()[:12]


def new_key() -> str:
    """A fresh key for ``MATRIX_SECRET_KEY``: 32 random bytes in URL-safe base64."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def parse_key(text: str, where: str = SETTING) -> bytes:
    """The 32 bytes a key's text stands for (URL-safe or standard base64, or 64 hex digits).

    Raises:
        ConfigError: anything else, naming ``where`` (never quoting the value, which is secret).
    """
    text = text.strip()
    material = b""
    if _HEX_KEY.fullmatch(text):
        material = bytes.fromhex(text)
    elif _BASE64_KEY.fullmatch(text):
        material = base64.urlsafe_b64decode(text.translate(_TO_URLSAFE).rstrip("=") + "=")
    if len(material) == KEY_BYTES:
        return material
    raise ConfigError(
        f"{where} is not a secret key (it has {len(text)} characters): it must be 32 random bytes"
        f" in URL-safe base64, 44 characters; {HOW_TO_MAKE}."
    )


def seal(key: SecretKey, plaintext: str, context: str) -> str:
    """``plaintext`` sealed under ``key``, bound to ``context`` (the row it is stored in)."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(key.material).encrypt(nonce, plaintext.encode("utf-8"), context.encode())
    body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
    return f"{PREFIX}{key.key_id}.{body}"


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


def key_id_of(value: str) -> str | None:
    """The id of the key a stored value was sealed with (None for a value stored in clear)."""
    return value[len(PREFIX) :].partition(".")[0] if is_sealed(value) else None


def unseal(key: SecretKey, value: str, context: str) -> str:
    """The plaintext of a sealed value (a value stored in clear is returned as it is).

    Raises:
        ConfigError: the value was sealed under another key than ``key``; names MATRIX_SECRET_KEY.
        StorageError: the value was altered in the store (it fails authentication).
    """
    if not is_sealed(value):
        return value
    kid, _, body = value[len(PREFIX) :].partition(".")
    if kid != key.key_id:
        raise wrong_key(key, kid)
    try:
        raw = base64.urlsafe_b64decode(body.encode("ascii"))
        opened = AESGCM(key.material).decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode()
        )
    except (InvalidTag, binascii.Error, ValueError, UnicodeEncodeError):
        raise StorageError(
            f"The stored secret {context} fails its integrity check: it was changed or moved in"
            " the store. Set it again (e.g. `matrix tenant config`)."
        ) from None
    return opened.decode("utf-8")


def wrong_key(key: SecretKey, kid: str) -> ConfigError:
    return ConfigError(
        f"The store's secrets were sealed with key {kid}, but the key from {key.where} is key"
        f" {key.key_id}. Set {SETTING} to the key they were sealed with (or restore the key"
        " file); to change keys, run `matrix secrets rotate-key` with the old key still set."
    )


class Keyring:
    """Finds (and, for an embedded store, makes) the key of one store; caches it once found."""

    def __init__(self, backend: Backend, settings: Settings) -> None:
        self._backend = backend
        self._settings = settings
        self._key: SecretKey | None = None

    @property
    def key_file(self) -> Path | None:
        """The key file of an embedded DuckDB file store (None for other stores)."""
        path = getattr(self._backend, "path", None)
        if self._backend.dialect != "duckdb" or path in (None, ":memory:"):
            return None
        return Path(f"{path}.key")

    def find(self) -> SecretKey | None:
        """The key when one is set or already made; None when none exists yet."""
        if self._key is None:
            self._key = self._locate(make=False)
        return self._key

    def require(self, *, make: bool) -> SecretKey:
        """The key; with ``make``, an embedded store gets a new key file when it has none.

        Raises:
            ConfigError: no key (PostgreSQL without MATRIX_SECRET_KEY), or a malformed one.
        """
        key = self.find()
        if key is None and make:
            key = self._key = self._locate(make=True)
        if key is None:
            where = self.key_file
            raise ConfigError(
                f"{SETTING} is not set, and this store needs it to read or store secrets"
                + (f" (there is no key file at {where})" if where else "")
                + f". Set {SETTING} to the store's key; for a new store, {HOW_TO_MAKE}."
            )
        return key

    def use(self, key: SecretKey) -> None:
        """Seal and open with ``key`` from now on (after a rotation)."""
        self._key = key

    def _locate(self, *, make: bool) -> SecretKey | None:
        if self._settings.secret_key:
            material = parse_key(self._settings.secret_key)
            return SecretKey(material=material, source=KeySource.SETTING, where=SETTING)
        if self._backend.dialect == "duckdb" and getattr(self._backend, "path", "") == ":memory:":
            # The store dies with the process, so may its key.
            return SecretKey(material=os.urandom(KEY_BYTES), source=KeySource.PROCESS,
                             where="this process")  # fmt: skip
        path = self.key_file
        if path is None:
            return None
        if not path.exists():
            if not make:
                return None
            write_key_file(path, new_key(), exclusive=True)
        material = parse_key(path.read_text(encoding="ascii"), f"The key file {path}")
        return SecretKey(material=material, source=KeySource.FILE, where=str(path))


def write_key_file(path: Path, text: str, *, exclusive: bool = False) -> None:
    """Write a key file readable by its owner only; ``exclusive`` leaves one another process made
    first in place (both then read the same key)."""
    if exclusive:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(text + "\n")
        return
    fresh = path.with_name(path.name + ".new")
    fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(text + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(fresh, path)


def _context(table: str, tenant_id: str, name: str) -> str:
    return f"{table}:{tenant_id}:{name}" if table == "tenant_secrets" else f"{table}:{name}"


@dataclass(frozen=True, kw_only=True)
class Rotation:
    """What :meth:`SqlSecrets.rotate` did."""

    old_key_id: str | None
    new_key_id: str
    resealed: int
    key_file: str | None
    """The key file that now holds the new key (None: set MATRIX_SECRET_KEY to it)."""

    def as_dict(self) -> dict[str, Any]:
        return {"old_key_id": self.old_key_id, "new_key_id": self.new_key_id,
                "resealed": self.resealed, "key_file": self.key_file}  # fmt: skip


class SqlSecrets:
    """The sealed secrets of the tenants (``tenant_secrets``), of the platform
    (``platform_secrets``) and of the web server (``server_keys``). Values stored in clear by an
    older matrix are sealed the first time this store's secrets are used."""

    def __init__(self, backend: Backend, keyring: Keyring) -> None:
        self._backend = backend
        self.keyring = keyring
        self._checked = False

    # -- tenant secrets ----------------------------------------------------------------------

    def put(self, tenant_id: str, name: str, value: str, at: datetime) -> None:
        """Store (or with ``""`` remove) one tenant secret, in the caller's transaction."""
        self._seal_clear_once()
        with self._backend.transaction() as tx:
            tx.execute(
                "DELETE FROM tenant_secrets WHERE tenant_id = ? AND name = ?", [tenant_id, name]
            )
            if value != "":
                sealed = seal(
                    self._sealing_key(), value,
                    _context("tenant_secrets", tenant_id, name),
                )  # fmt: skip
                tx.execute(
                    "INSERT INTO tenant_secrets (tenant_id, name, value, updated_at)"
                    " VALUES (?, ?, ?, ?)",
                    [tenant_id, name, sealed, at],
                )

    def get(self, tenant_id: str, name: str) -> str | None:
        self._seal_clear_once()
        with self._backend.transaction() as tx:
            rows = tx.query(
                "SELECT value FROM tenant_secrets WHERE tenant_id = ? AND name = ?",
                [tenant_id, name],
            )
        if not rows:
            return None
        return self._open(str(rows[0][0]), _context("tenant_secrets", tenant_id, name))

    def opened(self, tenant_id: str, name: str, stored: str) -> str:
        """The plaintext of a tenant secret's stored value read by another query (a join)."""
        self._seal_clear_once()
        return self._open(stored, _context("tenant_secrets", tenant_id, name))

    def names(self, tenant_id: str) -> set[str]:
        self._seal_clear_once()
        with self._backend.transaction() as tx:
            rows = tx.query("SELECT name FROM tenant_secrets WHERE tenant_id = ?", [tenant_id])
        return {str(r[0]) for r in rows}

    def tenants_with(self, name: str) -> set[str]:
        self._seal_clear_once()
        with self._backend.transaction() as tx:
            rows = tx.query("SELECT tenant_id FROM tenant_secrets WHERE name = ?", [name])
        return {str(r[0]) for r in rows}

    # -- platform secrets --------------------------------------------------------------------

    def platform(self, name: str, *, make: Callable[[], str] | None, at: datetime) -> str | None:
        """The platform secret ``name``; when there is none, ``make`` one (None: return None).

        Two processes making it at once store one: the second reads the first's.
        """
        return self._kept("platform_secrets", name, make, at)

    def server_key(self, name: str, *, make: Callable[[], str], at: datetime) -> str:
        """The web server's key ``name`` (the session secret), made with ``make`` on first use;
        every process starting together reads the one the first stored."""
        found = self._kept("server_keys", name, make, at)
        assert found is not None  # made when missing
        return found

    def _kept(
        self, table: str, name: str, make: Callable[[], str] | None, at: datetime
    ) -> str | None:
        self._seal_clear_once()
        context = _context(table, "", name)
        with self._backend.transaction() as tx:
            rows = tx.query(f"SELECT value FROM {table} WHERE name = ?", [name])
            if not rows and make is not None:
                sealed = seal(self._sealing_key(), make(), context)
                tx.insert_rows(table, ("name", "value", _STAMPS[table]), [(name, sealed, at)],
                               skip_existing="name")  # fmt: skip
                rows = tx.query(f"SELECT value FROM {table} WHERE name = ?", [name])
        if not rows:
            return None
        return self._open(str(rows[0][0]), context)

    # -- keys --------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """The key in use (source, where, id; never the key) and how the stored secrets are kept."""
        key = self.keyring.find()
        sealed_with: dict[str, int] = {}
        clear = 0
        for _table, _, _, value in self._rows():
            kid = key_id_of(value)
            if kid is None:
                clear += 1
            else:
                sealed_with[kid] = sealed_with.get(kid, 0) + 1
        return {
            "key_source": key.source.value if key else None,
            "key_where": key.where if key else None,
            "key_id": key.key_id if key else None,
            "sealed": sum(sealed_with.values()),
            "in_clear": clear,
            "sealed_with": sealed_with,
            "key_opens_all": set(sealed_with) <= ({key.key_id} if key else set()),
        }

    def seal_clear(self) -> int:
        """Seal every value stored in clear (by a matrix from before sealing); how many."""
        with self._backend.transaction() as tx:
            found = self._rows(tx, where=_PLAIN)
            if found:
                key = self._sealing_key()
                for table, tenant_id, name, value in found:
                    self._update(tx, table, tenant_id, name, value,
                                 seal(key, value, _context(table, tenant_id, name)))  # fmt: skip
        self._checked = True
        return len(found)

    def rotate(self, new_key_text: str) -> Rotation:
        """Reseal every secret under the key ``new_key_text``, all or nothing. An embedded store
        whose key is its key file gets the new key written there; otherwise MATRIX_SECRET_KEY
        must be set to the new key before the store is used again.

        Raises:
            ConfigError: the new key is malformed, or the current key does not open the stored
                secrets.
        """
        new = SecretKey(material=parse_key(new_key_text, "The new key"),
                        source=KeySource.SETTING, where=SETTING)  # fmt: skip
        old = self.keyring.find()
        key_file = self.keyring.key_file if old is None or old.source is KeySource.FILE else None
        replaced = False
        try:
            with self._backend.transaction() as tx:
                rows = self._rows(tx)
                for table, tenant_id, name, value in rows:
                    context = _context(table, tenant_id, name)
                    plain = self._open(value, context)
                    self._update(tx, table, tenant_id, name, value, seal(new, plain, context))
                if key_file is not None:
                    # Written before the commit: should the commit fail, the old key is put back.
                    text = base64.urlsafe_b64encode(new.material).decode("ascii")
                    write_key_file(key_file, text)
                    replaced = True
        except BaseException:
            if replaced and key_file is not None and old is not None:
                write_key_file(key_file, base64.urlsafe_b64encode(old.material).decode("ascii"))
            raise
        if key_file is not None:
            new = SecretKey(material=new.material, source=KeySource.FILE, where=str(key_file))
        self.keyring.use(new)
        self._checked = True
        return Rotation(old_key_id=old.key_id if old else None, new_key_id=new.key_id,
                        resealed=len(rows), key_file=str(key_file) if key_file else None)  # fmt: skip

    # -- helpers -----------------------------------------------------------------------------

    def _sealing_key(self) -> SecretKey:
        """The key to seal with; a new one is made only for a store that holds no sealed value,
        so that a lost key file is reported instead of silently replaced."""
        if self.keyring.find() is None:
            with self._backend.transaction() as tx:
                for table in _TABLES:
                    rows = tx.query(f"SELECT value FROM {table} WHERE NOT ({_PLAIN}) LIMIT 1")
                    if rows:
                        self._open(str(rows[0][0]), "")  # raises: names the missing key
        return self.keyring.require(make=True)

    def _open(self, value: str, context: str) -> str:
        """The plaintext of a stored value (one stored in clear before sealing, as it is)."""
        if not is_sealed(value):
            return value
        key = self.keyring.find()
        if key is None:
            where = self.keyring.key_file
            raise ConfigError(
                f"The store's secrets are sealed with key {key_id_of(value)}, but {SETTING} is"
                " not set"
                + (f" and there is no key file at {where}" if where else "")
                + f". Set {SETTING} to the key they were sealed with"
                + (" (or restore the key file)." if where else ".")
            )
        return unseal(key, value, context)

    def _seal_clear_once(self) -> None:
        if not self._checked:
            self.seal_clear()

    def _rows(
        self, tx: Tx | None = None, *, where: str = "1 = 1"
    ) -> list[tuple[str, str, str, str]]:
        if tx is None:
            with self._backend.transaction() as own:
                return self._rows(own, where=where)
        rows = [("tenant_secrets", str(t), str(n), str(v))
                for t, n, v in tx.query(f"SELECT tenant_id, name, value FROM tenant_secrets WHERE {where}")]  # fmt: skip
        for table in _STAMPS:
            rows += [(table, "", str(n), str(v))
                     for n, v in tx.query(f"SELECT name, value FROM {table} WHERE {where}")]  # fmt: skip
        return rows

    @staticmethod
    def _update(tx: Tx, table: str, tenant_id: str, name: str, old: str, new: str) -> None:
        # Matching the old value keeps two processes sealing the same row from both writing it.
        if table == "tenant_secrets":
            tx.execute(
                "UPDATE tenant_secrets SET value = ? WHERE tenant_id = ? AND name = ? AND value = ?",
                [new, tenant_id, name, old],
            )
        else:
            tx.execute(f"UPDATE {table} SET value = ? WHERE name = ? AND value = ?",
                       [new, name, old])  # fmt: skip
