"""The simulated world's data: tenants' plans and prices, names, the funnel path, business
hours and campaigns."""

from __future__ import annotations

# Every simulated tenant's id starts with this.
SIM_PREFIX = "sim-"

# Subscription plans of simulated tenants (USD per month).
PLANS = [("starter", 49.0), ("growth", 149.0), ("scale", 399.0)]

# List prices of the models simulated tenants use, USD per million tokens (input, cached input,
# output), set once from the simulation's start so that AI cost has numbers; the local model is free.
PRICES = {("openai", "gpt-5"): (1.25, 0.125, 10.0), ("openai", "gpt-5-mini"): (0.25, 0.025, 2.0),
          ("openai", "gpt-4.1-mini"): (0.40, 0.10, 1.60), ("local", "deterministic-rule-v1"): (0.0, 0.0, 0.0)}  # fmt: skip

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
