"""The real openai client over HTTP against the fake server on 127.0.0.1: success and failures."""

from __future__ import annotations

import pytest

from matrix.config import Settings
from matrix.errors import ProviderError
from matrix.providers import ProviderRequest, TenantAI, sanitize, select_provider
from matrix.providers.openai import OpenAIProvider
from matrix.providers.select import Selector
from matrix.testing.openai_server import Behavior, OpenAIServer

KEY = "sk-tenant-0123456789abcdefSECRET"
REQUEST = ProviderRequest(
    tenant_id="acme", text="Agendar reunião com a Ana", instructions="Be brief."
)


def _provider(server: OpenAIServer, timeout: float = 2.0) -> OpenAIProvider:
    return OpenAIProvider(
        api_key=KEY, model="gpt-5-mini", base_url=server.base_url, timeout=timeout, max_retries=0
    )


def test_responses_api_success_with_usage(openai_server: OpenAIServer) -> None:
    out = _provider(openai_server).respond(REQUEST)
    assert out.provider == "openai" and out.model == "gpt-5-mini" and out.text
    assert out.usage.input > 0 and out.usage.output > 0 and out.usage.reasoning > 0
    assert openai_server.count("responses") == 1 and openai_server.count("chat") == 0
    assert openai_server.requests[0]["authorization"] == f"Bearer {KEY}"


def test_http_error_on_responses_falls_back_to_chat(openai_server: OpenAIServer) -> None:
    openai_server.script("responses", Behavior(status=500))
    out = _provider(openai_server).respond(REQUEST)
    assert out.text and openai_server.count("chat") == 1


@pytest.mark.parametrize(
    ("responses", "chat", "codes"),
    [
        (
            Behavior(status=503),
            Behavior(status=502),
            ("openai_responses_http_503", "openai_response_http_502"),
        ),
        (
            Behavior(body='{"id": "x"}'),
            Behavior(body='{"choices": []}'),
            ("openai_responses_invalid_payload", "openai_response_invalid_payload"),
        ),
        (
            Behavior(body="not json at all"),
            Behavior(body="{"),
            ("openai_responses_invalid_payload", "openai_response_invalid_payload"),
        ),
        (
            Behavior(delay=1.5),
            Behavior(delay=1.5),
            ("openai_responses_timeout", "openai_response_timeout"),
        ),
    ],
    ids=["http-errors", "malformed", "not-json", "timeouts"],
)
def test_both_endpoints_failing_is_a_typed_error(
    openai_server: OpenAIServer, responses: Behavior, chat: Behavior, codes: tuple[str, str]
) -> None:
    openai_server.script("responses", responses)
    openai_server.script("chat", chat)
    with pytest.raises(ProviderError) as info:
        _provider(openai_server, timeout=0.5).respond(REQUEST)
    assert info.value.code == "openai_all_endpoints_failed"
    assert codes[0] in str(info.value) and codes[1] in str(info.value)
    assert KEY not in str(info.value)


def test_strict_mode_with_a_tenant_key_raises(openai_server: OpenAIServer) -> None:
    settings = Settings.load(provider_mode="auto")
    provider, strict = select_provider(
        settings, TenantAI(api_key=KEY, base_url=openai_server.base_url)
    )
    assert strict
    # The SDK retries once, so each endpoint fails twice.
    openai_server.script("responses", Behavior(status=500), Behavior(status=500))
    openai_server.script("chat", Behavior(status=500), Behavior(status=500))
    with pytest.raises(ProviderError):
        provider.respond(REQUEST)


def test_auto_mode_with_platform_key_falls_back_to_local(openai_server: OpenAIServer) -> None:
    settings = Settings.load(
        provider_mode="auto", openai_api_key=KEY, openai_base_url=openai_server.base_url
    )
    provider, strict = select_provider(settings, TenantAI())
    assert not strict
    assert provider.respond(REQUEST).provider == "openai"
    openai_server.script("responses", Behavior(status=429), Behavior(status=429))
    openai_server.script("chat", Behavior(status=429), Behavior(status=429))
    out = provider.respond(REQUEST)
    assert out.provider == "local" and out.fallback_reason == "fallback:openai_all_endpoints_failed"


def test_platform_key_never_goes_to_a_tenant_base_url(openai_server: OpenAIServer) -> None:
    settings = Settings.load(
        provider_mode="openai", openai_api_key=KEY, openai_base_url=openai_server.base_url
    )
    with OpenAIServer() as tenants_server:
        tenant = TenantAI(base_url=tenants_server.base_url)
        provider, _ = select_provider(settings, tenant)
        provider.respond(REQUEST)
        Selector(settings).audio(tenant).speech("Olá")
        assert tenants_server.requests == []
    assert openai_server.count("responses") == 1 and openai_server.count("speech") == 1


def test_auto_without_any_key_is_local_and_says_why() -> None:
    provider, strict = select_provider(Settings.load(provider_mode="auto"), TenantAI())
    out = provider.respond(REQUEST)
    assert (out.provider, out.fallback_reason, strict) == ("local", "fallback:no_openai_key", False)


def test_openai_mode_without_a_key_is_a_clear_error() -> None:
    with pytest.raises(ProviderError, match="openai_api_key_missing"):
        select_provider(Settings.load(provider_mode="openai"), TenantAI())


def test_off_mode_answers_operation_accepted() -> None:
    provider, _ = select_provider(Settings.load(provider_mode="off"), TenantAI())
    out = provider.respond(REQUEST)
    assert (out.text, out.provider, out.model, out.fallback_reason) == (
        "Operation accepted.",
        "none",
        None,
        "off_mode",
    )


def test_wrong_key_is_reported_without_the_key() -> None:
    with (
        OpenAIServer(api_key="sk-the-right-one-123456") as server,
        pytest.raises(ProviderError) as info,
    ):
        _provider(server).respond(REQUEST)
    assert "openai_invalid_api_key" in str(info.value) and KEY not in str(info.value)


def test_transcription_and_speech(openai_server: OpenAIServer) -> None:
    provider = _provider(openai_server)
    text, _ = provider.transcribe(b"\x00\x01audio", filename="note.webm", mime_type="audio/webm")
    assert text
    audio, _ = provider.speech("Olá", speed=9.0)
    assert audio.startswith(b"ID3")
    openai_server.script("speech", Behavior(status=500))
    with pytest.raises(ProviderError) as info:
        provider.speech("Olá")
    assert info.value.code == "owner_audio_speech_error"


def test_embeddings_through_the_real_client(openai_server: OpenAIServer) -> None:
    import openai

    client = openai.OpenAI(api_key=KEY, base_url=openai_server.base_url, max_retries=0)
    result = client.embeddings.create(
        model="text-embedding-3-small", input=["a", "b"], dimensions=32
    )
    assert [len(d.embedding) for d in result.data] == [32, 32]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("Incorrect API key provided: sk-abc12345678", "openai_invalid_api_key"),
        ("upstream said sk-proj-AAAABBBBCCCC was bad", "upstream said sk-*** was bad"),
        ("", "provider_error"),
        ("x" * 300, "x" * 220 + "..."),
    ],
)
def test_sanitize(raw: str, shown: str) -> None:
    assert sanitize(raw) == shown
