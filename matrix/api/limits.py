"""What every API request must satisfy before a route sees it: a JSON content type on bodies,
and a bounded body size. A pure ASGI middleware, so a refused body is never read in full."""

from __future__ import annotations

import json
from typing import Any

from matrix.api.errors import ApiError

Scope = dict[str, Any]
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class BodyLimits:
    """Answer 415 to a body that is not JSON and 413 to one over ``max_bytes``."""

    def __init__(self, app: Any, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            await refuse(send, self._too_large())
            return
        kind = headers.get("content-type", "").split(";")[0].strip().lower()
        if (length not in ("", "0") or "transfer-encoding" in headers) and not _is_json(kind):
            await refuse(send, ApiError(
                status=415, code="unsupported_media_type",
                message=f"Send the body as JSON (Content-Type: application/json), not {kind or 'no type'!r}.",
            ))  # fmt: skip
            return
        chunks: list[bytes] = []
        seen = 0
        while True:  # read it all first: bodies are small, and a refused one stops here
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > self.max_bytes:
                await refuse(send, self._too_large())
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)

    def _too_large(self) -> ApiError:
        return ApiError(status=413, code="payload_too_large",
                        message=f"The body is over {self.max_bytes} bytes; send less.")  # fmt: skip


def _is_json(kind: str) -> bool:
    return kind == "application/json" or (
        kind.startswith("application/") and kind.endswith("+json")
    )


async def refuse(send: Any, error: ApiError) -> None:
    """Send ``error`` as the whole answer."""
    body = json.dumps(error.body()).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in error.headers.items()]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
