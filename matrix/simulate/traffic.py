"""The simulated world's data: tenants' plans and prices, names, the funnel path, business
hours and campaigns, what contacts write on WhatsApp, and how each tenant lets Persona 2 work."""

from __future__ import annotations

# Every simulated tenant's id starts with this.
SIM_PREFIX = "sim-"

# Subscription plans of simulated tenants (USD per month).
PLANS = [("starter", 49.0), ("growth", 149.0), ("scale", 399.0)]

# List prices of the models simulated tenants use, USD per million tokens (input, cached input,
# output), set once from the simulation's start so that AI cost has numbers; the local model is free.
PRICES = {("openai", "gpt-5"): (1.25, 0.125, 10.0), ("openai", "gpt-5-mini"): (0.25, 0.025, 2.0),
          ("openai", "gpt-5-nano"): (0.05, 0.005, 0.40), ("openai", "gpt-4.1"): (2.00, 0.50, 8.00),
          ("openai", "gpt-4.1-mini"): (0.40, 0.10, 1.60), ("openai", "gpt-4.1-nano"): (0.10, 0.025, 0.40),
          ("openai", "text-embedding-3-small"): (0.02, 0.02, 0.0),
          ("local", "deterministic-rule-v1"): (0.0, 0.0, 0.0)}  # fmt: skip
# Speech-to-text is priced by the minute of audio (USD), beside its (zero) token prices.
AUDIO_PRICES = {("openai", "gpt-4o-mini-transcribe"): 0.003, ("openai", "whisper-1"): 0.006}

# The rest of a tenant's AI day, beyond the owner requests the simulation drives one by one:
# (feature, call name, module, the models a tenant picks from, calls per weekday for a tenant of
# size 1, median input tokens, median output tokens, share of input served from the prompt cache,
# median audio seconds, median latency ms). Token counts are per call as a production concierge
# sends them: a prompt with its instructions, memory's facts (a 2,000-token budget) and the
# session's turns; a WhatsApp draft with its thread's context pack; an embedding of one sentence.
WORKLOAD: list[tuple[str, str, str, tuple[str, ...], float, int, int, float, float, float]] = [
    ("owner_chat", "owner.respond", "owner", ("gpt-5-mini", "gpt-4.1"), 40, 1800, 180, 0.5, 0, 1400),
    ("intent_routing", "owner.classify", "owner", ("gpt-4.1-nano",), 40, 650, 25, 0.6, 0, 350),
    ("crm_ai", "crm.ai.draft", "crm", ("gpt-4.1-mini", "gpt-5-nano"), 90, 1600, 140, 0.4, 0, 1100),
    ("crm_ai", "crm.ai.qualify", "crm", ("gpt-4.1-mini", "gpt-5-nano"), 90, 900, 60, 0.4, 0, 700),
    ("memory_embedding", "memory.embed", "owner", ("text-embedding-3-small",), 120, 45, 0, 0.0, 0, 120),
    ("memory_summary", "memory.summary", "owner", ("gpt-5-mini",), 6, 1500, 120, 0.0, 0, 1600),
    ("transcription", "owner.transcription", "owner", ("gpt-4o-mini-transcribe", "whisper-1"), 12, 0, 0, 0.0, 25, 1500),
]  # fmt: skip

# (weight, Portuguese, English) — what owners ask for, roughly how often.
REQUESTS: list[tuple[int, str, str]] = [
    (18, "Oi, bom dia! Tudo certo por aí?", "Good morning! How are things?"),
    (6, "Obrigado pela ajuda de ontem.", "Thanks for yesterday's help."),
    (
        16,
        "Agendar reunião com {name} {day} às {hour}h",
        "Schedule a meeting with {name} {day} at {hour}",
    ),
    (12, "Cobrar a fatura vencida de {name}", "Collect the overdue invoice from {name}"),
    (
        12,
        "Mande uma mensagem de acompanhamento para {name} no WhatsApp",
        "Send a follow-up to {name} on WhatsApp",
    ),
    (9, "Cadastrar cliente {name}", "Register a new customer, {name}"),
    (7, "Crie uma cobrança de R$ {amount} para {name}", "Create an invoice of {amount} for {name}"),
    (5, "Novo lead: {lead}, WhatsApp {phone}", "New lead: {lead}, WhatsApp {phone}"),
    (5, "Dar baixa na dívida de {name}", "Write off the debt of {name}"),
    (4, "Disparar a campanha de {campaign} para todos", "Send the {campaign} campaign to everyone"),
    (2, "Excluir o cliente {name}", "Delete the customer {name}"),
]
NAMES = [
    "Ana Souza",
    "João Lima",
    "Maria Silva",
    "Pedro Alves",
    "Carla Dias",
    "Lucas Rocha",
    "Beatriz Melo",
]
LEAD_NAMES = [
    "Rafael Costa",
    "Juliana Prado",
    "Thiago Nunes",
    "Camila Reis",
    "Bruno Farias",
    "Larissa Mota",
]
# A lead's way through the funnel, one (stage, trigger) step at a time.
FUNNEL_PATH = [("contacted", "first_contact_attempt"), ("qualified", "qualification_passed"),
               ("proposal", "proposal_sent")]  # fmt: skip
DAYS = {
    "pt": ["segunda", "terça", "quarta", "quinta", "sexta"],
    "en": ["on Monday", "on Tuesday", "on Friday", "tomorrow"],
}
CAMPAIGNS = ["Black Friday", "Natal", "Dia das Mães", "Volta às aulas"]

# What contacts write over WhatsApp, by where their conversation is: (step, weight, kind,
# Portuguese, English). A contact's first message is from step 0, the next from step 1, then 2.
CONTACT_TEXTS: list[tuple[int, int, str, str, str]] = [
    (0, 5, "interest", "Oi, tenho interesse no serviço de vocês. Como funciona?",
     "Hi, I'm interested in your service. How does it work?"),
    (0, 4, "price", "Boa tarde! Quanto custa o plano mensal?", "Hello! How much is the monthly plan?"),
    (0, 2, "question", "Vocês atendem aos sábados?", "Hi, do you deliver on weekends?"),
    (0, 2, "interest", "Quero agendar uma visita para conhecer", "I'd like to book a visit, I'm interested"),
    (1, 4, "price", "E qual o preço para uma equipe de 10 pessoas?", "What's the price for a team of 10?"),
    (1, 3, "negotiating", "Achei caro. Se eu fechar hoje, consegue um desconto?",
     "That's a bit expensive. Can you do better if I sign today?"),
    (1, 2, "human", "Prefiro falar com um atendente, por favor", "Can I talk to a human, please?"),
    (1, 2, "disinterest", "Não tenho interesse, obrigado", "Not interested, thanks"),
    (1, 1, "rude", "Vocês demoram demais pra responder, que serviço ruim",
     "This is ridiculous, nobody answers here"),
    (2, 4, "closing", "Fechado! Quero contratar, pode mandar a proposta",
     "Deal, I'm interested in going ahead. Send me the proposal"),
    (2, 2, "negotiating", "Quero fechar, mas só se o pagamento puder ser em 3 vezes",
     "I'm interested, but only if I can pay in three instalments"),
    (2, 2, "disinterest", "Por favor, não me mande mais mensagens. Não quero.",
     "Please stop messaging me, I'm not interested"),
    (2, 1, "human", "Quero falar com um atendente humano agora", "I want to speak to a human now"),
    (2, 1, "rude", "Já perguntei três vezes e ninguém resolve!", "I asked three times and nobody sorts it out!"),
]  # fmt: skip
CONTACTS = 25  # distinct contacts per tenant, so that conversations run over several messages

# How each simulated tenant lets Persona 2 work, in turn (sim-01 the first): it answers by itself
# above its minimum confidence; it only suggests; it drafts and a person approves every answer.
PERSONA2_MODES: list[tuple[str, dict[str, object], dict[str, object]]] = [
    ("answers_by_itself", {"whatsapp_ai_enabled": True, "whatsapp_ai_mode": "assist_execute",
                           "whatsapp_ai_min_confidence": 0.6},
     {"auto_reply_enabled": True, "auto_reply_use_ai": True}),
    ("suggest_only", {"whatsapp_ai_enabled": True, "whatsapp_ai_mode": "suggest_only"}, {}),
    ("review", {"whatsapp_ai_enabled": True, "whatsapp_ai_mode": "assist_execute"},
     {"auto_reply_enabled": False, "auto_reply_use_ai": False}),
]  # fmt: skip
