"""The OpenAI provider, through the official ``openai`` SDK (the only module that imports it).

The Responses API is tried first; on any failure the Chat Completions API is tried once; when
both fail the error carries both reasons (``openai_all_endpoints_failed``). Timeouts and the
SDK's own retries are configured per client. Every error is a ProviderError with a sanitised
message: the key never leaves this module.

Intent classification asks the Responses API once for structured output (a strict JSON Schema)
and returns the JSON it got, unchecked against the schema: the caller checks it, and routes by
its rules when anything fails, so the call neither retries nor tries a second endpoint.

Embeddings (:meth:`OpenAIProvider.embed`) are one call to the Embeddings API, whose answer is
checked here (one finite vector per text, all of one length); :mod:`matrix.providers.embeddings`
wraps it as memory's embedder.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import openai

from matrix.addresses import AddressRefused
from matrix.concierge.ports import IntentOutput, IntentRequest
from matrix.errors import ProviderError
from matrix.providers.base import AssistantOutput, ProviderRequest, Usage, provider_error
from matrix.providers.guard import Guard

REFUSED = "openai_base_url_refused"
"""The code of a request refused before it left: the tenant's base URL is not a public host."""


class OpenAIProvider:
    name = "openai"

    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        base_url: str,
        timeout: float = 20.0,
        max_retries: int = 1,
        guard: Guard | None = None,
        fallback_models: Sequence[str] = (),
        temperature: float | None = None,
    ) -> None:
        """``guard``: given for a base URL the tenant set, so that every connection is checked
        after DNS (:mod:`matrix.providers.guard`); the platform's own URL goes unchecked.
        ``fallback_models`` answer, in order, when ``model`` fails on both endpoints;
        ``temperature`` is sent with every reply (None: the model's default)."""
        if not api_key:
            raise provider_error(
                "openai_api_key_missing", "set the tenant's OpenAI key or MATRIX_OPENAI_API_KEY."
            )
        self.model = model
        self.fallback_models = tuple(m for m in fallback_models if m != model)
        self.temperature = temperature
        self._key = api_key
        self._client = openai.OpenAI(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            http_client=_guarded_client(guard) if guard else None,
        )

    def respond(self, request: ProviderRequest) -> AssistantOutput:
        """The reply of the first model that answers: ``model``, then each fallback model; the
        output names the model that answered and says when it was a fallback."""
        start = time.perf_counter()
        failure: ProviderError | None = None
        for model in (self.model, *self.fallback_models):
            try:
                text, usage = self._answer(request, model)
            except ProviderError as exc:
                if exc.code == REFUSED:  # every model is behind the same address
                    raise
                failure = failure or exc
                continue
            latency = int((time.perf_counter() - start) * 1000)
            reason = f"fallback_model:{failure.code}" if failure else None
            return AssistantOutput(text=text, provider="openai", model=model, latency_ms=latency,
                                   usage=usage, fallback_reason=reason)  # fmt: skip
        assert failure is not None
        raise failure

    def _answer(self, request: ProviderRequest, model: str) -> tuple[str, Usage]:
        """One model's reply: the Responses API, else Chat Completions once."""
        try:
            return self._responses(request, model)
        except ProviderError as first:
            if first.code == REFUSED:  # the other endpoint is at the same address
                raise
            try:
                return self._chat(request, model)
            except ProviderError as second:
                raise ProviderError(  # both parts are sanitised already; keep them whole
                    f"openai_all_endpoints_failed: {first}|{second}",
                    code="openai_all_endpoints_failed",
                    provider="openai",
                ) from None

    def classify(self, request: IntentRequest) -> IntentOutput:
        """The model's JSON answer to an intent request (structured output).

        Raises:
            ProviderError: ``openai_classify_...``: an HTTP error, a timeout, or an answer that is
                not a JSON object.
        """
        start = time.perf_counter()
        client = self._client.with_options(max_retries=0)
        response = self._call(
            "openai_classify",
            lambda: client.responses.create(
                model=self.model,
                instructions=request.instructions,
                input=[{"role": "user", "content": [{"type": "input_text", "text": request.text}]}],
                text={
                    "format": {
                        "type": "json_schema",
                        "name": request.schema_name,
                        "schema": request.schema,
                        "strict": True,
                    }
                },
            ),
        )
        try:
            data = json.loads(_text_of_response(response))
        except ValueError:
            raise provider_error("openai_classify_invalid_payload", "output is not JSON") from None
        if not isinstance(data, dict):
            raise provider_error("openai_classify_invalid_payload", "output is not a JSON object")
        return IntentOutput(
            data=data, provider="openai", model=self.model,
            latency_ms=int((time.perf_counter() - start) * 1000),
            usage=_usage(response, prompt="input", completion="output"),
        )  # fmt: skip

    def embed(self, texts: Sequence[str], *, model: str) -> tuple[list[list[float]], Usage]:
        """One vector per text from the Embeddings API ``model``, in the order of ``texts``, as
        the model returned it (not normalised), and the tokens it counted (``Usage.input``).

        Floats are asked for (``encoding_format="float"``) rather than the SDK's default base64,
        so that the body read here is the one the tests' server sends. The API refuses an empty
        string, and more than 2,048 texts or 300,000 tokens in one call: the caller sends fewer.

        Raises:
            ProviderError: ``openai_embed_http_<status>``, ``openai_embed_timeout``,
                ``openai_embed_error``, ``openai_base_url_refused``, or
                ``openai_embed_invalid_payload`` (a body that is not JSON, not one vector per
                text, or a vector that is empty, of another length than the others, or holds
                something other than a finite number).
        """
        response = self._call(
            "openai_embed",
            lambda: self._client.embeddings.create(
                model=model, input=list(texts), encoding_format="float"
            ),
        )
        return _vectors_of(response, len(texts)), _usage(
            response, prompt="prompt", completion="completion"
        )

    def _call(self, prefix: str, call: Callable[[], Any]) -> Any:
        """Run one SDK call, turning every failure into a ProviderError coded ``<prefix>_...``."""
        try:
            return call()
        except AddressRefused as exc:
            raise _refused(exc) from None
        except openai.APIStatusError as exc:
            raise provider_error(
                f"{prefix}_http_{exc.status_code}", str(exc.message), self._key
            ) from None
        except openai.APITimeoutError:
            raise provider_error(f"{prefix}_timeout", "the request timed out", self._key) from None
        except openai.OpenAIError as exc:
            _raise_if_refused(exc)
            raise provider_error(f"{prefix}_error", str(exc), self._key) from None
        except ValueError:  # the SDK lets a body that is not JSON through as a decode error
            raise provider_error(
                f"{prefix}_invalid_payload", "body is not JSON", self._key
            ) from None

    def _tuning(self) -> dict[str, Any]:
        return {} if self.temperature is None else {"temperature": self.temperature}

    def _responses(self, request: ProviderRequest, model: str) -> tuple[str, Usage]:
        history = "\n".join(f"{t.role}: {t.content[:500]}" for t in request.history)
        instructions = request.instructions + (
            f"\n\nRecent conversation:\n{history}" if history else ""
        )
        response = self._call(
            "openai_responses",
            lambda: self._client.responses.create(
                model=model,
                instructions=instructions,
                input=[{"role": "user", "content": [{"type": "input_text", "text": request.text}]}],
                **self._tuning(),
            ),
        )
        text = _text_of_response(response)
        if not text:
            raise provider_error("openai_responses_invalid_payload", "no output text", self._key)
        return text, _usage(response, prompt="input", completion="output")

    def _chat(self, request: ProviderRequest, model: str) -> tuple[str, Usage]:
        messages: list[dict[str, str]] = []
        if request.instructions:
            messages.append({"role": "system", "content": request.instructions})
        messages += [{"role": t.role, "content": t.content} for t in request.history]
        messages.append({"role": "user", "content": request.text})
        response = self._call(
            "openai_response",
            lambda: self._client.chat.completions.create(model=model, messages=messages, **self._tuning()),  # type: ignore[arg-type]
        )
        try:
            text = (response.choices[0].message.content or "").strip()
        except (AttributeError, IndexError, TypeError):
            text = ""
        if not text:
            raise provider_error("openai_response_invalid_payload", "no message content", self._key)
        return text, _usage(response, prompt="prompt", completion="completion")

    def transcribe(
        self,
        audio: bytes,
        *,
        filename: str,
        mime_type: str,
        model: str = "whisper-1",
        language: str | None = None,
    ) -> tuple[str, int]:
        """Speech to text. Returns the text and the latency in ms."""
        start = time.perf_counter()
        try:
            extra: dict[str, Any] = {"language": language} if language else {}
            result = self._client.audio.transcriptions.create(
                model=model, file=(filename, audio, mime_type), **extra
            )
        except AddressRefused as exc:
            raise _refused(exc) from None
        except openai.OpenAIError as exc:
            _raise_if_refused(exc)
            raise provider_error("owner_audio_transcription_error", str(exc), self._key) from None
        text = (getattr(result, "text", "") or "").strip()
        if not text:
            raise provider_error("owner_audio_transcription_error", "empty transcription")
        return text, int((time.perf_counter() - start) * 1000)

    def speech(
        self, text: str, *, model: str = "gpt-4o-mini-tts", voice: str = "shimmer",
        speed: float = 1.12, response_format: str = "mp3",
    ) -> tuple[bytes, int]:  # fmt: skip
        """Text to speech. Returns the audio bytes and the latency in ms."""
        start = time.perf_counter()
        speed = min(4.0, max(0.25, speed))
        try:
            result = self._client.audio.speech.create(
                model=model,
                voice=voice,
                input=text,
                response_format=response_format,  # type: ignore[arg-type]
                speed=speed,
            )
            audio = result.read()
        except AddressRefused as exc:
            raise _refused(exc) from None
        except openai.OpenAIError as exc:
            _raise_if_refused(exc)
            raise provider_error("owner_audio_speech_error", str(exc), self._key) from None
        if not audio:
            raise provider_error("owner_audio_speech_error", "empty audio")
        return audio, int((time.perf_counter() - start) * 1000)


def _guarded_client(guard: Guard) -> Any:
    """The SDK's own HTTP client (its defaults: limits, redirects) over the guard's transport.
    The SDK's client class names the httpx family it speaks (httpx, or a fork such as httpx2)."""
    client_class = openai.DefaultHttpxClient
    family = next(c.__module__.split(".")[0] for c in client_class.__mro__
                  if c.__module__.startswith("httpx"))  # fmt: skip
    return client_class(transport=guard.http_transport(family), trust_env=False)


def _raise_if_refused(exc: BaseException) -> None:
    """When the SDK wrapped a connection the guard refused, raise :func:`_refused` of it."""
    cause = exc.__cause__ or exc.__context__
    while cause is not None and not isinstance(cause, AddressRefused):
        cause = cause.__cause__ or cause.__context__
    if cause is not None:
        raise _refused(cause) from None


def _refused(refusal: BaseException) -> ProviderError:
    """A connection the guard refused, as ``openai_base_url_refused`` with the guard's reason."""
    return ProviderError(f"{REFUSED}: {refusal}", code=REFUSED, provider="openai")


def _text_of_response(response: Any) -> str:
    # A malformed body makes the SDK's own accessors raise; treat it as no output.
    try:
        return _collect_text(response)
    except (AttributeError, TypeError, ValueError):
        return ""


def _collect_text(response: Any) -> str:
    text = getattr(response, "output_text", None)
    if isinstance(text, str) and text.strip():
        return text.strip()
    parts: list[str] = []
    for item in getattr(response, "output", None) or []:
        for content in getattr(item, "content", None) or []:
            value = getattr(content, "text", None)
            if isinstance(value, str):
                parts.append(value)
    return "".join(parts).strip()


def _vectors_of(response: Any, count: int) -> list[list[float]]:
    """The ``count`` vectors of an embeddings answer, ordered by their ``index``.

    Raises:
        ProviderError: ``openai_embed_invalid_payload``: the answer is not ``count`` vectors of
            one length of finite numbers.
    """
    data = _field(response, "data")
    if not isinstance(data, list) or len(data) != count:
        got = f"{len(data)} items" if isinstance(data, list) else f"a {type(data).__name__}"
        raise _invalid_embeddings(f"expected {count} embeddings, got {got}")
    ordered: dict[int, list[float]] = {}
    for position, item in enumerate(data):
        index = _field(item, "index")
        index = position if index is None else index
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < count:
            raise _invalid_embeddings(f"embedding {position} has index {index!r}")
        if index in ordered:
            raise _invalid_embeddings(f"two embeddings have index {index}")
        ordered[index] = _floats(_field(item, "embedding"), index)
    vectors = [ordered[i] for i in range(count)]
    lengths = {len(v) for v in vectors}
    if len(lengths) > 1:
        raise _invalid_embeddings(f"embeddings of different lengths {sorted(lengths)}")
    return vectors


def _floats(values: Any, index: int) -> list[float]:
    if not isinstance(values, list) or not values:
        raise _invalid_embeddings(f"embedding {index} is not a non-empty list of numbers")
    out: list[float] = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _invalid_embeddings(
                f"embedding {index} holds {type(value).__name__}, not a number"
            )
        if not math.isfinite(value):
            raise _invalid_embeddings(f"embedding {index} holds {value!r}, not a finite number")
        out.append(float(value))
    return out


def _invalid_embeddings(reason: str) -> ProviderError:
    return provider_error("openai_embed_invalid_payload", reason)


def _field(obj: Any, name: str) -> Any:
    """An attribute of an SDK object, or a key of the dict the SDK left unparsed."""
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _usage(response: Any, *, prompt: str, completion: str) -> Usage:
    """Token usage of either API: Responses names it input/output, Chat prompt/completion."""
    raw = getattr(response, "usage", None)
    return Usage(
        input=_int(raw, f"{prompt}_tokens"),
        cached=_int(getattr(raw, f"{prompt}_tokens_details", None), "cached_tokens"),
        output=_int(raw, f"{completion}_tokens"),
        reasoning=_int(getattr(raw, f"{completion}_tokens_details", None), "reasoning_tokens"),
    )


def _int(obj: Any, name: str) -> int:
    value = getattr(obj, name, 0) if obj is not None else 0
    return int(value) if isinstance(value, int | float) else 0
