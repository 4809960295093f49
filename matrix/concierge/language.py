"""Which language an owner writes in (Portuguese or English), for replies and notices."""

from __future__ import annotations

from matrix.policy.rules import words

_PORTUGUESE = {
    "oi", "ola", "bom", "dia", "tarde", "noite", "obrigado", "obrigada", "por", "favor", "voce",
    "agendar", "cobrar", "cliente", "reuniao", "fatura", "com", "para", "uma", "um", "nao", "sim",
    "tudo", "bem", "que", "da", "do", "de", "na", "no", "e", "o", "a", "campanha", "dar", "baixa",
}  # fmt: skip


def language(text: str) -> str:
    """ "pt" when the message looks Portuguese, else "en"."""
    tokens = words(text)
    hits = sum(1 for t in tokens if t in _PORTUGUESE)
    return (
        "pt"
        if (tokens and hits / len(tokens) >= 0.2) or any(c in text for c in "ãõçáéíóúâê")
        else "en"
    )
