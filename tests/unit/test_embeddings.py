"""Memory's embedders: the local model (offline, deterministic, unit vectors) and which embedder
a tenant gets in each mode."""

from __future__ import annotations

import logging
import math
import socket
import threading

import pytest

from matrix.config import Settings
from matrix.errors import ConfigError, ProviderError
from matrix.providers import embeddings
from matrix.providers.base import TenantAI
from matrix.providers.embeddings import (
    EmbedderSelector,
    LocalEmbedder,
    OpenAIEmbedder,
    select_embedder,
)
from matrix.providers.openai import OpenAIProvider

KEY = "sk-tenant-0123456789abcdefSECRET"
PLATFORM_KEY = "sk-platform-0123456789abcdefSECRET"


def _cosine(a: list[float], b: list[float]) -> float:
    return math.fsum(x * y for x, y in zip(a, b, strict=True))


def _norm(vector: list[float]) -> float:
    return math.sqrt(math.fsum(x * x for x in vector))


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """No connection and no name lookup at all (not even to this machine); the model is
    dropped, so that the test loads it afresh under the guard. Yields the attempts."""
    attempts: list[object] = []

    def refuse(*args: object, **_kwargs: object) -> None:
        attempts.append(args)
        raise OSError("the network is off in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(embeddings, "_MODEL", None)
    return attempts


def test_local_embedder_loads_and_embeds_with_the_network_off(offline: list[object]) -> None:
    vectors = LocalEmbedder().embed(["our accountant is Rui", "agendar reunião com a Ana"])
    assert len(vectors) == 2 and all(len(v) == 256 for v in vectors)
    assert offline == []


def test_local_embedder_vectors_are_unit_python_floats_of_its_dimension() -> None:
    embedder = LocalEmbedder()
    assert (embedder.model, embedder.dimension, embedder.remote) == (
        "wordllama-l2-supercat-256", 256, False,
    )  # fmt: skip
    vectors = embedder.embed(["Invoice 42 is overdue.", "Olá!", " ", "😀 日本語"])
    for vector in vectors:
        assert len(vector) == 256 and all(type(x) is float for x in vector)
        assert _norm(vector) == pytest.approx(1.0, abs=1e-9)


def test_local_embedder_is_deterministic_and_independent_of_the_batch() -> None:
    texts = ["the client prefers email", "a much longer sentence about the dentist on friday"]
    first = LocalEmbedder().embed(texts)
    assert LocalEmbedder().embed(texts) == first
    alone = LocalEmbedder().embed([texts[0]])[0]
    assert alone == pytest.approx(first[0], abs=1e-6)


def test_local_embedder_no_text_is_no_vector_and_the_empty_string_is_the_zero_vector() -> None:
    assert LocalEmbedder().embed([]) == []
    empty, word = LocalEmbedder().embed(["", "hello"])
    assert empty == [0.0] * 256  # wordllama's own normalisation makes this NaN
    assert not any(math.isnan(x) for x in empty) and _norm(word) == pytest.approx(1.0)


# A bag of token vectors: it finds shared and related words, not inference ("who does my books?"
# and "our accountant is Rui" score 0.00, no closer than an unrelated sentence), so each case says
# one thing in other words.
CLOSER = [
    ("my dentist appointment is on friday", "I see the dentist this Friday", "we sell shoes online"),
    ("our accountant is Rui", "Rui handles our bookkeeping and taxes", "the cat sleeps on the sofa"),
    ("the client prefers to be contacted by email",
     "send this customer messages by e-mail, not phone", "the invoice is overdue by two weeks"),
    ("invoice 42 is overdue", "the bill number 42 has not been paid yet",
     "Ana likes hiking in the mountains"),
]  # fmt: skip


@pytest.mark.parametrize(("anchor", "paraphrase", "unrelated"), CLOSER)
def test_local_embedder_puts_a_paraphrase_closer_than_an_unrelated_sentence(
    anchor: str, paraphrase: str, unrelated: str
) -> None:
    a, p, u = LocalEmbedder().embed([anchor, paraphrase, unrelated])
    assert _cosine(a, p) > _cosine(a, u) + 0.2


def test_loading_the_local_model_leaves_the_root_logger_as_it_was(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """wordllama configures the root logger when imported; that must not outlive the load."""
    import sys

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    monkeypatch.setattr(embeddings, "_MODEL", None)
    monkeypatch.delitem(sys.modules, "wordllama", raising=False)
    for name in [m for m in sys.modules if m.startswith("wordllama.")]:
        monkeypatch.delitem(sys.modules, name)
    level = root.level
    LocalEmbedder().embed(["hello"])
    assert root.handlers == [] and root.level == level


def test_the_local_model_is_loaded_once_for_every_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[int] = []
    real = embeddings._load_wordllama

    def counted() -> object:
        loads.append(1)
        return real()

    monkeypatch.setattr(embeddings, "_MODEL", None)
    monkeypatch.setattr(embeddings, "_load_wordllama", counted)
    results: list[list[list[float]]] = []
    threads = [
        threading.Thread(target=lambda: results.append(LocalEmbedder().embed(["hi"])))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert loads == [1] and len(results) == 8 and all(r == results[0] for r in results)


def test_a_missing_model_file_is_a_provider_error_that_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import wordllama

    def missing(**_kwargs: object) -> None:
        raise FileNotFoundError("Weights file 'l2_supercat_256.safetensors' not found")

    monkeypatch.setattr(embeddings, "_MODEL", None)
    monkeypatch.setattr(wordllama.WordLlama, "load", missing)
    with pytest.raises(ProviderError) as info:
        LocalEmbedder().embed(["hi"])
    assert info.value.code == "local_embed_unavailable"
    assert "MATRIX_MEMORY_EMBEDDING_MODE=off" in str(info.value)


# -- which embedder ----------------------------------------------------------------------------

TENANT_URL = "https://tenant.example.com/v1"
# (platform mode, tenant key, platform key, the tenant's mode) -> the embedder's model, or None
# for off, or the error code.
MODES = [
    ("auto", True, True, None, "openai:text-embedding-3-small"),
    ("auto", False, True, None, "openai:text-embedding-3-small"),
    ("auto", False, False, None, "wordllama-l2-supercat-256"),
    ("auto", True, False, None, "openai:text-embedding-3-small"),
    ("openai", True, False, None, "openai:text-embedding-3-small"),
    ("openai", False, True, None, "openai:text-embedding-3-small"),
    ("openai", False, False, None, "openai_not_configured"),
    ("local", True, True, None, "wordllama-l2-supercat-256"),
    ("off", True, True, None, None),
    ("off", False, False, "local", "wordllama-l2-supercat-256"),
    ("off", True, False, "auto", None),
    ("local", True, False, "openai", "openai:text-embedding-3-small"),
    ("local", False, False, "openai", "openai_not_configured"),
    ("auto", True, True, "off", None),
    ("openai", False, False, "local", "wordllama-l2-supercat-256"),
]  # fmt: skip


@pytest.mark.parametrize(("platform", "tenant_key", "platform_key", "mode", "expected"), MODES)
def test_select_embedder_by_mode_and_keys(
    platform: str, tenant_key: bool, platform_key: bool, mode: str | None, expected: str | None
) -> None:
    settings = Settings.load(
        memory_embedding_mode=platform, openai_api_key=PLATFORM_KEY if platform_key else ""
    )
    tenant = TenantAI(api_key=KEY if tenant_key else None, base_url=TENANT_URL, model="gpt-5-mini")
    if expected == "openai_not_configured":
        with pytest.raises(ProviderError) as info:
            select_embedder(settings, tenant, mode)
        assert info.value.code == expected
        assert "MATRIX_OPENAI_API_KEY" in str(info.value)
        assert "MATRIX_MEMORY_EMBEDDING_MODE" in str(info.value)
        return
    embedder = select_embedder(settings, tenant, mode)
    assert (embedder.model if embedder else None) == expected


def test_the_openai_embedder_takes_the_embedding_model_setting_not_the_chat_model() -> None:
    settings = Settings.load(memory_embedding_model="text-embedding-3-large", openai_model="gpt-5")
    embedder = select_embedder(settings, TenantAI(api_key=KEY, model="gpt-5-mini"))
    assert isinstance(embedder, OpenAIEmbedder)
    assert (embedder.model, embedder.provider_model, embedder.dimension) == (
        "openai:text-embedding-3-large", "text-embedding-3-large", 3072,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("model", "dimension"),
    [("text-embedding-3-small", 1536), ("text-embedding-ada-002", 1536), ("acme-embed", 0)],
)
def test_the_openai_dimension_before_any_answer_is_the_documented_one(
    model: str, dimension: int
) -> None:
    client = OpenAIProvider(api_key=KEY, model=model, base_url="https://api.openai.com/v1")
    embedder = OpenAIEmbedder(client)
    assert embedder.dimension == dimension and embedder.remote and embedder.last_usage is None


def test_an_unknown_mode_is_refused_by_name_with_the_allowed_values() -> None:
    with pytest.raises(ConfigError) as info:
        select_embedder(Settings.load(), TenantAI(), "vectors")
    assert str(info.value) == (
        "The memory embedding mode 'vectors' is not one of ['auto', 'openai', 'local', 'off'];"
        " set one of them (the platform's is MATRIX_MEMORY_EMBEDDING_MODE)."
    )


@pytest.mark.parametrize("how", ["argument", "env"])
def test_an_unknown_platform_mode_is_a_config_error_naming_the_variable(how: str) -> None:
    with pytest.raises(ConfigError) as info:
        if how == "env":
            Settings.load(env={"MATRIX_MEMORY_EMBEDDING_MODE": "bm25"})
        else:
            Settings.load(memory_embedding_mode="bm25")
    assert str(info.value) == (
        "MATRIX_MEMORY_EMBEDDING_MODE='bm25' is not one of ['auto', 'openai', 'local', 'off']."
    )


def test_the_embedding_settings_default_to_auto_and_text_embedding_3_small() -> None:
    settings = Settings.load(env={})
    assert (settings.memory_embedding_mode, settings.memory_embedding_model) == (
        "auto", "text-embedding-3-small",
    )  # fmt: skip
    settings = Settings.load(env={"MATRIX_MEMORY_EMBEDDING_MODEL": "text-embedding-3-large",
                                  "MATRIX_MEMORY_EMBEDDING_MODE": "local"})  # fmt: skip
    assert (settings.memory_embedding_mode, settings.memory_embedding_model) == (
        "local", "text-embedding-3-large",
    )  # fmt: skip
    assert settings.sources["memory_embedding_mode"] == "env MATRIX_MEMORY_EMBEDDING_MODE"


def test_the_selector_keeps_one_embedder_per_tenant_setting_and_mode() -> None:
    choose = EmbedderSelector(Settings.load(memory_embedding_mode="auto"))
    tenant = TenantAI(api_key=KEY)
    first = choose(tenant)
    assert isinstance(first, OpenAIEmbedder)
    assert choose(TenantAI(api_key=KEY)) is first
    assert choose(tenant, "auto") is first  # a tenant's auto is the platform's mode
    assert choose(TenantAI(api_key="sk-other-0123456789abcdef")) is not first
    assert isinstance(choose(tenant, "local"), LocalEmbedder)
    assert choose(tenant, "off") is None


def test_the_selector_does_not_keep_a_failed_selection() -> None:
    settings = Settings.load(memory_embedding_mode="openai")
    choose = EmbedderSelector(settings)
    for _ in range(2):
        with pytest.raises(ProviderError):
            choose(TenantAI())
    assert isinstance(choose(TenantAI(api_key=KEY)), OpenAIEmbedder)
