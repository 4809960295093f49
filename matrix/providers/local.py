"""The local provider: deterministic, offline, free. It never echoes the owner's text.

Its reply says what the runtime actually did with the message (answered, task queued, approval
needed, denied), in Portuguese or English after the message; to a message that starts no work,
when memory recalled something for it, it answers with the best recalled fact. Token counts are estimated from
word counts so that usage charts have plausible shape; cost is zero.
"""

from __future__ import annotations

from matrix.concierge.language import language
from matrix.policy.rules import words
from matrix.providers.base import AssistantOutput, ProviderRequest, Usage

MODEL = "deterministic-rule-v1"

_REPLIES = {
    "pt": {
        "none": "Olá! Estou aqui para ajudar com clientes, agenda, cobranças, contratos e o CRM.",
        "allow": "Pedido recebido: a tarefa {task_type} está na fila do módulo {target}. Aviso quando terminar.",
        "confirm_required": "Esse pedido ({task_type}) precisa da sua aprovação antes de ser executado. Aprove ou rejeite a confirmação {confirmation_id}.",
        "deny": "Não posso executar esse pedido ({task_type}): a política da empresa não permite ({reason_code}).",
    },
    "en": {
        "none": "Hi! I'm here to help with customers, your agenda, billing, contracts and the CRM.",
        "allow": "Request received: the task {task_type} is queued for {target}. I'll report back when it's complete.",
        "confirm_required": "This request ({task_type}) needs your approval before it runs. Approve or reject confirmation {confirmation_id}.",
        "deny": "I can't carry out this request ({task_type}): company policy does not allow it ({reason_code}).",
    },
}  # fmt: skip
_REMEMBERED = {
    "pt": "Pelo que você me disse: «{fact}»",
    "en": "From what you told me: “{fact}”",
}


class LocalProvider:
    name = "local"

    def respond(self, request: ProviderRequest) -> AssistantOutput:
        ctx = request.context
        decision = str(ctx.get("execution_decision") or "none")
        template = _REPLIES[language(request.text)].get(decision, _REPLIES["en"]["none"])
        text = template.format(
            task_type=ctx.get("task_type", ""),
            target=ctx.get("target_module", ""),
            confirmation_id=ctx.get("confirmation_id", ""),
            reason_code=ctx.get("reason_code", ""),
        )
        if decision == "none" and request.memory:  # a question: answer with what was recalled
            text = _REMEMBERED[language(request.text)].format(fact=request.memory[0])
        prompt_words = len(words(request.instructions)) + len(words(request.text))
        prompt_words += sum(len(words(t.content)) for t in request.history)
        usage = Usage(input=int(prompt_words * 1.3) + 20, output=int(len(words(text)) * 1.3) + 5)
        attachments = tuple(
            {
                "type": a.get("type"),
                "attachment_ref": a.get("uri") or a.get("filename") or f"attachment-{i + 1}",
            }
            for i, a in enumerate(request.attachments)
        )
        return AssistantOutput(
            text=text,
            provider="local",
            model=MODEL,
            latency_ms=0,
            usage=usage,
            attachments=attachments,
        )


class OffProvider:
    name = "none"

    def respond(self, request: ProviderRequest) -> AssistantOutput:
        return AssistantOutput(
            text="Operation accepted.",
            provider="none",
            model=None,
            latency_ms=0,
            fallback_reason="off_mode",
        )
