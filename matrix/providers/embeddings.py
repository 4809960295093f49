"""Memory's embedders (a local model shipped in its wheel, or OpenAI's embeddings) and which one
serves a tenant.

- :class:`LocalEmbedder`: wordllama's ``l2_supercat`` model at 256 dimensions, whose weights and
  tokenizer ship inside the ``wordllama`` wheel. It is loaded once per process, on first use,
  from the installed package and never from the network. This module is wordllama's only home.
- :class:`OpenAIEmbedder`: the Embeddings API through :meth:`OpenAIProvider.embed
  <matrix.providers.openai.OpenAIProvider.embed>` (the SDK's one home), with the model of
  ``MATRIX_MEMORY_EMBEDDING_MODEL``; never the tenant's chat model.
- :func:`select_embedder` and :class:`EmbedderSelector`: the mode (``MATRIX_MEMORY_EMBEDDING_MODE``,
  or a tenant's own) decides, and keys and base URLs follow :mod:`matrix.providers.select`'s rule:
  the tenant's base URL only with the tenant's key, checked at every connection; the platform key
  only to the platform's base URL.

Every vector is L2-normalised, and a vector is compared only with vectors of the same ``model``.
No embedder falls back to another on failure: vectors of two models cannot be compared, so a
failure is a :class:`~matrix.errors.ProviderError` and the caller searches by keywords alone.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matrix.config import EMBEDDING_MODES, Settings
from matrix.errors import ConfigError, ProviderError
from matrix.memory.ports import Embedder
from matrix.providers.base import TenantAI, Usage, provider_error
from matrix.providers.select import base_url_for, guard_for

if TYPE_CHECKING:
    from matrix.providers.openai import OpenAIProvider

LOCAL_MODEL = "wordllama-l2-supercat-256"
LOCAL_DIMENSION = 256
OPENAI_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
"""The documented length of each OpenAI model's vectors (without ``dimensions``), until the
first answer tells."""
OPENAI_BATCH = 256
"""Texts per Embeddings API request (the API takes at most 2,048 and 300,000 tokens)."""


@dataclass(frozen=True, kw_only=True)
class Embedded:
    """The vectors of one :meth:`embed_with_usage` call, what it cost, and how long it took."""

    vectors: list[list[float]]
    usage: Usage = field(default_factory=Usage)
    latency_ms: int = 0


class LocalEmbedder:
    """wordllama's 256-dimension model, offline; the same vectors on every machine.

    wordllama averages the embeddings of a text's tokens. A text with no token (the empty string)
    averages to the zero vector, which wordllama's own normalisation turns into NaN; here it stays
    the zero vector, the one vector that is not of unit length (its similarity to anything is 0).
    A whitespace-only text has a token and gets an ordinary unit vector.
    """

    model = LOCAL_MODEL
    dimension = LOCAL_DIMENSION
    remote = False
    provider = "local"
    last_usage: Usage | None = None
    """Always None: no provider is called and nothing is billed."""

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One unit vector of 256 floats per text, in order; ``[]`` for no text.

        Raises:
            ProviderError: ``local_embed_unavailable``: the model's files are missing from the
                installed ``wordllama`` package.
        """
        return self.embed_with_usage(texts).vectors

    def embed_with_usage(self, texts: Sequence[str]) -> Embedded:
        """:meth:`embed`, with a zero usage and the latency (the shape :class:`OpenAIEmbedder`
        returns)."""
        start = time.perf_counter()
        items = list(texts)
        if not items:
            return Embedded(vectors=[])
        raw = _wordllama().embed(items, norm=False)
        vectors, _ = _unit_rows(raw)
        return Embedded(vectors=vectors, latency_ms=_ms_since(start))


class OpenAIEmbedder:
    """OpenAI's embeddings of ``model`` (``text-embedding-3-small`` unless the settings say
    otherwise), normalised.

    ``model`` is ``openai:<model>``; ``provider_model`` is the bare name (what usage is priced
    by). ``dimension`` is the documented length for a known model (1536 for -3-small and ada-002,
    3072 for -3-large; 0 for another) until the first answer, then the length the API returned;
    an answer of another length after that is ``openai_embed_invalid_payload``.

    Usage: :meth:`embed_with_usage` returns the tokens and latency of its call with the vectors
    (:class:`Embedded`), for a ``provider_call`` telemetry row; after :meth:`embed`,
    :attr:`last_usage` holds the usage of the calling thread's latest call.

    An empty string is not sent (the API refuses it): its vector is the zero vector.
    """

    remote = True
    provider = "openai"

    def __init__(self, client: OpenAIProvider) -> None:
        """``client``: an OpenAI provider whose ``model`` is the embedding model, built with the
        tenant's guard for a base URL the tenant set, exactly as for chat."""
        self._client = client
        model = client.model
        self.provider_model = model
        self.model = f"openai:{model}"
        self.dimension = OPENAI_DIMENSIONS.get(model, 0)
        self._learned = False
        self._lock = threading.Lock()
        self._local = threading.local()

    @property
    def last_usage(self) -> Usage | None:
        """The usage of this thread's latest :meth:`embed` call (None before one)."""
        usage: Usage | None = getattr(self._local, "usage", None)
        return usage

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One unit vector per text, in order; ``[]`` for no text, without a request.

        Raises:
            ProviderError: ``openai_embed_...`` (see :meth:`OpenAIProvider.embed
                <matrix.providers.openai.OpenAIProvider.embed>`), or ``openai_base_url_refused``.
        """
        return self.embed_with_usage(texts).vectors

    def embed_with_usage(self, texts: Sequence[str]) -> Embedded:
        """:meth:`embed`, with the tokens counted (``usage.input``) and the latency of the whole
        call (every request it took, :data:`OPENAI_BATCH` texts each)."""
        start = time.perf_counter()
        items = list(texts)
        sent = [t for t in items if t]
        got: list[list[float]] = []
        tokens = 0
        for i in range(0, len(sent), OPENAI_BATCH):
            vectors, usage = self._client.embed(
                sent[i : i + OPENAI_BATCH], model=self.provider_model
            )
            got += vectors
            tokens += usage.input
        if got:
            self._check_dimension(len(got[0]))
        unit, zero = _unit_rows(got)
        if zero:
            raise provider_error(
                "openai_embed_invalid_payload", f"embedding {zero[0]} is the zero vector"
            )
        answers = iter(unit)
        vectors = [next(answers) if t else [0.0] * self.dimension for t in items]
        usage = Usage(input=tokens)
        self._local.usage = usage
        return Embedded(vectors=vectors, usage=usage, latency_ms=_ms_since(start))

    def _check_dimension(self, length: int) -> None:
        with self._lock:
            if not self._learned:
                self.dimension, self._learned = length, True
            elif length != self.dimension:
                raise provider_error(
                    "openai_embed_invalid_payload",
                    f"{self.provider_model} returned vectors of {length} floats, earlier ones"
                    f" of {self.dimension}",
                )


def embedding_mode(settings: Settings, mode: str | None = None) -> str:
    """The mode that applies: ``mode`` (a tenant's) unless it is None or ``auto``, else the
    platform's ``MATRIX_MEMORY_EMBEDDING_MODE`` (as ``provider.mode`` defers to the platform's).

    Raises:
        ConfigError: ``mode`` is not one of :data:`~matrix.config.EMBEDDING_MODES`.
    """
    if mode is not None and mode not in EMBEDDING_MODES:
        raise ConfigError(
            f"The memory embedding mode {mode!r} is not one of {list(EMBEDDING_MODES)}; set one"
            " of them (the platform's is MATRIX_MEMORY_EMBEDDING_MODE)."
        )
    return mode if mode not in (None, "auto") else settings.memory_embedding_mode


def select_embedder(
    settings: Settings, tenant: TenantAI, mode: str | None = None
) -> Embedder | None:
    """The embedder for one tenant under ``mode`` (see :func:`embedding_mode`).

    - ``auto``: OpenAI with the tenant's key (its base URL, guarded), else with the platform key
      (the platform's base URL), else :class:`LocalEmbedder`. OpenAI's failures raise: there is
      no fallback to the local model, whose vectors are of another model.
    - ``openai``: the same keys in the same order, and no key is an error.
    - ``local``: :class:`LocalEmbedder`, whatever the keys.
    - ``off``: None (memory searches by keywords alone).

    Raises:
        ConfigError: an unknown ``mode``.
        ProviderError: ``openai_not_configured``: mode ``openai`` and no key.
    """
    chosen = embedding_mode(settings, mode)
    match chosen:
        case "off":
            return None
        case "local":
            return LocalEmbedder()
        case "openai" | "auto":
            key = tenant.api_key or settings.openai_api_key
            if key:
                from matrix.providers.openai import OpenAIProvider

                return OpenAIEmbedder(OpenAIProvider(
                    api_key=key, model=settings.memory_embedding_model,
                    base_url=base_url_for(settings, tenant),
                    timeout=settings.provider_timeout_seconds, guard=guard_for(settings, tenant),
                ))  # fmt: skip
            if chosen == "auto":
                return LocalEmbedder()
            raise ProviderError(
                "openai_not_configured: the memory embedding mode is openai, and neither the"
                " tenant nor the platform has an OpenAI key; set the tenant's key or"
                " MATRIX_OPENAI_API_KEY, or set MATRIX_MEMORY_EMBEDDING_MODE to auto or local.",
                code="openai_not_configured",
                provider="openai",
            )
    raise ConfigError(
        f"MATRIX_MEMORY_EMBEDDING_MODE={chosen!r} is not one of {list(EMBEDDING_MODES)}."
    )


class EmbedderSelector:
    """The embedders for each tenant, bound to the platform settings (what memory gets).

    An embedder is kept per (tenant setting, mode), so an HTTP client and the dimension it learned
    are built once, not on every turn; a selection that fails (``openai_not_configured``) is
    tried again next time.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._cache: dict[tuple[TenantAI, str], Embedder | None] = {}
        self._lock = threading.Lock()

    def __call__(self, tenant: TenantAI | None, mode: str | None = None) -> Embedder | None:
        tenant = tenant or TenantAI()
        chosen = embedding_mode(self.settings, mode)
        key = (tenant, chosen)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        built = select_embedder(self.settings, tenant, chosen)
        with self._lock:
            if len(self._cache) > 256:
                self._cache.clear()
            return self._cache.setdefault(key, built)


# -- the local model -------------------------------------------------------------------------

_MODEL: Any = None
_MODEL_LOCK = threading.Lock()


def _wordllama() -> Any:
    """The process's one wordllama model, loaded on first use (by one thread; the others wait)."""
    global _MODEL
    if _MODEL is None:
        with _MODEL_LOCK:
            if _MODEL is None:
                _MODEL = _load_wordllama()
    return _MODEL


def _load_wordllama() -> Any:
    """wordllama's shipped model, from the installed package only.

    Its plain ``load()`` looks in ``~/.cache/wordllama`` and downloads what it misses; the
    package's own folder as the cache, with downloads disabled, keeps it offline. Importing
    wordllama calls ``logging.basicConfig(level=INFO)``, which would print every library's INFO
    records to stderr from then on: the root logger is put back as it was.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        import wordllama
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    try:
        return wordllama.WordLlama.load(
            cache_dir=Path(wordllama.__file__).parent, disable_download=True
        )
    except (OSError, ValueError) as exc:
        raise ProviderError(
            f"local_embed_unavailable: the local embedding model could not be loaded ({exc});"
            " reinstall matrix (pip install --force-reinstall wordllama), or set"
            " MATRIX_MEMORY_EMBEDDING_MODE=off.",
            code="local_embed_unavailable",
            provider="local",
        ) from None


def _unit_rows(rows: Any) -> tuple[list[list[float]], list[int]]:
    """``rows`` scaled to unit length, as Python floats, and the indexes of the rows that were
    zero (left zero, never NaN)."""
    import numpy as np

    matrix = np.asarray(rows, dtype=np.float64)
    if matrix.size == 0:
        return [], []
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
    zero = [int(i) for i in np.flatnonzero(norms[:, 0] == 0)]
    return unit.tolist(), zero


def _ms_since(start: float) -> int:
    return int((time.perf_counter() - start) * 1000)
