"""Settings: every knob with its ``MATRIX_*`` variable, default and help.

Resolution order is explicit argument, then environment, then default. ``matrix config show``
prints every setting with where its value came from; secrets inside values (passwords in URLs)
are masked wherever a setting is displayed.

This is the only module that reads or writes the process environment. Code that starts another
process (a notebook kernel, a subprocess) asks for its environment here:
:func:`child_environment` builds a subprocess's variables (with :func:`default_in_child` for a
default the user may override), :func:`export_for_kernels` hands the store, the gate record and
the provider mode to notebook kernels, :func:`matrix_environment` lists the ``MATRIX_*``
variables set, and :func:`running_in_ci` says whether CI is running us.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matrix import paths
from matrix.errors import ConfigError
from matrix.issues import Issues
from matrix.urls import absolute_storage_url, mask_secrets

DEFAULT_MODEL = "gpt-5-mini"
PROVIDER_MODES = ("auto", "openai", "local", "off")
"""The AI provider modes, for the platform (``MATRIX_PROVIDER_MODE``) and each tenant."""
EMBEDDING_MODES = ("auto", "openai", "local", "off")
"""Which embedder serves memory, for the platform (``MATRIX_MEMORY_EMBEDDING_MODE``) and each
tenant."""
DEFAULT_EMBEDDING_MODEL = "text-embedding-3-small"
"""The OpenAI embedding model memory uses (``MATRIX_MEMORY_EMBEDDING_MODEL``)."""
"""The AI model a tenant gets when neither it nor the platform names one."""


@dataclass(frozen=True, kw_only=True)
class Setting:
    """One documented setting."""

    name: str
    env: str
    default: str
    help: str
    kind: type = str
    secret: bool = False
    fallback_env: str = ""
    """A non-``MATRIX_`` variable read when ``env`` is unset (``USER`` for the operator)."""


SETTINGS: tuple[Setting, ...] = (
    Setting(
        name="storage_url",
        env="MATRIX_STORAGE_URL",
        default="duckdb:///var/matrix.duckdb",
        help="Where the operational store lives: duckdb:///path/file.duckdb (embedded, default),"
        " duckdb:///:memory: (tests), or postgresql://user:pass@host:port/db.",
    ),
    Setting(
        name="contracts_dir",
        env="MATRIX_CONTRACTS_DIR",
        default=str(paths.contracts_dir()),
        help="Folder with the JSON Schemas that every command, event and verdict is checked against.",
    ),
    Setting(
        name="reports_dir",
        env="MATRIX_REPORTS_DIR",
        default="reports",
        help="Folder where gate runs write their reports.",
    ),
    Setting(
        name="session_secret",
        env="MATRIX_SESSION_SECRET",
        default="",
        help="Key that signs sign-in cookies: at least 32 random bytes (make one with"
        ' python -c "import secrets; print(secrets.token_urlsafe(48))"); empty generates one'
        " and keeps it in the store, so sign-ins survive a restart.",
        secret=True,
    ),
    Setting(
        name="provider_mode",
        env="MATRIX_PROVIDER_MODE",
        default="auto",
        help="AI provider for tenants without their own key: auto (OpenAI when a key is set,"
        " else local), openai (strict), local (deterministic, offline) or off.",
    ),
    Setting(
        name="openai_api_key",
        env="MATRIX_OPENAI_API_KEY",
        default="",
        help="The platform's OpenAI key, used in auto/openai mode for tenants without their own.",
        secret=True,
    ),
    Setting(
        name="openai_base_url",
        env="MATRIX_OPENAI_BASE_URL",
        default="https://api.openai.com/v1",
        help="Base URL of the OpenAI-compatible API.",
    ),
    Setting(
        name="openai_model",
        env="MATRIX_OPENAI_MODEL",
        default=DEFAULT_MODEL,
        help="Default model when a tenant sets none.",
    ),
    Setting(
        name="provider_timeout_seconds",
        env="MATRIX_PROVIDER_TIMEOUT",
        default="20",
        help="Timeout of one AI provider request, in seconds.",
        kind=float,
    ),
    Setting(
        name="memory_embedding_mode",
        env="MATRIX_MEMORY_EMBEDDING_MODE",
        default="auto",
        help="Which embedder memory's search uses: auto (OpenAI with the tenant's key, else with"
        " the platform key, else the local model), openai (strict), local (a small model shipped"
        " with matrix, offline) or off (keyword search only).",
    ),
    Setting(
        name="memory_embedding_model",
        env="MATRIX_MEMORY_EMBEDDING_MODEL",
        default=DEFAULT_EMBEDDING_MODEL,
        help="The OpenAI embedding model memory uses (not a tenant's chat model).",
    ),
    Setting(
        name="memory_short_turns",
        env="MATRIX_MEMORY_SHORT_TURNS",
        default="20",
        help="Short memory: the turns kept per (tenant, session), the oldest dropped first.",
        kind=int,
    ),
    Setting(
        name="memory_episode_turns",
        env="MATRIX_MEMORY_EPISODE_TURNS",
        default="10",
        help="Medium memory: an episode (with a summary) every this many turns of a session.",
        kind=int,
    ),
    Setting(
        name="memory_recall_tokens",
        env="MATRIX_MEMORY_RECALL_TOKENS",
        default="2000",
        help="The most tokens memory's recall adds to one provider request (facts, the session's"
        " last turns, its episodes).",
        kind=int,
    ),
    Setting(
        name="lock_timeout_seconds",
        env="MATRIX_LOCK_TIMEOUT",
        default="30",
        help="How long a process waits for its turn on an embedded DuckDB store before giving up.",
        kind=float,
    ),
    Setting(
        name="idle_release_seconds",
        env="MATRIX_IDLE_RELEASE",
        default="0.2",
        help="How long an idle process keeps an embedded DuckDB store open before handing it back.",
        kind=float,
    ),
    Setting(
        name="operator",
        env="MATRIX_OPERATOR",
        fallback_env="USER",
        default="operator",
        help="Who is acting, for audit records of CLI changes (default: $USER).",
    ),
    Setting(
        name="debug",
        env="MATRIX_DEBUG",
        default="",
        help="Set to 1 to print a traceback for an unexpected error.",
        kind=bool,
    ),
    Setting(
        name="gate_record",
        env="MATRIX_GATE_RECORD",
        default="",
        help="File a gate notebook's record() calls append to (set by the gate runner for its kernels).",
    ),
    Setting(
        name="gate_postgres_url",
        env="MATRIX_GATE_POSTGRES_URL",
        default="",
        help="PostgreSQL server URL the pre-production gate checks fresh migrations against.",
    ),
    Setting(
        name="evolution_base_url",
        env="MATRIX_EVOLUTION_BASE_URL",
        default="",
        help="The platform's Evolution API (WhatsApp) gateway, for tenants without their own"
        " integrations.crm_evolution; empty leaves their outbound messages queued.",
    ),
    Setting(
        name="evolution_api_key",
        env="MATRIX_EVOLUTION_API_KEY",
        default="",
        help="The API key of the platform's Evolution gateway.",
        secret=True,
    ),
    Setting(
        name="evolution_instance",
        env="MATRIX_EVOLUTION_INSTANCE",
        default="default",
        help="The Evolution instance the platform's gateway sends from.",
    ),
    Setting(
        name="allow_loopback_urls",
        env="MATRIX_ALLOW_LOOPBACK_URLS",
        default="0",
        help="1 lets a tenant's own URLs (openai.base_url, its Evolution gateway) point at this"
        " machine (127.0.0.1, ::1, over HTTP too), for tests and a service beside the server;"
        " private, link-local and metadata addresses are refused either way.",
        kind=bool,
    ),
    Setting(
        name="session_hours",
        env="MATRIX_SESSION_HOURS",
        default="12",
        help="How long a sign-in lasts before the user signs in again.",
        kind=float,
    ),
    Setting(
        name="trusted_proxy",
        env="MATRIX_TRUSTED_PROXY",
        default="0",
        help="1 when the server sits behind one reverse proxy that sets X-Forwarded-For and"
        " X-Forwarded-Proto: the client address and HTTPS are then taken from them.",
        kind=bool,
    ),
    Setting(
        name="api_rate_per_minute",
        env="MATRIX_API_RATE_PER_MINUTE",
        default="1200",
        help="API requests a minute allowed to one token, per server process (bursts up to a"
        " tenth of it); beyond it the API answers 429 with Retry-After. 0 turns the limit off.",
        kind=float,
    ),
    Setting(
        name="api_max_body_kib",
        env="MATRIX_API_MAX_BODY_KIB",
        default="1024",
        help="The largest API request body accepted, in KiB; larger ones are answered 413.",
        kind=float,
    ),
    Setting(
        name="analytics_url",
        env="MATRIX_ANALYTICS_URL",
        default="",
        help="Where metrics run: duckdb:///var/analytics.duckdb (a DuckDB file), parquet:///var/analytics"
        " (date/tenant-partitioned Parquet), clickhouse://user:pass@host:8123/db, or chdb:///folder"
        " (ClickHouse in-process). `matrix analytics sync` (and the scheduler) keep it current."
        " Empty: a DuckDB store is its own analytics engine; a PostgreSQL store needs one.",
    ),
    Setting(
        name="analytics_sync_seconds",
        env="MATRIX_ANALYTICS_SYNC_SECONDS",
        default="30",
        help="How often `matrix serve` and `matrix worker` sync the analytics store, in seconds.",
        kind=float,
    ),
    Setting(
        name="analytics_pause_at",
        env="MATRIX_ANALYTICS_PAUSE_AT",
        default="",
        help="For crash tests only: after_rows:MARKER makes a sync stop for good after writing a"
        " batch's rows and before recording its watermark, writing MARKER when it gets there.",
    ),
    Setting(
        name="secret_key",
        env="MATRIX_SECRET_KEY",
        default="",
        help="The key that encrypts tenant secrets and the API token pepper in the store: 32 random"
        " bytes in URL-safe base64 (make one with `matrix secrets new-key`). Required for"
        " PostgreSQL; when empty, an embedded DuckDB file uses a key file made beside it"
        " (<store>.key) on first use.",
        secret=True,
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Resolved settings. Build with :meth:`Settings.load`."""

    storage_url: str
    contracts_dir: Path
    reports_dir: Path
    lock_timeout_seconds: float
    idle_release_seconds: float
    provider_mode: str = "auto"
    openai_api_key: str = ""
    openai_base_url: str = "https://api.openai.com/v1"
    openai_model: str = DEFAULT_MODEL
    provider_timeout_seconds: float = 20.0
    memory_embedding_mode: str = "auto"
    memory_embedding_model: str = DEFAULT_EMBEDDING_MODEL
    memory_short_turns: int = 20
    memory_episode_turns: int = 10
    memory_recall_tokens: int = 2000
    session_secret: str = ""
    operator: str = "operator"
    debug: bool = False
    gate_record: str = ""
    gate_postgres_url: str = ""
    evolution_base_url: str = ""
    evolution_api_key: str = ""
    evolution_instance: str = "default"
    allow_loopback_urls: bool = False
    session_hours: float = 12.0
    trusted_proxy: bool = False
    secret_key: str = ""
    analytics_url: str = ""
    analytics_sync_seconds: float = 30.0
    analytics_pause_at: str = ""
    api_rate_per_minute: float = 1200.0
    api_max_body_kib: float = 1024.0
    sources: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **explicit: Any) -> Settings:
        """Resolve every setting: explicit keyword arguments, then ``env``, then defaults.

        Raises:
            ConfigError: an unknown keyword, or a value of the wrong kind (named with its
                variable and the fix).
        """
        env = os.environ if env is None else env
        unknown = set(explicit) - set(_BY_NAME)
        if unknown:
            raise ConfigError(f"Unknown setting {sorted(unknown)[0]!r}; known: {sorted(_BY_NAME)}.")
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}
        issues = Issues()
        for setting in SETTINGS:
            if explicit.get(setting.name) is not None:
                raw, source = explicit[setting.name], "argument"
            elif env.get(setting.env, "") != "":
                raw, source = env[setting.env], f"env {setting.env}"
            elif setting.fallback_env and env.get(setting.fallback_env, "") != "":
                raw, source = env[setting.fallback_env], f"env {setting.fallback_env}"
            else:
                raw, source = setting.default, "default"
            try:
                values[setting.name] = _convert(setting, raw)
            except ConfigError as exc:  # collected: every wrong setting is named at once
                issues.error(setting.env, str(exc))
                values[setting.name] = _convert(setting, setting.default)
            sources[setting.name] = source
        if issues.errors:
            raise ConfigError(" ".join(i.message for i in issues.errors))
        return cls(
            storage_url=str(values["storage_url"]),
            contracts_dir=Path(values["contracts_dir"]),
            reports_dir=Path(values["reports_dir"]),
            lock_timeout_seconds=values["lock_timeout_seconds"],
            idle_release_seconds=values["idle_release_seconds"],
            provider_mode=_choice(values["provider_mode"], "MATRIX_PROVIDER_MODE", PROVIDER_MODES),
            openai_api_key=str(values["openai_api_key"]).strip().split(" ")[0]
            if values["openai_api_key"]
            else "",
            openai_base_url=str(values["openai_base_url"]).rstrip("/"),
            openai_model=str(values["openai_model"]) or DEFAULT_MODEL,
            provider_timeout_seconds=values["provider_timeout_seconds"],
            memory_embedding_mode=_choice(
                values["memory_embedding_mode"], "MATRIX_MEMORY_EMBEDDING_MODE", EMBEDDING_MODES
            ),
            memory_embedding_model=str(values["memory_embedding_model"]).strip()
            or DEFAULT_EMBEDDING_MODEL,
            memory_short_turns=values["memory_short_turns"],
            memory_episode_turns=values["memory_episode_turns"],
            memory_recall_tokens=values["memory_recall_tokens"],
            session_secret=str(values["session_secret"]),
            operator=str(values["operator"]),
            debug=values["debug"],
            gate_record=str(values["gate_record"]),
            gate_postgres_url=str(values["gate_postgres_url"]),
            evolution_base_url=str(values["evolution_base_url"]).rstrip("/"),
            evolution_api_key=str(values["evolution_api_key"]).strip(),
            evolution_instance=str(values["evolution_instance"]) or "default",
            allow_loopback_urls=values["allow_loopback_urls"],
            session_hours=values["session_hours"],
            trusted_proxy=values["trusted_proxy"],
            secret_key=str(values["secret_key"]).strip(),
            api_rate_per_minute=values["api_rate_per_minute"],
            api_max_body_kib=values["api_max_body_kib"],
            analytics_url=str(values["analytics_url"]).strip(),
            analytics_sync_seconds=values["analytics_sync_seconds"],
            analytics_pause_at=str(values["analytics_pause_at"]),
            sources=sources,
        )

    @property
    def api_max_body_bytes(self) -> int:
        return int(self.api_max_body_kib * 1024)

    def __repr__(self) -> str:
        shown = [
            f"{s.name}={'***' if s.secret and getattr(self, s.name) else getattr(self, s.name)!r}"
            for s in SETTINGS
        ]
        return f"Settings({', '.join(shown)})"

    def describe(self) -> list[dict[str, str]]:
        """Every setting as display rows (name, env, value with secrets masked, source, help)."""
        rows = []
        for setting in SETTINGS:
            value = getattr(self, setting.name)
            if setting.secret:
                value = "(set)" if value else ""
            rows.append(
                {
                    "name": setting.name,
                    "env": setting.env,
                    "value": mask_secrets(str(value)),
                    "source": self.sources.get(setting.name, "default"),
                    "help": setting.help,
                }
            )
        return rows


def _choice(value: str, env: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigError(f"{env}={value!r} is not one of {list(allowed)}.")
    return value


def _convert(setting: Setting, raw: Any) -> Any:
    if setting.kind is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("", "0", "false", "no", "off"):
            return False
        if text in ("1", "true", "yes", "on"):
            return True
        raise ConfigError(f"{setting.env}={raw!r} is not a yes/no value; use 1 or 0.")
    if setting.kind in (int, float):
        whole = setting.kind is int
        try:
            number = int(str(raw).strip()) if whole else float(raw)
        except (TypeError, ValueError):
            raise ConfigError(
                f"{setting.env}={raw!r} is not a {'whole number' if whole else 'number'}; set it"
                f" like {setting.env}={setting.default}."
            ) from None
        if number < (1 if whole else 0):
            raise ConfigError(
                f"{setting.env}={raw!r} must be {'at least 1' if whole else 'not be negative'}."
            )
        return number
    return str(raw)


# The process environment (subprocesses, CI) lives in matrix.environment; its names stay
# importable from here.
from matrix.environment import (  # noqa: E402
    child_environment,
    default_in_child,
    export_for_kernels,
    export_for_workers,
    matrix_environment,
    running_in_ci,
)

__all__ = [  # kept importable from here, where they were
    "absolute_storage_url", "child_environment", "default_in_child", "export_for_kernels",
    "export_for_workers", "mask_secrets", "matrix_environment", "running_in_ci",
]  # fmt: skip
