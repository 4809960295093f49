"""Tenant runtime config: the origin's shape and defaults, validated, with secrets kept apart.

A saved config is normalised field by field: a field missing from the update keeps its stored
value, else its default. A value out of its range is refused, never clamped nor replaced by the
default, so an invalid update leaves the stored config as it was. A URL the tenant's key is sent
to (``openai.base_url``, ``integrations.crm_evolution.base_url``) must be HTTPS to a public host
(:mod:`matrix.addresses`; this machine too when ``allow_loopback``); names are resolved and
checked again at every connection. Secrets (the OpenAI key, the Evolution API key) are split out: they are
stored apart, never returned, and omitting one on update keeps the stored one; an empty string
clears it. Confirmations default to **on**; only an explicit ``false`` turns them off.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from matrix import addresses, brand, values
from matrix.approvals import (
    DEFAULT_MAX_PENDING,
    DEFAULT_TTL_SECONDS,
    MAX_PENDING_CAP,
    TTL_CAP_SECONDS,
)
from matrix.config import DEFAULT_MODEL, PROVIDER_MODES
from matrix.errors import PolicyError, UsageError
from matrix.issues import Issues
from matrix.policy.rules import parse_policy, parse_routing

WHATSAPP_AI_MODES = ("suggest_only", "assist_execute")
SECRET_FIELDS = {
    ("openai", "api_key"): "openai.api_key",
    ("integrations", "crm_evolution", "api_key"): "crm_evolution.api_key",
    ("integrations", "crm_evolution", "webhook_secret"): "crm_evolution.webhook_secret",
}

PALETTES = brand.palettes()  # the origin consoles' brand palettes (matrix.brand)

DEFAULTS: dict[str, Any] = {
    "provider": {"mode": "auto"},
    "openai": {
        "model": DEFAULT_MODEL,
        "base_url": None,
        "vision_enabled": True,
        "voice_enabled": True,
        "image_generation_enabled": True,
        "image_read_enabled": True,
        "temperature": None,
        "fallback_models": None,
    },
    "personas": {"owner_concierge_prompt": "", "whatsapp_agent_prompt": ""},
    "execution": {
        "confirmations_enabled": True,
        "max_pending_confirmations": DEFAULT_MAX_PENDING,
        "confirmation_ttl_seconds": DEFAULT_TTL_SECONDS,
        "whatsapp_ai_enabled": True,
        "whatsapp_ai_mode": "assist_execute",
        "whatsapp_ai_min_confidence": 0.7,
        "followup_max_daily": None,
    },
    "agent": {
        "max_message_chars": 320,
        "emoji_policy": None,
        "cta_enabled": None,
        "handoff_codes": None,
        "required_fields": None,
    },
    "memory": {"rag_enabled": True},
    "privacy": {"pii_redaction": False},
    "modules": {"enabled": None},
    "ai_budget": {"monthly_usd": None},
    "brand": {"palette": "darkgreen", "scheme": None, "colours": None, "layout": None},
    "integrations": {
        "crm_evolution": {
            "base_url": "",
            "instance_id": "default",
            "auto_reply_enabled": False,
            "auto_reply_use_ai": False,
            "auto_reply_text": "Recebemos sua mensagem e responderemos em breve.",
        }
    },
    "policy": {"routing": None, "execution": None},
}

_BOOLEANS = {
    ("openai", "vision_enabled"), ("openai", "voice_enabled"),
    ("openai", "image_generation_enabled"), ("openai", "image_read_enabled"),
    ("execution", "confirmations_enabled"), ("execution", "whatsapp_ai_enabled"),
    ("integrations", "crm_evolution", "auto_reply_enabled"),
    ("integrations", "crm_evolution", "auto_reply_use_ai"),
    ("memory", "rag_enabled"), ("privacy", "pii_redaction"),
}  # fmt: skip
_PROMPT_LIMIT = 12_000


def _walk(tree: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for key, value in tree.items():
        path = (*prefix, key)
        paths += _walk(value, path) if isinstance(value, dict) else [path]
    return paths


_KNOWN = (
    set(_walk(DEFAULTS)) | set(SECRET_FIELDS) | {("policy", "routing"), ("policy", "execution")}
)


def _get(tree: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(tree, dict) or key not in tree:
            return _MISSING
        tree = tree[key]
    return tree


def set_path(tree: dict[str, Any], path: Sequence[str], value: Any) -> None:
    """Put ``value`` at ``path`` in a nested dict, making the dicts on the way."""
    for key in path[:-1]:
        tree = tree.setdefault(key, {})
    tree[path[-1]] = value


_MISSING = object()


def normalize(
    update: Any, previous: dict[str, Any] | None = None, *, allow_loopback: bool = False
) -> tuple[dict[str, Any], dict[str, str | None]]:
    """Validate an update and merge it over the stored config (else the defaults).

    ``allow_loopback`` lets a URL point at this machine (``MATRIX_ALLOW_LOOPBACK_URLS``).

    Returns:
        The config without secrets, and the secrets to store (None = keep the stored one,
        "" = clear it).

    Raises:
        UsageError: naming every unknown or invalid field and the fix.
    """
    if not isinstance(update, dict):
        raise UsageError('config must be a JSON object, e.g. {"openai": {"model": "gpt-5-mini"}}.')
    issues = Issues()
    for path in _leaf_paths(update):
        if path not in _KNOWN and not any(
            path[: len(k)] == k for k in (("policy", "routing"), ("policy", "execution"))
        ):
            issues.error(".".join(path), f"unknown field {'.'.join(path)}")
    result = copy.deepcopy(previous) if previous else copy.deepcopy(DEFAULTS)
    for path in _walk(DEFAULTS):
        if _get(result, path) is _MISSING:
            set_path(result, path, copy.deepcopy(_get(DEFAULTS, path)))
    secrets: dict[str, str | None] = {name: None for name in SECRET_FIELDS.values()}
    for path, name in SECRET_FIELDS.items():
        value = _get(update, path)
        if value is _MISSING or value is None:
            continue
        if not isinstance(value, str):
            issues.error(".".join(path), f"{'.'.join(path)} must be a string")
            continue
        tokens = value.split()
        secrets[name] = tokens[0] if tokens else ""
    for path in _walk(DEFAULTS):
        value = _get(update, path)
        if value is _MISSING:
            continue
        field = ".".join(path)
        if path in _BOOLEANS:
            if not isinstance(value, bool):
                issues.error(field, f"{field} must be true or false, got {value!r}")
                continue
        elif path == ("provider", "mode"):
            if value not in PROVIDER_MODES:
                issues.error(field, f"{field} must be one of {list(PROVIDER_MODES)}, got {value!r}")
                continue
        elif path == ("brand", "palette"):
            if value not in PALETTES:
                issues.error(field, f"{field} must be one of {list(PALETTES)}, got {value!r}")
                continue
        elif path == ("execution", "whatsapp_ai_mode"):
            if value not in WHATSAPP_AI_MODES:
                issues.error(
                    field, f"{field} must be one of {list(WHATSAPP_AI_MODES)}, got {value!r}"
                )
                continue
        elif path in _CHECKED or path in _NUMBERS:
            try:
                value = (_CHECKED.get(path) or _NUMBERS[path])(value, field)
            except UsageError as exc:
                issues.error(field, str(exc).rstrip("."))
                continue
        elif path[0] == "policy":
            try:
                if value is not None:  # null: back to the shipped rules
                    (parse_routing if path[1] == "routing" else parse_policy)(
                        value, f"tenant policy.{path[1]}"
                    )
            except PolicyError as exc:
                for problem in exc.issues:
                    issues.error(field, problem)
                continue
        elif path in _URLS:
            optional = path == ("openai", "base_url")
            refusal = _url_problem(value, field, allow_loopback, optional=optional)
            if refusal:
                issues.error(field, refusal)
                continue
            url: str | None = value.rstrip("/") if value else None
            value = url if url or optional else ""
        else:
            if not isinstance(value, str):
                issues.error(field, f"{field} must be a string, got {value!r}")
                continue
            value = value.strip()
            if path[0] == "personas" and len(value) > _PROMPT_LIMIT:
                issues.error(
                    field, f"{field} is {len(value)} characters; the limit is {_PROMPT_LIMIT}"
                )
                continue
            if path == ("openai", "model") and not value:
                value = DEFAULT_MODEL
        set_path(result, path, value)
    if not issues.errors and any(_get(update, ("brand", k)) is not _MISSING for k in ("scheme", "colours")):
        b = result["brand"]
        try:  # custom colours and a scheme are checked together, for contrast, over the palette
            brand.resolve(b["palette"], scheme=b["scheme"], colours=b["colours"])
        except UsageError as exc:
            for found in exc.issues:
                issues.error(f"brand.{found.where}", found.message)
    issues.raise_invalid("Invalid runtime config")
    return result, secrets


_NUMBERS: dict[tuple[str, ...], Callable[[Any, str], Any]] = {
    ("execution", "whatsapp_ai_min_confidence"):
        lambda v, f: values.number(v, f, minimum=0, maximum=1, example="0.7"),
    ("execution", "max_pending_confirmations"):
        lambda v, f: values.integer(v, f, minimum=1, maximum=MAX_PENDING_CAP),
    ("execution", "confirmation_ttl_seconds"):
        lambda v, f: values.integer(v, f, minimum=1, maximum=TTL_CAP_SECONDS),
    ("ai_budget", "monthly_usd"):
        lambda v, f: None if v is None else values.number(v, f, minimum=0, example="50 (US dollars), or null"),
}  # fmt: skip
_URLS = {("openai", "base_url"), ("integrations", "crm_evolution", "base_url")}
EMOJI_POLICIES = ("none", "light", "moderate")


def _names(value: Any, field: str) -> list[str] | None:
    """A list of up to 20 short names (or null)."""
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > 20 or not all(
        isinstance(v, str) and 0 < len(v.strip()) <= 80 for v in value
    ):
        raise UsageError(f"{field} must be a list of up to 20 names or null, got {values.shown(value)}")
    return [v.strip() for v in value]


def _choice(options: tuple[str, ...], *, nullable: bool = True) -> Callable[[Any, str], Any]:
    def check(value: Any, field: str) -> Any:
        if (value is None and nullable) or value in options:
            return value
        raise UsageError(f"{field} must be one of {list(options)}{' or null' if nullable else ''}, "
                         f"got {values.shown(value)}")  # fmt: skip

    return check


def _module_names(value: Any, field: str) -> list[str] | None:
    from matrix.modules.registry import specs

    known = [s.name for s in specs()]
    names = _names(value, field)
    unknown = [n for n in names or () if n not in known]
    if unknown:
        raise UsageError(f"{field} names unknown modules {unknown}; the modules are {known}")
    return names


def _optional_bool(value: Any, field: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise UsageError(f"{field} must be true, false or null, got {values.shown(value)}")


def _colours(value: Any, field: str) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    raise UsageError(f"{field} must be an object of colours or null, got {values.shown(value)}")


_CHECKED: dict[tuple[str, ...], Callable[[Any, str], Any]] = {
    ("openai", "temperature"):
        lambda v, f: None if v is None else values.number(v, f, minimum=0, maximum=2, example="0.3"),
    ("openai", "fallback_models"): _names,
    ("execution", "followup_max_daily"):
        lambda v, f: None if v is None else values.integer(v, f, minimum=0, maximum=10_000),
    ("agent", "max_message_chars"): lambda v, f: values.integer(v, f, minimum=50, maximum=2000),
    ("agent", "emoji_policy"): _choice(EMOJI_POLICIES),
    ("agent", "cta_enabled"): _optional_bool,
    ("agent", "handoff_codes"): _names,
    ("agent", "required_fields"): _names,
    ("modules", "enabled"): _module_names,
    ("brand", "scheme"): _choice(brand.SCHEMES),
    ("brand", "colours"): _colours,
    ("brand", "layout"): _choice(("studio", "fabio2")),
}  # fmt: skip


def _url_problem(value: Any, field: str, allow_loopback: bool, *, optional: bool) -> str | None:
    """What is wrong with a URL a tenant's key would be sent to (None: nothing). Empty (or null,
    for ``openai.base_url``) means the platform's."""
    if (value is None and optional) or value == "":
        return None
    if not isinstance(value, str):
        return f"{field} must be an https:// URL{' or null' if optional else ''}, got {values.shown(value)}"
    if "@" in urlsplit(value).netloc:
        # The summary shows the URL: a password in it would be shown with it.
        return (
            f"{field} must not carry credentials; put the key in {field.rsplit('.', 1)[0]}.api_key"
        )
    try:
        addresses.check(value, allow_loopback=allow_loopback, resolver=None, field=field)
    except addresses.AddressRefused as exc:
        return str(exc).rstrip(".")
    return None


def _leaf_paths(tree: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if isinstance(tree, dict) and not tree:
        # An empty known section changes nothing; an empty unknown one is still unknown.
        known = any(path[: len(prefix)] == prefix for path in _KNOWN)
        return [] if known else [prefix] if prefix else []
    if not isinstance(tree, dict):
        return [prefix] if prefix else []
    out: list[tuple[str, ...]] = []
    for key, value in tree.items():
        path = (*prefix, str(key))
        if path in _KNOWN:
            out.append(path)
        else:
            out += _leaf_paths(value, path) if isinstance(value, dict) else [path]
    return out


def changed_kinds(
    before: dict[str, Any] | None, after: dict[str, Any], secrets_changed: bool
) -> dict[str, list[str]]:
    """Which kinds of config changed (prompt, model, policy, runtime), with the field names."""
    before = before or DEFAULTS
    kinds: dict[str, list[str]] = {}
    for path in _walk(DEFAULTS):
        if _get(before, path) == _get(after, path):
            continue
        if path[0] == "personas":
            kind = "prompt"
        elif path[0] == "openai" and path[1] in ("model", "temperature", "fallback_models"):
            kind = "model"
        elif path[0] in ("policy", "modules", "privacy") or path == ("execution", "followup_max_daily"):
            kind = "policy"
        else:
            kind = "runtime"
        kinds.setdefault(kind, []).append(".".join(path))
    if secrets_changed:
        kinds.setdefault("runtime", []).append("secrets")
    return kinds


def summary(
    tenant_id: str, config: dict[str, Any], secret_names: set[str], updated_at: str | None
) -> dict[str, Any]:
    """The origin's runtime-config summary. Secrets appear only as "(configured)" or ""."""
    openai = config["openai"]
    key_set = "openai.api_key" in secret_names
    mode = "openai" if key_set else config["provider"]["mode"]
    evolution = dict(config["integrations"]["crm_evolution"])
    evolution["api_key"] = "(configured)" if "crm_evolution.api_key" in secret_names else ""
    return {
        "tenant_id": tenant_id,
        "status": "ok",
        "runtime": {
            "owner_response_mode": mode,
            "openai_configured": key_set,
            "model": openai["model"],
            "temperature": openai["temperature"],
            "fallback_models": openai["fallback_models"],
        },
        "openai": {
            "api_key_configured": key_set,
            "base_url": openai["base_url"],
            **{
                k: openai[k]
                for k in (
                    "vision_enabled",
                    "voice_enabled",
                    "image_generation_enabled",
                    "image_read_enabled",
                )
            },
        },
        "personas": dict(config["personas"]),
        "execution": dict(config["execution"]),
        "agent": dict(config["agent"]),
        "memory": dict(config["memory"]),
        "privacy": dict(config["privacy"]),
        "modules": dict(config["modules"]),
        "brand": dict(config["brand"]),
        "ai_budget": dict(config.get("ai_budget") or {"monthly_usd": None}),
        "integrations": {"crm_evolution": evolution},
        "policy": {
            "routing": "tenant" if config["policy"]["routing"] else "shipped",
            "execution": "tenant" if config["policy"]["execution"] else "shipped",
        },
        "updated_at": updated_at,
    }
