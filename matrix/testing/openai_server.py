"""An OpenAI-compatible HTTP server on 127.0.0.1, for tests and the simulator.

It speaks enough of the protocol for the official ``openai`` client: ``/v1/responses``,
``/v1/chat/completions``, ``/v1/embeddings``, ``/v1/audio/transcriptions`` and
``/v1/audio/speech``. Replies are plausible and deterministic for a given input, with token
usage; a request for structured output gets an object that fits its JSON Schema. Behaviour can
be scripted per endpoint (an HTTP error, a delay longer than the client's timeout, a malformed or
empty body, a reply of one's own) or drawn at random at a given error rate, for simulations.

    with OpenAIServer() as server:
        client = openai.OpenAI(api_key="sk-test", base_url=server.base_url)
        server.script("responses", Behavior(status=500))
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from matrix.testing.http import LocalServer

ENDPOINTS = {
    "/v1/responses": "responses",
    "/v1/chat/completions": "chat",
    "/v1/embeddings": "embeddings",
    "/v1/audio/transcriptions": "transcriptions",
    "/v1/audio/speech": "speech",
}


@dataclass(frozen=True, kw_only=True)
class Behavior:
    """What the next request to an endpoint gets."""

    status: int = 200
    delay: float = 0.0
    body: str | None = None  # raw body to send instead of a normal reply (malformed output)
    error_message: str = "The server had an error while processing your request."
    reply: str | None = None


@dataclass(frozen=True, kw_only=True)
class Randomness:
    """Random behaviour for simulations: latency and an error rate, seeded."""

    seed: int = 0
    error_rate: float = 0.0
    latency_ms: tuple[float, float] = (0.0, 0.0)
    burst: int = 1
    """An error starts a run of this many failing requests (an outage the client's retries and
    its fallback endpoint cannot ride out)."""


class OpenAIServer(LocalServer):
    def __init__(self, *, randomness: Randomness | None = None, api_key: str | None = None) -> None:
        self._scripts: dict[str, deque[Behavior]] = {}
        self._lock = threading.Lock()
        self.randomness = randomness or Randomness()
        self._rng = random.Random(self.randomness.seed)
        self._failing = 0
        self.required_key = api_key
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                server._handle(self)

            def do_GET(self) -> None:
                server._send_json(
                    self, 404, {"error": {"message": "not found", "type": "invalid_request_error"}}
                )

        super().__init__(Handler, name="fake-openai")

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    def script(self, endpoint: str, *behaviors: Behavior) -> None:
        """Queue behaviours for the next requests to ``endpoint`` ("responses", "chat", ...)."""
        with self._lock:
            self._scripts.setdefault(endpoint, deque()).extend(behaviors)

    def count(self, endpoint: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r["endpoint"] == endpoint)

    # -- request handling -------------------------------------------------------------------

    def _next(self, endpoint: str) -> Behavior:
        with self._lock:
            queue = self._scripts.get(endpoint)
            if queue:
                return queue.popleft()
            r = self.randomness
            delay = self._rng.uniform(*r.latency_ms) / 1000 if r.latency_ms[1] else 0.0
            if not self._failing and r.error_rate and self._rng.random() < r.error_rate:
                self._failing = max(1, r.burst)
            if self._failing:
                self._failing -= 1
                return Behavior(status=self._rng.choice([429, 500, 503]), delay=delay)
            return Behavior(delay=delay)

    def _handle(self, http: BaseHTTPRequestHandler) -> None:
        endpoint = ENDPOINTS.get(http.path.split("?")[0])
        length = int(http.headers.get("content-length") or 0)
        raw = http.rfile.read(length) if length else b""
        if endpoint is None:
            self._send_json(
                http,
                404,
                {
                    "error": {
                        "message": f"unknown path {http.path}",
                        "type": "invalid_request_error",
                    }
                },
            )
            return
        with self._lock:
            self.requests.append(
                {
                    "endpoint": endpoint,
                    "authorization": http.headers.get("authorization", ""),
                    "size": len(raw),
                    "json": _json_or_none(raw),
                }
            )
        if self.required_key and http.headers.get("authorization") != f"Bearer {self.required_key}":
            self._send_json(
                http,
                401,
                {
                    "error": {
                        "message": "Incorrect API key provided.",
                        "type": "invalid_request_error",
                        "code": "invalid_api_key",
                    }
                },
            )
            return
        behavior = self._next(endpoint)
        if behavior.delay:
            time.sleep(behavior.delay)
        if behavior.status >= 400:
            self._send_json(
                http,
                behavior.status,
                {"error": {"message": behavior.error_message, "type": "server_error"}},
            )
            return
        if behavior.body is not None:
            self._send_raw(http, 200, behavior.body.encode(), "application/json")
            return
        if endpoint == "speech":
            self._send_raw(http, 200, b"ID3" + hashlib.sha256(raw).digest() * 8, "audio/mpeg")
            return
        if endpoint == "transcriptions":
            self._send_json(
                http, 200, {"text": behavior.reply or "Agendar reunião com a Ana na sexta às dez."}
            )
            return
        body = json.loads(raw or b"{}")
        self._send_json(http, 200, self._reply(endpoint, body, behavior))

    def _reply(self, endpoint: str, body: dict[str, Any], behavior: Behavior) -> dict[str, Any]:
        model = str(body.get("model") or "gpt-5-mini")
        if endpoint == "embeddings":
            inputs = body.get("input")
            items = inputs if isinstance(inputs, list) else [inputs]
            dims = int(body.get("dimensions") or 64)
            data = [
                {"object": "embedding", "index": i, "embedding": _vector(str(t), dims)}
                for i, t in enumerate(items)
            ]
            tokens = sum(len(str(t).split()) for t in items)
            return {
                "object": "list",
                "data": data,
                "model": model,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        prompt = json.dumps(body.get("input") or body.get("messages") or "", ensure_ascii=False)
        instructions = str(body.get("instructions") or "")
        schema = ((body.get("text") or {}).get("format") or {}).get("schema")
        if behavior.reply is not None:
            text = behavior.reply
        elif isinstance(schema, dict):
            text = json.dumps(_structured_reply(schema, _user_text(body)), ensure_ascii=False)
        else:
            text = _plausible_reply(prompt)
        input_tokens = max(1, int(len((prompt + instructions).split()) * 1.3))
        cached = (input_tokens // 2) if len(instructions) > 200 else 0
        output_tokens = max(1, int(len(text.split()) * 1.3))
        reasoning = output_tokens // 3 if model.startswith(("gpt-5", "o")) else 0
        now = int(time.time())
        if endpoint == "responses":
            return {
                "id": "resp_" + hashlib.sha1(prompt.encode()).hexdigest()[:24], "object": "response",
                "created_at": now, "status": "completed", "model": model,
                "output": [{"id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
                            "content": [{"type": "output_text", "text": text, "annotations": []}]}],
                "usage": {"input_tokens": input_tokens, "input_tokens_details": {"cached_tokens": cached},
                          "output_tokens": output_tokens + reasoning,
                          "output_tokens_details": {"reasoning_tokens": reasoning},
                          "total_tokens": input_tokens + output_tokens + reasoning},
            }  # fmt: skip
        return {
            "id": "chatcmpl-" + hashlib.sha1(prompt.encode()).hexdigest()[:24], "object": "chat.completion",
            "created": now, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": input_tokens, "completion_tokens": output_tokens + reasoning,
                      "total_tokens": input_tokens + output_tokens + reasoning,
                      "prompt_tokens_details": {"cached_tokens": cached},
                      "completion_tokens_details": {"reasoning_tokens": reasoning}},
        }  # fmt: skip

    @staticmethod
    def _send_json(http: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        OpenAIServer._send_raw(http, status, json.dumps(payload).encode(), "application/json")

    @staticmethod
    def _send_raw(
        http: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str
    ) -> None:
        try:
            http.send_response(status)
            http.send_header("content-type", content_type)
            http.send_header("content-length", str(len(body)))
            http.end_headers()
            http.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)


_REPLIES_PT = [
    "Certo, já organizei isso para você. Acompanhe o andamento no painel de tarefas.",
    "Entendido. Encaminhei o pedido ao módulo responsável e te aviso quando terminar.",
    "Pode deixar: registrei o pedido e sigo acompanhando.",
]
_REPLIES_EN = [
    "Got it. I've passed this to the right module and will report back when it's done.",
    "Understood. The request is recorded; you can follow it on the tasks panel.",
    "Sure. I'm on it and will let you know how it goes.",
]


def _plausible_reply(prompt: str) -> str:
    digest = int(hashlib.sha256(prompt.encode()).hexdigest(), 16)
    portuguese = any(
        w in prompt.lower() for w in (" com ", " para ", "ção", "ã", "agendar", "cobrar", "oi")
    )
    choices = _REPLIES_PT if portuguese else _REPLIES_EN
    return choices[digest % len(choices)]


def _json_or_none(raw: bytes) -> Any:
    """A request body as JSON (None for a multipart upload or a malformed body)."""
    try:
        return json.loads(raw) if raw[:1] == b"{" else None
    except ValueError:
        return None


def _user_text(body: dict[str, Any]) -> str:
    """The text of the request's user input (Responses API shape)."""
    parts = []
    for item in body.get("input") or []:
        if isinstance(item, dict) and item.get("role") == "user":
            content = item.get("content")
            if isinstance(content, str):
                parts.append(content)
            for piece in content if isinstance(content, list) else []:
                if isinstance(piece, dict) and isinstance(piece.get("text"), str):
                    parts.append(piece["text"])
    return " ".join(parts)


def _structured_reply(schema: dict[str, Any], text: str) -> dict[str, Any]:
    """An object that fits a structured-output ``schema``: every property null or its first
    choice, except an owner-intent schema's ``task_type`` and ``language``, which a stand-in model
    answers as the shipped routing rules and the language reading would, Persona 2's draft
    (a reply that states no fact) and stage (as its offline rules read the message), and an
    episode's summary (what the owner said first); tests script replies that disagree."""
    from matrix.concierge.planner import plan
    from matrix.modules.extract import language
    from matrix.policy import shipped_routing

    answer: dict[str, Any] = {}
    for name, spec in (schema.get("properties") or {}).items():
        choices = spec.get("enum") if isinstance(spec, dict) else None
        answer[name] = choices[0] if choices else None
    task_types = ((schema.get("properties") or {}).get("task_type") or {}).get("enum") or []
    if task_types:
        planned = plan(text, shipped_routing())
        answer["task_type"] = (
            planned.task_type if planned and planned.task_type in task_types else "none"
        )
    if "language" in answer:
        answer["language"] = language(text)
    if {"reply", "reasoning_summary"} <= answer.keys():  # Persona 2's drafted reply
        answer["reply"] = _STAND_IN_REPLY["en" if language(text) == "en" else "pt"]
        answer["reasoning_summary"] = (
            "A stand-in model's reply: it states no price, link or deadline."
        )
    if set(answer) == {"summary"}:  # an episode of the owner's conversation, summarised
        said = [line.split(":", 1)[1].strip() for line in text.splitlines()
                if line.startswith("owner:")]  # fmt: skip
        answer["summary"] = f"The owner said: {said[0][:160] if said else text[:160]}"
    stages = ((schema.get("properties") or {}).get("suggested_stage") or {}).get("enum") or []
    if (
        stages and "confidence" in answer
    ):  # Persona 2's stage suggestion, as its offline rules read it
        from matrix.agent import rules
        from matrix.agent.context import ThreadMessage

        read = rules.qualify([ThreadMessage(direction="inbound", text=text)], stages[0])
        answer["suggested_stage"] = (
            read.suggested_stage if read.suggested_stage in stages else stages[0]
        )
        answer["confidence"], answer["reason"] = read.confidence, read.reason
    return answer


_STAND_IN_REPLY = {
    "pt": "Olá! Obrigado pela mensagem. Uma pessoa da equipe vai confirmar os detalhes com você.",
    "en": "Hi! Thanks for your message. Someone from the team will confirm the details with you.",
}


def _vector(text: str, dims: int) -> list[float]:
    seed = int(hashlib.sha256(text.encode()).hexdigest(), 16)
    rng = random.Random(seed)
    values = [rng.gauss(0, 1) for _ in range(dims)]
    norm = sum(v * v for v in values) ** 0.5 or 1.0
    return [v / norm for v in values]
