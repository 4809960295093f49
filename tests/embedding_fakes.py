"""A deterministic stand-in for an embedding model and the selector that hands it out: the test
double of an embedding adapter (``matrix.memory.ports.Embedder``), for the memory tests."""

from __future__ import annotations

import hashlib
import math
import threading
from collections.abc import Sequence

from matrix.errors import ProviderError


class FakeEmbedder:
    """A deterministic stand-in for an embedding model: each term of a text adds to one of
    ``dimension`` buckets (by its hash), and the sum is normalised. Texts sharing words are
    close; it can be told to fail, or to answer one text with a vector of its own."""

    def __init__(self, model: str = "fake-a", dimension: int = 16, *, remote: bool = False) -> None:
        self.model, self.dimension, self.remote = model, dimension, remote
        self.calls: list[list[str]] = []
        self.fail: ProviderError | None = None
        self.answers: dict[str, list[float]] = {}
        self.started = threading.Event()
        self.release: threading.Event | None = None

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        self.started.set()
        if self.release is not None:
            self.release.wait()
        if self.fail is not None:
            raise self.fail
        return [self.answers.get(t) or self._vector(t) for t in texts]

    def _vector(self, text: str) -> list[float]:
        out = [0.0] * self.dimension
        for word in text.lower().replace(".", " ").split():
            digest = int(hashlib.sha256(f"{self.model}:{word}".encode()).hexdigest(), 16)
            out[digest % self.dimension] += 1.0 if digest % 2 else -1.0
        norm = math.sqrt(sum(x * x for x in out)) or 1.0
        return [x / norm for x in out]


class Embedders:
    """The selector: the tenant's embedder is whatever ``current`` is (None: none)."""

    def __init__(self, current: FakeEmbedder | None = None) -> None:
        self.current = current
        self.modes: list[str | None] = []

    def __call__(self, tenant: object, mode: str | None = None) -> FakeEmbedder | None:
        self.modes.append(mode)
        return None if mode == "off" else self.current
