"""The completion-claim guard: the assistant may not claim work the runtime has not done.

When the reply claims completion ("done", "I scheduled", "agendei", "criado"...) while the task
is only queued, waits for approval, or was never created, the reply is replaced by an honest
notice and ``owner.response.claim.blocked`` is emitted. Unlike the origin, words the reply merely
repeats from the owner's own message (three or more words copied in a row) do not count as a
claim.
"""

from __future__ import annotations

from dataclasses import dataclass

from matrix.policy.rules import words

CLAIM_WORDS = frozenset(
    {
        # Portuguese (the origin's list)
        "feito", "feita", "finalizado", "finalizada", "concluido", "concluida", "cadastrei",
        "cadastrado", "cadastrada", "criei", "criado", "criada", "agendei", "agendado", "agendada",
        "atualizei", "atualizado", "atualizada", "salvei", "salvo", "salva", "enviado", "enviada",
        "enviei", "cobrei",
        # English
        "done", "completed", "finished", "scheduled", "booked", "created", "sent", "saved",
        "updated", "registered", "charged",
    }
)  # fmt: skip

PROVIDER_DOWN = {
    "task": {
        "pt": "Não consegui gerar a resposta agora, mas o pedido foi registrado: tarefa {id} na fila.",
        "en": "I could not write a reply just now, but your request was recorded: task {id} is queued.",
    },
    "confirmation": {
        "pt": "Não consegui gerar a resposta agora, mas o pedido aguarda a sua aprovação ({id}).",
        "en": "I could not write a reply just now, but your request is waiting for your approval ({id}).",
    },
    "none": {
        "pt": "Não consegui gerar a resposta agora; nenhuma ação foi executada.",
        "en": "I could not write a reply just now; no action was taken.",
    },
}
"""The reply when the AI provider fails after the request's outcome was stored: the outcome is
said with its id, so the owner never retries (and duplicates) to find it."""

NOTICES = {
    "confirmation_required_not_executed": {
        "pt": "Ainda não executei: esse pedido aguarda a sua aprovação.",
        "en": "Not done yet: this request is waiting for your approval.",
    },
    "queued_not_completed": {
        "pt": "O pedido está na fila e ainda não foi concluído; aviso quando terminar.",
        "en": "The request is queued and not finished yet; I'll report back when it is.",
    },
    "unverified_execution_claim": {
        "pt": "Não executei nenhuma ação para esse pedido.",
        "en": "I have not carried out any action for this request.",
    },
}


@dataclass(frozen=True, kw_only=True)
class GuardResult:
    blocked: bool
    reason_code: str | None = None
    text: str = ""


def _echoed(reply: list[str], user: list[str], run: int = 3) -> set[int]:
    """Indexes of reply words inside a run of ``run``+ words copied from the user's message."""
    grams = {tuple(user[i : i + run]) for i in range(len(user) - run + 1)}
    marked: set[int] = set()
    for i in range(len(reply) - run + 1):
        if tuple(reply[i : i + run]) in grams:
            marked.update(range(i, i + run))
    return marked


def check(
    reply: str,
    user_text: str,
    *,
    had_task: bool,
    pending_confirmation: bool,
    language: str,
) -> GuardResult:
    """Whether the reply claims unverified work, and the notice that replaces it."""
    tokens = words(reply)
    echoed = _echoed(tokens, words(user_text))
    claims = [t for i, t in enumerate(tokens) if t in CLAIM_WORDS and i not in echoed]
    if not claims:
        return GuardResult(blocked=False, text=reply)
    if pending_confirmation:
        reason = "confirmation_required_not_executed"
    elif had_task:
        reason = "queued_not_completed"
    else:
        reason = "unverified_execution_claim"
    return GuardResult(blocked=True, reason_code=reason, text=NOTICES[reason][language])
