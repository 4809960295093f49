"""OpenAI's embeddings through the real SDK over HTTP against the fake server on 127.0.0.1:
vectors, usage, every failure as a coded ProviderError, and where a key may go."""

from __future__ import annotations

import json
import math

import pytest

from matrix import addresses
from matrix.config import Settings
from matrix.errors import ProviderError
from matrix.providers import embeddings
from matrix.providers.base import TenantAI
from matrix.providers.embeddings import OpenAIEmbedder, select_embedder
from matrix.providers.openai import OpenAIProvider
from matrix.testing.openai_server import Behavior, OpenAIServer

KEY = "sk-tenant-0123456789abcdefSECRET"
PLATFORM_KEY = "sk-platform-0123456789abcdefSECRET"
MODEL = "text-embedding-3-small"


def _embedder(server: OpenAIServer, *, timeout: float = 2.0, model: str = MODEL) -> OpenAIEmbedder:
    return OpenAIEmbedder(
        OpenAIProvider(
            api_key=KEY, model=model, base_url=server.base_url, timeout=timeout, max_retries=0
        )
    )


def _norm(vector: list[float]) -> float:
    return math.sqrt(math.fsum(x * x for x in vector))


def _body(*vectors: object, index: list[object] | None = None) -> str:
    order = index if index is not None else list(range(len(vectors)))
    data = [{"object": "embedding", "index": i, "embedding": v} for i, v in zip(order, vectors, strict=True)]  # fmt: skip
    return json.dumps({"object": "list", "data": data, "model": MODEL,
                       "usage": {"prompt_tokens": 3, "total_tokens": 3}})  # fmt: skip


def test_vectors_model_dimension_and_usage(openai_server: OpenAIServer) -> None:
    embedder = _embedder(openai_server)
    assert (embedder.model, embedder.dimension) == ("openai:text-embedding-3-small", 1536)
    out = embedder.embed_with_usage(["our accountant is Rui", "who does my books?"])
    assert len(out.vectors) == 2 and out.vectors[0] != out.vectors[1]
    assert all(len(v) == 64 and _norm(v) == pytest.approx(1.0) for v in out.vectors)
    assert embedder.dimension == 64  # the fake server's length: the answer wins
    assert out.usage.input == 8 and out.usage.output == 0 and out.latency_ms >= 0
    (request,) = openai_server.requests
    assert request["endpoint"] == "embeddings" and request["authorization"] == f"Bearer {KEY}"
    assert request["json"] == {
        "model": MODEL, "input": ["our accountant is Rui", "who does my books?"],
        "encoding_format": "float",
    }  # fmt: skip


def test_embed_records_the_usage_of_its_call(openai_server: OpenAIServer) -> None:
    embedder = _embedder(openai_server)
    assert embedder.last_usage is None
    vectors = embedder.embed(["one two three"])
    assert len(vectors) == 1 and embedder.last_usage is not None
    assert embedder.last_usage.input == 3


def test_vectors_are_normalised_and_put_back_in_input_order(openai_server: OpenAIServer) -> None:
    openai_server.script("embeddings", Behavior(body=_body([0.0, 2.0], [3.0, 4.0], index=[1, 0])))
    assert _embedder(openai_server).embed(["a", "b"]) == [[0.6, 0.8], [0.0, 1.0]]


def test_no_text_makes_no_request_and_an_empty_string_is_not_sent(
    openai_server: OpenAIServer,
) -> None:
    embedder = _embedder(openai_server)
    assert embedder.embed([]) == [] and openai_server.requests == []
    first, empty = embedder.embed(["hello", ""])
    assert empty == [0.0] * 64 and _norm(first) == pytest.approx(1.0)
    assert openai_server.requests[0]["json"]["input"] == ["hello"]


def test_many_texts_go_in_batches_and_their_usage_adds_up(
    openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embeddings, "OPENAI_BATCH", 2)
    texts = [f"text number {i}" for i in range(5)]
    out = _embedder(openai_server).embed_with_usage(texts)
    assert [len(r["json"]["input"]) for r in openai_server.requests] == [2, 2, 1]
    assert out.usage.input == 15
    alone = _embedder(openai_server).embed([texts[3]])[0]
    assert out.vectors[3] == alone


@pytest.mark.parametrize("status", [400, 401, 429, 500, 503])
def test_an_http_error_is_coded_by_its_status(openai_server: OpenAIServer, status: int) -> None:
    openai_server.script("embeddings", Behavior(status=status, error_message=f"boom {KEY}"))
    with pytest.raises(ProviderError) as info:
        _embedder(openai_server).embed(["hello"])
    assert info.value.code == f"openai_embed_http_{status}" and info.value.provider == "openai"
    assert KEY not in str(info.value)


def test_the_sdk_retries_once_by_default(openai_server: OpenAIServer) -> None:
    openai_server.script("embeddings", Behavior(status=500))
    embedder = OpenAIEmbedder(
        OpenAIProvider(api_key=KEY, model=MODEL, base_url=openai_server.base_url)
    )
    assert len(embedder.embed(["hello"])) == 1 and openai_server.count("embeddings") == 2


def test_a_slow_answer_is_a_timeout(openai_server: OpenAIServer) -> None:
    openai_server.script("embeddings", Behavior(delay=1.5))
    with pytest.raises(ProviderError) as info:
        _embedder(openai_server, timeout=0.3).embed(["hello"])
    assert info.value.code == "openai_embed_timeout"


MALFORMED = {
    "not-json": ("not json at all", "body is not JSON"),
    "no-data": ('{"object": "list"}', "expected 2 embeddings, got a NoneType"),
    "data-not-a-list": ('{"data": "vectors"}', "expected 2 embeddings, got a str"),
    "too-few": (_body([1.0, 0.0]), "expected 2 embeddings, got 1 items"),
    "too-many": (_body([1.0], [0.0], [1.0]), "expected 2 embeddings, got 3 items"),
    "nan": (_body([float("nan"), 1.0], [1.0, 0.0]), "embedding 0 holds nan, not a finite number"),
    "infinity": (_body([1.0, 0.0], [float("inf"), 1.0]), "embedding 1 holds inf, not a finite number"),
    "a-string": (_body([1.0, 0.0], "AAAAAAAA"), "embedding 1 is not a non-empty list of numbers"),
    "empty-vector": (_body([], []), "embedding 0 is not a non-empty list of numbers"),
    "not-numbers": (_body([1.0, "x"], [1.0, 0.0]), "embedding 0 holds str, not a number"),
    "ragged": (_body([1.0, 0.0], [1.0, 0.0, 0.0]), "embeddings of different lengths [2, 3]"),
    "same-index": (_body([1.0, 0.0], [0.0, 1.0], index=[0, 0]), "two embeddings have index 0"),
    "index-out-of-range": (_body([1.0, 0.0], [0.0, 1.0], index=[0, 2]), "embedding 1 has index 2"),
    "zero-vector": (_body([0.0, 0.0], [0.0, 1.0]), "embedding 0 is the zero vector"),
}  # fmt: skip


@pytest.mark.parametrize(("body", "reason"), MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_answer_is_an_invalid_payload(
    openai_server: OpenAIServer, body: str, reason: str
) -> None:
    openai_server.script("embeddings", Behavior(body=body))
    with pytest.raises(ProviderError) as info:
        _embedder(openai_server).embed(["first", "second"])
    assert info.value.code == "openai_embed_invalid_payload"
    assert str(info.value) == f"openai_embed_invalid_payload: {reason}"


def test_an_answer_of_another_length_than_the_first_is_an_invalid_payload(
    openai_server: OpenAIServer,
) -> None:
    embedder = _embedder(openai_server)
    embedder.embed(["hello"])
    openai_server.script("embeddings", Behavior(body=_body([1.0, 0.0])))
    with pytest.raises(ProviderError) as info:
        embedder.embed(["hello"])
    assert str(info.value) == (
        "openai_embed_invalid_payload: text-embedding-3-small returned vectors of 2 floats,"
        " earlier ones of 64"
    )
    assert embedder.dimension == 64


def test_the_provider_method_returns_the_vectors_as_the_model_sent_them(
    openai_server: OpenAIServer,
) -> None:
    """The SDK call's home: unnormalised, with the tokens counted."""
    openai_server.script("embeddings", Behavior(body=_body([3.0, 4.0])))
    provider = OpenAIProvider(api_key=KEY, model=MODEL, base_url=openai_server.base_url)
    vectors, usage = provider.embed(["hello"], model=MODEL)
    assert vectors == [[3.0, 4.0]] and usage.input == 3


# -- where a key goes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "base_url",
    ["https://169.254.169.254/v1", "https://10.0.0.7/v1", "https://[fe80::1]/v1",
     "https://192.168.1.20/v1", "https://rebound.example.com/v1"],
)  # fmt: skip
def test_a_tenant_base_url_inside_the_network_is_refused_before_any_connection(
    base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(addresses, "resolve", lambda host, port: {"rebound.example.com": ["10.0.0.5"]}[host])  # fmt: skip
    settings = Settings.load(allow_loopback_urls=False, memory_embedding_mode="auto")
    embedder = select_embedder(settings, TenantAI(api_key=KEY, base_url=base_url))
    assert embedder is not None
    with pytest.raises(ProviderError) as info:
        embedder.embed(["hello"])
    assert info.value.code == "openai_base_url_refused"
    assert "a tenant's key is never sent there" in str(info.value) and KEY not in str(info.value)


def test_a_tenant_base_url_on_this_machine_is_reached_only_when_allowed(
    openai_server: OpenAIServer,
) -> None:
    tenant = TenantAI(api_key=KEY, base_url=openai_server.base_url)
    refused = select_embedder(Settings.load(allow_loopback_urls=False), tenant, "openai")
    assert refused is not None
    with pytest.raises(ProviderError) as info:
        refused.embed(["hello"])
    assert info.value.code == "openai_base_url_refused" and openai_server.requests == []
    allowed = select_embedder(Settings.load(allow_loopback_urls=True), tenant, "openai")
    assert allowed is not None and len(allowed.embed(["hello"])) == 1
    assert openai_server.requests[0]["authorization"] == f"Bearer {KEY}"


def test_the_platform_key_goes_only_to_the_platform_base_url(openai_server: OpenAIServer) -> None:
    settings = Settings.load(
        openai_api_key=PLATFORM_KEY, openai_base_url=openai_server.base_url,
        memory_embedding_mode="auto",
    )  # fmt: skip
    with OpenAIServer() as tenants_server:
        embedder = select_embedder(settings, TenantAI(base_url=tenants_server.base_url))
        assert embedder is not None and len(embedder.embed(["hello"])) == 1
        assert tenants_server.requests == []
        own = select_embedder(settings, TenantAI(api_key=KEY, base_url=tenants_server.base_url))
        assert own is not None and len(own.embed(["hello"])) == 1
        assert tenants_server.requests[0]["authorization"] == f"Bearer {KEY}"
    assert [r["authorization"] for r in openai_server.requests] == [f"Bearer {PLATFORM_KEY}"]


def test_the_request_names_the_embedding_model_never_the_tenants_chat_model(
    openai_server: OpenAIServer,
) -> None:
    settings = Settings.load(memory_embedding_model="text-embedding-3-large")
    tenant = TenantAI(api_key=KEY, base_url=openai_server.base_url, model="gpt-5-mini")
    embedder = select_embedder(settings, tenant)
    assert embedder is not None and embedder.model == "openai:text-embedding-3-large"
    embedder.embed(["hello"])
    assert openai_server.requests[0]["json"]["model"] == "text-embedding-3-large"
