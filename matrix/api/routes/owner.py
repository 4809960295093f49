"""The owner concierge (module 01): runtime config, audio, the interaction and its confirmations
(origin §g 2–8).

Secrets sent in a config update are stored encrypted and never answered: every answer says only
whether one is configured. A tenant token may not point the tenant's OpenAI calls at another
server (``openai.base_url``): that needs an admin token, so no tenant can make the server send
requests where it likes.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import Query, Response

from matrix.api.errors import ApiError, Detail, from_matrix_error, not_found
from matrix.api.routing import Api, Call, TenantQuery
from matrix.approvals import DEFAULT_LIST_LIMIT, LIST_LIMIT_CAP
from matrix.errors import ApprovalStateError, ProviderError, UsageError

TAGS = ["owner-concierge"]
BASE = "/v1/owner-concierge"
# Refusals of the tenant's setup, not failures of the provider: the fix is the client's (a key,
# voice turned on), so they answer 400 and the request stored nothing.
NOT_CONFIGURED = ("openai_not_configured", "openai_api_key_missing", "voice_disabled_by_tenant")
AUDIO_TYPES = {"mp3": "audio/mpeg", "opus": "audio/ogg", "aac": "audio/aac", "flac": "audio/flac",
               "wav": "audio/wav", "pcm": "audio/wav"}  # fmt: skip

StatusFilter = Annotated[
    Literal["all", "pending", "approved", "rejected", "expired"],
    Query(description="Which confirmations (default all)."),
]
Limit = Annotated[
    int, Query(ge=1, le=LIST_LIMIT_CAP, description="At most this many, newest first.")
]


def register(api: Api) -> None:
    @api.get(f"{BASE}/runtime-config", response="owner.runtime_config_summary", tags=TAGS)
    def get_owner_runtime_config(call: Call, tenant_id: TenantQuery = None) -> dict[str, Any]:
        """The tenant's runtime config with defaults; secrets only as "configured"."""
        return call.app.concierge.config_summary(call.for_tenant(tenant_id))

    @api.post(f"{BASE}/runtime-config", request="owner.runtime_config_request",
              response="owner.runtime_config_response", errors=(403,), tags=TAGS)  # fmt: skip
    def save_owner_runtime_config(call: Call) -> dict[str, Any]:
        """Change the tenant's runtime config; fields left out keep their stored values."""
        config = call.request["config"]
        if "base_url" in config.get("openai", {}):
            call.caller.require_admin()
        try:
            summary = call.app.concierge.save_config(call.tenant_id, config)
        except UsageError as exc:
            raise _under("/request/config", exc) from None
        return {
            "response": {**summary, "request_id": call.request["request_id"], "status": "accepted"}
        }

    @api.post(f"{BASE}/audio/transcribe", request="owner.transcribe_request",
              response="owner.transcribe_response", errors=(502,), tags=TAGS)  # fmt: skip
    def transcribe_owner_audio(call: Call) -> dict[str, Any]:
        """Speech to text through the tenant's OpenAI key (else the platform's)."""
        r = call.request
        options = {k: r[k] for k in ("mime_type", "filename", "language", "model") if k in r}
        try:
            result = call.app.concierge.transcribe(
                call.tenant_id, _audio(r["audio_base64"]), **options
            )
        except ProviderError as exc:
            raise _provider_failure(exc, "owner_audio_transcription_error") from None
        return {"response": {"request_id": r["request_id"], "status": "accepted",
                             "transcription": result.as_dict()}}  # fmt: skip

    @api.post(f"{BASE}/audio/speech", request="owner.speech_request", errors=(502,),
              media_types=sorted(set(AUDIO_TYPES.values())), tags=TAGS)  # fmt: skip
    def speak_owner_text(call: Call) -> Response:
        """Text to speech: the audio itself, with what produced it in ``x-owner-speech-*``."""
        r = call.request
        fmt = r.get("response_format", "mp3")
        options = {k: r[k] for k in ("model", "voice", "speed") if k in r}
        try:
            audio, spoken = call.app.concierge.speak(call.tenant_id, r["text"], response_format=fmt,
                                                     **options)  # fmt: skip
        except ProviderError as exc:
            raise _provider_failure(exc, "owner_audio_speech_error") from None
        headers = {"cache-control": "no-store", "x-owner-speech-request-id": quote(r["request_id"]),
                   **{f"x-owner-speech-{k.replace('_', '-')}": str(v) for k, v in spoken.as_dict().items()}}  # fmt: skip
        return Response(content=audio, media_type=AUDIO_TYPES[fmt], headers=headers)

    @api.post(f"{BASE}/interaction", request="owner.interaction_request",
              response="owner.interaction_response", errors=(502,), tags=TAGS)  # fmt: skip
    def owner_interaction(call: Call) -> dict[str, Any]:
        """One owner request: answered, and planned into a task, a confirmation or neither.

        A message that asks for nothing (a greeting) queues no task; a sensitive one waits for
        the owner's confirmation (on unless the tenant turned confirmations off). 429
        ``confirmation_queue_limit_reached`` when the tenant's queue of pending confirmations is
        full (nothing is stored). When the tenant's own AI provider fails after the outcome was
        stored, the answer is still 200 with that outcome (task or confirmation, with its id) and
        ``provider_error`` beside it (its code, even in strict mode), so a client never retries to
        find what happened; 502 ``owner_response_provider_error`` only if the provider fails
        before anything was stored.
        """
        r = call.request
        payload = r["payload"]
        try:
            result = call.app.concierge.interact(
                call.tenant_id, r["session_id"], payload.get("text", ""), operation=r["operation"],
                channel=r["channel"], attachments=payload.get("attachments", ()),
                persona_overrides=payload.get("persona_overrides"), enabled=payload.get("enabled"),
                request_id=r["request_id"],
            )  # fmt: skip
        except ProviderError as exc:
            raise _provider_failure(exc, "owner_response_provider_error") from None
        except UsageError as exc:
            raise _under("/request", exc) from None
        command = result.owner_command
        return {"response": {**result.as_dict(), "orchestration": {
            "correlation_id": command.correlation_id, "command_id": command.command_id,
            "lifecycle_event_name": "owner.command.created"}}}  # fmt: skip

    @api.get(f"{BASE}/interaction-confirmations", response="owner.confirmation_list_response",
             tags=TAGS)  # fmt: skip
    def list_owner_confirmations(
        call: Call, tenant_id: TenantQuery = None, status: StatusFilter = "all",
        limit: Limit = DEFAULT_LIST_LIMIT,
    ) -> dict[str, Any]:  # fmt: skip
        """The tenant's confirmations, newest first."""
        tenant = call.for_tenant(tenant_id)
        return call.app.concierge.list_confirmations(tenant, status, limit).as_dict()

    @api.post(f"{BASE}/interaction-confirmations", request="owner.confirmation_resolve_request",
              response="owner.confirmation_resolve_response", errors=(409,), tags=TAGS)  # fmt: skip
    def resolve_owner_confirmation(call: Call) -> dict[str, Any]:
        """Approve (the task is queued on the original request's trace) or reject, once.

        404 ``confirmation_not_found`` for an id this tenant does not have; 409
        ``confirmation_not_pending`` once it is resolved, ``confirmation_expired`` past its time
        to live (it is then recorded as expired).
        """
        r = call.request
        try:
            result = call.app.concierge.resolve_confirmation(
                call.tenant_id, r["confirmation_id"], r["decision"], actor=r["session_id"],
                reason=r.get("resolution_reason"), request_id=r["request_id"],
            )  # fmt: skip
        except ApprovalStateError as exc:
            if exc.code == "confirmation_not_found":  # one body, whichever id was asked for
                raise not_found("confirmation", exc.code) from None
            raise
        event = (
            "owner.confirmation.approved"
            if result.downstream_task
            else "owner.confirmation.rejected"
        )
        return {"response": {**result.as_dict(), "orchestration": {
            "correlation_id": result.confirmation.correlation_id, "command_id": None,
            "lifecycle_event_name": event}}}  # fmt: skip


def _audio(text: str) -> bytes:
    """The recording in ``audio_base64``; 400 ``invalid_audio_base64`` when it is not base64."""
    try:
        audio = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        audio = b""
    if not audio:
        raise ApiError(status=400, code="invalid_audio_base64",
                       message="audio_base64 is not base64 of a recording; send the audio file's bytes in base64.",
                       details=[Detail(path="/request/audio_base64", problem="not base64 audio")])  # fmt: skip
    return audio


def _provider_failure(exc: ProviderError, code: str) -> ApiError:
    """400 when there is no key to call with or the tenant turned voice off; else 502 ``code``
    (with the sanitised reason)."""
    if exc.code in NOT_CONFIGURED:
        return ApiError(status=400, code=exc.code, message=str(exc))
    return ApiError(
        status=502, code=code, details=[Detail(path="", problem=str(exc))],
        message=f"The AI provider failed ({exc.code}); retry, or check the tenant's OpenAI key and model.",
    )  # fmt: skip


def _under(prefix: str, exc: UsageError) -> ApiError:
    """The service's refusal with its fields as pointers into the body (they name the part of
    the request the service was given: the config, or the request's own fields)."""
    error = from_matrix_error(exc)
    details = [Detail(path=prefix + d.path, problem=d.problem) for d in error.details]
    return ApiError(status=error.status, code=error.code, message=error.message, details=details)
