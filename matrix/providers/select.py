"""Which provider answers for a tenant: tenant key → strict OpenAI; else the mode decides. A
tenant with its own key also gets an intent classifier (the rules route for everyone else).

- A tenant with its own OpenAI key gets the ``openai`` provider in **strict** mode: a failure is a
  ProviderError, never a silent local answer.
- Otherwise the tenant's ``provider.mode`` applies when it is not ``auto``, else the platform's
  ``MATRIX_PROVIDER_MODE``: ``off``, ``local``, ``openai`` (strict, the platform key), or ``auto``
  (the platform key when set, falling back to local on any failure, with the reason recorded).
- A tenant's ``openai.base_url`` is used only with the tenant's own key: the platform key goes
  to the platform's base URL and nowhere else, so a tenant cannot have it sent to a server of
  its choosing. That URL is checked again at every connection, after DNS
  (:mod:`matrix.providers.guard`): only a public HTTPS host, or this machine when
  ``MATRIX_ALLOW_LOOPBACK_URLS`` allows it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from matrix.concierge.ports import AudioProvider, IntentClassifier
from matrix.config import Settings
from matrix.errors import ProviderError
from matrix.providers.base import AssistantOutput, Provider, ProviderRequest, TenantAI
from matrix.providers.guard import Guard
from matrix.providers.local import LocalProvider, OffProvider


class FallbackProvider:
    """Try ``primary``; on a ProviderError answer with ``fallback`` and say why."""

    def __init__(self, primary: Provider, fallback: Provider) -> None:
        self.primary = primary
        self.fallback = fallback
        self.name = primary.name

    def respond(self, request: ProviderRequest) -> AssistantOutput:
        try:
            return self.primary.respond(request)
        except ProviderError as exc:
            out = self.fallback.respond(request)
            return AssistantOutput(
                text=out.text, provider=out.provider, model=out.model, latency_ms=out.latency_ms,
                usage=out.usage, attachments=out.attachments, fallback_reason=f"fallback:{exc.code}",
            )  # fmt: skip


class _Tagged:
    """A provider whose outputs carry a fixed fallback reason (auto mode without a key)."""

    def __init__(self, inner: Provider, reason: str) -> None:
        self.inner = inner
        self.reason = reason
        self.name = inner.name

    def respond(self, request: ProviderRequest) -> AssistantOutput:
        out = self.inner.respond(request)
        return AssistantOutput(
            text=out.text, provider=out.provider, model=out.model, latency_ms=out.latency_ms,
            usage=out.usage, attachments=out.attachments, fallback_reason=self.reason,
        )  # fmt: skip


class Selector:
    """The providers for each tenant, bound to the platform settings (what the concierge gets).

    Providers are kept per tenant setting, so an HTTP client (and its connection pool) is built
    once, not on every message.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._cache: dict[tuple[str, TenantAI], Any] = {}

    def __call__(self, tenant: TenantAI) -> Provider:
        provider: Provider = self._cached(
            "respond", tenant, lambda: select_provider(self.settings, tenant)[0]
        )
        return provider

    def classifier(self, tenant: TenantAI) -> IntentClassifier | None:
        """The intent classifier of a tenant with its own OpenAI key; None without one (the
        routing rules alone route)."""
        from matrix.providers.openai import OpenAIProvider

        if not tenant.api_key:
            return None
        provider = self(tenant)  # the tenant's strict OpenAI provider: one client for both
        return provider if isinstance(provider, OpenAIProvider) else None

    def structured(self, tenant: TenantAI) -> tuple[IntentClassifier | None, bool]:
        """The OpenAI model that answers a tenant's structured requests (Persona 2's drafts and
        stage suggestions), and whether its failure surfaces (strict: the tenant's own key, or
        the platform in ``openai`` mode) rather than falling back to the offline rules. None for
        a tenant served locally or not at all."""
        from matrix.providers.openai import OpenAIProvider

        provider = self(tenant)
        primary = provider.primary if isinstance(provider, FallbackProvider) else provider
        if not isinstance(primary, OpenAIProvider):
            return None, False
        return primary, not isinstance(provider, FallbackProvider)

    def audio(self, tenant: TenantAI) -> AudioProvider:
        """OpenAI with the tenant's key, else the platform's; no key is ``openai_not_configured``."""
        from matrix.providers.openai import OpenAIProvider

        key = tenant.api_key or self.settings.openai_api_key
        base_url = base_url_for(self.settings, tenant)
        if not key:
            raise ProviderError(
                "openai_not_configured: audio needs an OpenAI key (the tenant's or"
                " MATRIX_OPENAI_API_KEY).",
                code="openai_not_configured",
                provider="openai",
            )
        audio: AudioProvider = self._cached("audio", tenant, lambda: OpenAIProvider(
            api_key=key, model=tenant.model or self.settings.openai_model,
            base_url=base_url, timeout=self.settings.provider_timeout_seconds,
            guard=guard_for(self.settings, tenant),
        ))  # fmt: skip
        return audio

    def _cached(self, kind: str, tenant: TenantAI, build: Callable[[], Any]) -> Any:
        if (kind, tenant) not in self._cache:
            if len(self._cache) > 256:
                self._cache.clear()
            self._cache[(kind, tenant)] = build()
        return self._cache[(kind, tenant)]


def selector(settings: Settings) -> Selector:
    """The provider selector for these platform settings."""
    return Selector(settings)


def select_provider(settings: Settings, tenant: TenantAI) -> tuple[Provider, bool]:
    """The provider for one tenant, and whether it is strict (errors surface)."""
    from matrix.providers.openai import OpenAIProvider

    model = tenant.model or settings.openai_model
    base_url = base_url_for(settings, tenant)
    timeout = settings.provider_timeout_seconds
    if tenant.api_key:
        return OpenAIProvider(
            api_key=tenant.api_key,
            model=model,
            base_url=base_url,
            timeout=timeout,
            guard=guard_for(settings, tenant),
            fallback_models=tenant.fallback_models,
            temperature=tenant.temperature,
        ), True
    mode = tenant.mode if tenant.mode != "auto" else settings.provider_mode
    match mode:
        case "off":
            return OffProvider(), False
        case "local":
            return LocalProvider(), False
        case "openai":
            return (
                OpenAIProvider(
                    api_key=settings.openai_api_key, model=model, base_url=base_url,
                    timeout=timeout, fallback_models=tenant.fallback_models,
                    temperature=tenant.temperature,
                ),
                True,
            )
        case _:
            if not settings.openai_api_key:
                return _Tagged(LocalProvider(), "fallback:no_openai_key"), False
            primary = OpenAIProvider(
                api_key=settings.openai_api_key, model=model, base_url=base_url, timeout=timeout,
                fallback_models=tenant.fallback_models, temperature=tenant.temperature,
            )
            return FallbackProvider(primary, LocalProvider()), False


def guard_for(settings: Settings, tenant: TenantAI) -> Guard | None:
    """The check on every connection to the tenant's own base URL (None for the platform's)."""
    if tenant.api_key and tenant.base_url:
        return Guard(allow_loopback=settings.allow_loopback_urls, field="openai.base_url")
    return None


def base_url_for(settings: Settings, tenant: TenantAI) -> str:
    """The tenant's base URL with its own key; the platform's for the platform key."""
    if tenant.api_key and tenant.base_url:
        return tenant.base_url
    return settings.openai_base_url
