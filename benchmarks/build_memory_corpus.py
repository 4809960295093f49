"""The memory evaluation set: labelled multi-session histories of business owners talking to
Persona 1, and the questions they ask weeks later.

    .venv/bin/python benchmarks/build_memory_corpus.py [--out PATH]

Writes ``matrix/memory/data/eval.jsonl``: one line per synthetic tenant (24 of them, two thirds
in English, one third in Portuguese from Brazil and Portugal) with its business, its sessions
(45 to 70 over 20 to 26 weeks, several a week and on some days two, 12 to 30 turns each,
alternating owner and assistant: 900 to 1,600 turns per tenant, far more than one prompt holds)
and ten questions about what the owner said:

- ``single_fact``: something stated once ("who does my books?" for the accountant named weeks
  before in the middle of a request to send invoices);
- ``preference``: how the owner likes things done (reminder times, channels, tone, sign-off);
- ``temporal``: anchored in time ("what was the first price the builder gave us?", "what did I
  say last week about the website?", "when did the new oven arrive?");
- ``knowledge_update``: a fact that changed once or twice; the gold answer is the latest, the
  evidence is the turn that stated it and ``superseded`` lists the turns it replaced;
- ``absent``: plausible for that business but never said; the answer is null, no evidence.

Each question's ``evidence`` names the owner's turn that states the fact (never an assistant
turn, even when the reply repeats it). Most turns are ordinary traffic (reminders, leads,
charges, payments, the diary, contracts, figures, greetings), with several similar entities per
tenant (two suppliers, three staff members, two addresses) so that a question needs the right
one.

Timestamps carry the tenant's local offset (summer time included), so "Monday" and "this
morning" mean what the owner meant; every question is asked after the tenant's last session.
The set is written the way owners talk and ask, not tuned to any retrieval method.

How it is built: hand-written profiles of the 24 businesses and template banks, many phrasings
per fact and per language, filled from each tenant's profile and from a ``random.Random`` seeded
per tenant. In a template, ``{slot}`` is a value, ``⟨a|b⟩`` is ``a`` in en-US and pt-BR and
``b`` in en-GB, en-IE and pt-PT, and ``{who?he/she}`` follows the gender of the person ``who``.
No network and only the standard library. The JSONL file is committed: it is the fixed set, and
rerunning this script reproduces it byte for byte (the unit tests check that).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

SEED = "matrix-memory-eval-v1"
OUT = Path(__file__).resolve().parent.parent / "matrix" / "memory" / "data" / "eval.jsonl"

CATEGORIES = ("single_fact", "preference", "temporal", "knowledge_update", "absent")
MIX = {"single_fact": 3, "preference": 2, "temporal": 2, "knowledge_update": 2, "absent": 1}

# --------------------------------------------------------------------------------------------
# Text: variant alternatives, gender choices, slots
# --------------------------------------------------------------------------------------------

_ALT = re.compile(r"⟨([^⟨⟩|]*)\|([^⟨⟩|]*)⟩")
_GENDER = re.compile(r"\{(\w+)\?([^{}/]*)/([^{}]*)\}")


def localize(text: str, american: bool) -> str:
    """``⟨a|b⟩`` becomes ``a`` for en-US and pt-BR, ``b`` for en-GB, en-IE and pt-PT."""
    return _ALT.sub(lambda m: m.group(1) if american else m.group(2), text)


def cap(text: str) -> str:
    for i, ch in enumerate(text):
        if ch.isalpha():
            return text[:i] + ch.upper() + text[i + 1 :]
        if ch not in "'\"“‘(¿¡":
            return text
    return text


_AFTER_STOP = re.compile(r"([.!?]) ([a-zà-ÿ])")


def tidy(text: str) -> str:
    """A new sentence starts with a capital, wherever the halves of a message came from."""
    return _AFTER_STOP.sub(lambda m: f"{m.group(1)} {m.group(2).upper()}", text)


def sentence(text: str) -> str:
    """Capitalised, with a final stop unless it already ends in punctuation."""
    text = cap(tidy(text.strip()))
    return text if text[-1] in ".!?…)" or text.endswith(":)") else text + "."


class Slots(dict[str, Any]):
    """Values for one exchange, made on first use so that the user's turn and the reply agree."""

    def __init__(self, ctx: Ctx, day: date, **given: Any) -> None:
        super().__init__(given)
        self.ctx = ctx
        self.day = day

    def __missing__(self, key: str) -> Any:
        value = self.ctx.slot(key, self)
        self[key] = value
        return value

    def fill(self, template: str) -> str:
        text = localize(template, self.ctx.american)

        def gender(m: re.Match[str]) -> str:
            who = self[m.group(1)]
            female = who.female if isinstance(who, Person) else bool(self[m.group(1) + "_female"])
            return m.group(3) if female else m.group(2)

        previous = None
        while previous != text:  # a slot's value may hold slots of its own
            previous = text
            text = _GENDER.sub(gender, localize(text, self.ctx.american))
            text = text.format_map(self)
        return text


# --------------------------------------------------------------------------------------------
# Places, clocks, numbers, dates
# --------------------------------------------------------------------------------------------


def _nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    first_sunday = first + timedelta(days=(6 - first.weekday()) % 7)
    return first_sunday + timedelta(weeks=n - 1)


def _last_sunday(year: int, month: int) -> date:
    last = date(year, month + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def utc_offset(zone: str, day: date) -> timedelta:
    """The offset in force on ``day`` (summer time starts on the rules' Sunday)."""
    if zone == "europe":  # London, Dublin, Lisbon, Porto
        return timedelta(hours=1 if day >= _last_sunday(day.year, 3) else 0)
    if zone == "brazil":
        return timedelta(hours=-3)
    standard = {"us_east": -5, "us_central": -6, "us_pacific": -8}[zone]
    return timedelta(hours=standard + (1 if day >= _nth_sunday(day.year, 3, 2) else 0))


def stamp(zone: str, moment: datetime) -> str:
    offset = utc_offset(zone, moment.date())
    return moment.replace(tzinfo=timezone(offset)).isoformat()


EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PT_WEEKDAYS = ("segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira",
               "sábado", "domingo")  # fmt: skip
PT_WEEKDAYS_SHORT = ("segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo")
PT_WEEKDAYS_PLURAL = ("segundas", "terças", "quartas", "quintas", "sextas", "sábados",
                      "domingos")  # fmt: skip
EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")  # fmt: skip
PT_MONTHS = ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto",
             "setembro", "outubro", "novembro", "dezembro")  # fmt: skip


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def long_date(day: date, lang: str, american: bool) -> str:
    """ "Tuesday 10 March" (GB/IE), "Tuesday, March 10" (US), "terça-feira, 10 de março"."""
    if lang == "pt":
        return f"{PT_WEEKDAYS[day.weekday()]}, {day.day} de {PT_MONTHS[day.month - 1]}"
    if american:
        return f"{EN_WEEKDAYS[day.weekday()]}, {EN_MONTHS[day.month - 1]} {day.day}"
    return f"{EN_WEEKDAYS[day.weekday()]} {day.day} {EN_MONTHS[day.month - 1]}"


def short_date(day: date, lang: str, american: bool) -> str:
    if lang == "pt":
        return f"{day.day} de {PT_MONTHS[day.month - 1]}"
    return f"{EN_MONTHS[day.month - 1]} {day.day}" if american else f"{day.day} {EN_MONTHS[day.month - 1]}"  # fmt: skip


def clock(h: int, m: int, lang: str) -> str:
    """ "10am", "2:30pm"; "10h", "14h30"."""
    if lang == "pt":
        return f"{h}h" if m == 0 else f"{h}h{m:02d}"
    suffix = "am" if h < 12 else "pm"
    hour = h if h <= 12 else h - 12
    return f"{hour}{suffix}" if m == 0 else f"{hour}:{m:02d}{suffix}"


def span(h1: int, h2: int, lang: str) -> str:
    if lang == "pt":
        return f"das {h1}h às {h2}h"
    return f"{clock(h1, 0, lang)} to {clock(h2, 0, lang)}"


def group_digits(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


def money(value: float, variant: str, formal: bool = False) -> str:
    whole = round(value)
    cents = round(value * 100) % 100
    if variant in ("GB", "IE", "US"):
        sign = {"GB": "£", "IE": "€", "US": "$"}[variant]
        text = f"{sign}{group_digits(whole, ',')}"
        return text + (f".{cents:02d}" if cents or (formal and whole < 1000) else "")
    if variant == "BR":
        text = f"R$ {group_digits(whole, '.')}"
        return text + (f",{cents:02d}" if cents or formal else "")
    text = group_digits(whole, ".") if whole >= 10000 else str(whole)
    return (text + (f",{cents:02d}" if cents or formal else "")) + (" €" if formal else "€")


AREA = {5: "512", 14: "617", 17: "718", 20: "312", 23: "503", 6: "11", 12: "31", 15: "41", 21: "81"}


def phone_number(rng: random.Random, variant: str, area: str = "") -> str:
    if variant == "GB":
        return f"07700 900{rng.randint(0, 999):03d}"
    if variant == "IE":
        return f"08{rng.choice('3567')} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
    if variant == "US":
        return f"({area or rng.choice(['512', '617', '718', '503', '312'])}) 555-01{rng.randint(0, 99):02d}"
    if variant == "BR":
        ddd = area or rng.choice(["11", "31", "41", "81"])
        return f"({ddd}) 9{rng.randint(6000, 9999)}-{rng.randint(1000, 9999)}"
    return (
        f"9{rng.choice('1236')}{rng.randint(0, 9)} {rng.randint(100, 999)} {rng.randint(100, 999)}"
    )


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------

# fmt: off
NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "f": ("Sarah", "Priya", "Aisling", "Megan", "Olivia", "Hannah", "Chloe", "Grace",
              "Fatima", "Niamh", "Sophie", "Emma", "Zara", "Ruby", "Isla", "Amelia", "Leah",
              "Ellie", "Jess", "Kate", "Aoife", "Laura", "Mei", "Anna", "Holly", "Rachel",
              "Madison", "Maria", "Brianna", "Ashley", "Nina", "Claire", "Yasmin", "Beth",
              "Lucy", "Tamsin", "Orla", "Keisha", "Rosa", "Imogen"),
        "m": ("James", "Tom", "Ciaran", "Daniel", "Marcus", "Liam", "Ben", "Ravi", "Owen",
              "Jack", "Connor", "Ethan", "Harry", "Noah", "Callum", "Rhys", "Adam", "Matt",
              "Dev", "Sean", "Kwame", "Tariq", "Luke", "Dan", "Jordan", "Tyler", "Carlos",
              "Kevin", "Jamal", "Gareth", "Rory", "Sam", "Alfie", "Ollie", "Declan", "Hamza",
              "Stuart", "Neil", "Malik", "Pete"),
        "last": ("Patel", "Walsh", "Murphy", "Hughes", "Clarke", "Evans", "Turner", "Bennett",
                 "O'Brien", "Kelly", "Shaw", "Fletcher", "Khan", "Reid", "Campbell", "Morgan",
                 "Price", "Jenkins", "Doyle", "Byrne", "Ward", "Cooper", "Hart", "Mitchell",
                 "Baker", "Lewis", "Foster", "Gray", "Holmes", "Nolan", "Garcia", "Nguyen",
                 "Brooks", "Sullivan", "Reyes", "Powell", "Hayes", "Kowalski", "Okafor", "Ali",
                 "Russo", "Chen", "Douglas", "Fraser", "Lloyd", "Quinn", "Rowe", "Sharma",
                 "Taylor", "Wright", "Young", "Barnes", "Carter", "Dixon", "Ellis", "Flynn",
                 "Gill", "Hunt", "Iqbal", "Jones", "McCarthy", "Whitfield", "Brennan",
                 "Lawson", "Pearce", "Sandoval", "Webb", "Mensah"),
    },
    "BR": {
        "f": ("Luana", "Camila", "Larissa", "Juliana", "Fernanda", "Aline", "Bianca", "Letícia",
              "Priscila", "Tatiane", "Daniela", "Patrícia", "Vanessa", "Débora", "Jéssica",
              "Ana", "Maria", "Beatriz", "Carla", "Rita", "Sandra", "Simone", "Renata",
              "Gabriela", "Lívia", "Thaís", "Adriana", "Cláudia", "Elaine", "Mônica"),
        "m": ("Thiago", "Lucas", "Rafael", "Gabriel", "Matheus", "Felipe", "Gustavo", "Leandro",
              "Rodrigo", "Vinícius", "Eduardo", "Renato", "Caio", "Marcelo", "Otávio", "João",
              "Pedro", "Bruno", "Paulo", "André", "Fábio", "Diego", "Henrique", "Júlio",
              "Márcio", "Wesley", "Alexandre", "Sérgio", "Leonardo", "Igor"),
        "last": ("Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira", "Ferreira", "Costa",
                 "Rodrigues", "Almeida", "Nascimento", "Carvalho", "Araújo", "Ribeiro", "Gomes",
                 "Barbosa", "Rocha", "Dias", "Moreira", "Cardoso", "Teixeira", "Cavalcanti",
                 "Mendes", "Freitas", "Barros", "Pinto", "Moura", "Campos", "Vieira",
                 "Monteiro", "Batista", "Rezende", "Castro", "Andrade", "Fernandes", "Nogueira",
                 "Machado", "Correia", "Martins", "Prado", "Siqueira", "Tavares"),
    },
    "PT": {
        "f": ("Ana", "Maria", "Beatriz", "Inês", "Mariana", "Sofia", "Carla", "Joana", "Rita",
              "Catarina", "Marta", "Filipa", "Raquel", "Helena", "Sara", "Teresa", "Leonor",
              "Mafalda", "Susana", "Cláudia", "Patrícia", "Andreia", "Diana", "Sónia", "Vera",
              "Luísa", "Graça", "Rosa", "Daniela", "Margarida"),
        "m": ("João", "Pedro", "Rui", "Tiago", "Miguel", "André", "Luís", "Ricardo", "Bruno",
              "Diogo", "Nuno", "Gonçalo", "Hugo", "Vítor", "Paulo", "Francisco", "Duarte",
              "Henrique", "Fábio", "Sérgio", "Jorge", "Manuel", "Carlos", "Filipe", "Tomás",
              "Rodrigo", "Hélder", "Fernando", "Marco", "Joaquim"),
        "last": ("Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues",
                 "Martins", "Sousa", "Fernandes", "Gonçalves", "Gomes", "Lopes", "Marques",
                 "Alves", "Almeida", "Ribeiro", "Pinto", "Carvalho", "Teixeira", "Moreira",
                 "Correia", "Mendes", "Nunes", "Soares", "Vieira", "Monteiro", "Cardoso",
                 "Rocha", "Neves", "Coelho", "Cruz", "Cunha", "Pires", "Ramos", "Reis",
                 "Simões", "Antunes", "Matos", "Fonseca", "Barbosa", "Azevedo"),
    },
}
# fmt: on


def pt_prep(prep: str, phrase: str) -> str:
    """Portuguese contractions: ``de`` + ``o forno`` is ``do forno``, ``por`` + ``a sala`` is
    ``pela sala``; a phrase without an article takes the bare preposition."""
    table = {"de": ("do", "da", "dos", "das"), "em": ("no", "na", "nos", "nas"),
             "por": ("pelo", "pela", "pelos", "pelas"), "a": ("ao", "à", "aos", "às")}  # fmt: skip
    for i, article in enumerate(("o ", "a ", "os ", "as ")):
        if phrase.startswith(article):
            return f"{table[prep][i]} {phrase[len(article) :]}"
    return f"{prep} {phrase}"


def pt_pra(phrase: str, american: bool) -> str:
    """ "para o forno" in Portugal, "pro forno" in Brazil (and "pra", "pros", "pras")."""
    if not american:
        return "para " + phrase
    for article, joined in (("o ", "pro "), ("a ", "pra "), ("os ", "pros "), ("as ", "pras ")):
        if phrase.startswith(article):
            return joined + phrase[len(article) :]
    return "pra " + phrase


def a_or_an(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" and not noun.lower().startswith("uni") else "a ") + noun  # fmt: skip


# --------------------------------------------------------------------------------------------
# The 24 businesses (hand-written profiles; people are drawn per tenant)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Business:
    number: int
    lang: str
    variant: str  # GB, IE, US, BR, PT
    zone: str
    business: str
    name: str
    owner: str
    client: tuple[str, str]  # singular, plural
    services: tuple[tuple[str, int, int], ...]  # name (pt: with its article), price range
    suppliers: tuple[tuple[str, str, str], ...]  # company, what they supply, how one asks
    roles: tuple[str, str, str]
    equipment: tuple[tuple[str, bool], ...]  # name (pt: with its article), feminine (pt)
    supplies: tuple[str, ...]
    tasks: tuple[str, ...]
    events: tuple[tuple[str, str, int], ...]  # full name, how one refers to it, days
    problem: tuple[str, str]  # the first report (a clause), how one refers to it later
    duties: tuple[tuple[str, str], ...]  # how the owner names it, how one asks about it
    site_main: str
    site2: tuple[str, str, str]  # what, where, the question
    back_street: str
    hours_day: int
    hours: tuple[tuple[int, int], ...]
    jobs: tuple[tuple[str, str, int, int, str], ...]  # who quotes, for what, range, unit
    messages: tuple[str, ...]  # what one tells a client
    client_cos: tuple[str, ...] = ()

    @property
    def american(self) -> bool:
        return self.variant in ("US", "BR")


# fmt: off
B = Business
BUSINESSES: tuple[Business, ...] = (
    B(1, "en", "GB", "europe", "a dental practice in Leeds", "Kirkstall Dental Care", "Helen",
      ("patient", "patients"),
      (("check-up", 45, 60), ("hygiene appointment", 55, 80), ("white filling", 120, 190),
       ("whitening course", 280, 380), ("crown", 550, 750)),
      (("Pennine Dental Supplies", "gloves, bibs and the rest of the consumables", "consumables"),
       ("Aire Valley Dental Lab", "crowns and dentures", "lab work")),
      ("hygienist", "receptionist", "dental nurse"),
      (("autoclave", False), ("compressor", False), ("intraoral scanner", False)),
      ("gloves", "bibs", "impression material", "fluoride varnish", "suction tips"),
      ("confirm tomorrow's patients", "send out the recall reminders", "check the autoclave log",
       "print the new consent forms", "call the lab about {customer}'s crown"),
      (("the dental showcase at the NEC", "the showcase", 3),
       ("the BDA conference in Manchester", "the conference", 2)),
      ("the compressor's started making a rattling noise", "the compressor noise"),
      (("the Instagram page", "our social media"), ("ordering stock", "stock orders"),
       ("the recall list", "recalls")),
      "14 Kirkstall Road", ("the Headingley surgery", "62 Otley Road", "where's our second surgery?"),
      "Morris Lane", 5, ((9, 13), (9, 14), (8, 12), (9, 12)),
      (("the builder", "refitting surgery 2", 6500, 9000, ""),
       ("the sign company", "the new sign over the door", 900, 1600, "")),
      ("their appointment is confirmed", "their lab work has arrived",
       "we need to move their appointment")),
    B(2, "en", "IE", "europe", "an artisan bakery in Dublin", "Rathmines Bakehouse", "Ciaran",
      ("customer", "customers"),
      (("wholesale bread order", 120, 380), ("birthday cake", 45, 90),
       ("catering platter", 60, 150), ("box of pastries", 18, 35)),
      (("Kilkenny Flour Mills", "the flour", "flour"),
       ("Liffey Packaging", "boxes and paper bags", "packaging")),
      ("head baker", "counter assistant", "delivery driver"),
      (("deck oven", False), ("dough mixer", False), ("proofer", False)),
      ("strong flour", "cake boxes", "paper bags", "butter", "rye flour"),
      ("ring Grove Café about their standing order", "check the proofer temperature",
       "put the weekend specials on the board", "send {customer} the catering menu",
       "order more cake boxes"),
      (("the Food & Drink Show at the RDS", "the food show", 3),
       ("the Bord Bia trade day", "the trade day", 1)),
      ("the walk-in fridge is struggling to stay cold", "the walk-in fridge problem"),
      (("the Instagram", "our social media"), ("the wholesale orders", "the café orders"),
       ("cashing up at night", "closing the till")),
      "Lower Rathmines Road",
      ("the prep kitchen", "Unit 4, Harold's Cross Enterprise Centre", "where's the prep kitchen again?"),
      "Wynnefield Road", 6, ((9, 14), (8, 13), (9, 15), (10, 14)),
      (("the shopfitter", "the new display counter", 3200, 5200, ""),
       ("the landlord", "renewing the lease", 2400, 3100, " a month")),
      ("their cake is ready for collection", "we're out of spelt loaves today",
       "their order will be delivered by 8"),
      ("Grove Café", "The Leinster Road Deli", "Portobello Coffee Co")),
    B(3, "pt", "PT", "europe", "a dental clinic in Porto", "Clínica Dentária Boavista", "Marta",
      ("paciente", "pacientes"),
      (("a consulta de rotina", 40, 55), ("a destartarização", 45, 65), ("a restauração", 70, 110),
       ("o branqueamento", 220, 320), ("a coroa", 450, 650)),
      (("Dentalnorte", "luvas, babetes e o resto dos consumíveis", "consumíveis"),
       ("Prótese Invicta", "as coroas e as próteses", "trabalhos de laboratório")),
      ("higienista", "rececionista", "assistente dentária"),
      (("a autoclave", True), ("o compressor", False), ("o scanner intraoral", False)),
      ("luvas", "babetes", "material de impressão", "verniz de flúor", "pontas de aspiração"),
      ("confirmar os pacientes de amanhã", "enviar os lembretes das revisões",
       "ver o registo da autoclave", "ligar ao laboratório por causa da coroa de {customer}",
       "imprimir os novos consentimentos informados"),
      (("a Expo Dentária em Lisboa", "a Expo", 3), ("o congresso da Ordem dos Médicos Dentistas", "o congresso", 2)),
      ("o compressor começou a fazer um barulho esquisito", "o barulho do compressor"),
      (("o Instagram", "as redes sociais"), ("as encomendas de material", "as compras de material"),
       ("a lista das revisões", "as chamadas de revisão")),
      "Avenida da Boavista, 1240",
      ("o consultório de Matosinhos", "a Rua Brito Capelo, 310, em Matosinhos", "onde fica o nosso outro consultório?"),
      "Rua de Cervantes", 5, ((9, 13), (9, 14), (10, 13), (9, 12)),
      (("o empreiteiro", "a remodelação do gabinete 2", 5500, 8500, ""),
       ("o senhorio", "a renovação do contrato de arrendamento", 1300, 1800, " por mês")),
      ("a consulta está confirmada", "o trabalho do laboratório já chegou",
       "temos de remarcar a consulta")),
    B(4, "en", "GB", "europe", "a family law firm in Manchester", "Ashworth Family Law", "Rebecca",
      ("client", "clients"),
      (("initial consultation", 150, 250), ("divorce application", 900, 1500),
       ("consent order", 600, 950), ("court hearing day", 1200, 2200), ("mediation session", 180, 300)),
      (("Northern Legal Stationers", "paper, toner and the bundles", "stationery"),
       ("Castlefield Couriers", "the court runs", "couriers")),
      ("paralegal", "legal secretary", "associate solicitor"),
      (("photocopier", False), ("scanner", False), ("phone system", False)),
      ("A4 paper", "toner", "bundle dividers", "envelopes"),
      ("file the Form A for {customer}", "send {customer} the client care letter",
       "check the court listings", "chase the other side's solicitors on the {customer} file",
       "update the time recording"),
      (("the Resolution conference in Harrogate", "the conference", 2),
       ("the Law Society's family law day", "the family law day", 1)),
      ("the heating in the meeting room keeps cutting out", "the meeting room heating"),
      (("the LinkedIn posts", "our LinkedIn"), ("new enquiries", "new client enquiries"),
       ("the archive boxes", "the file archive")),
      "3 St John's Street",
      ("our archive storage", "Unit 12, Trafford Park Self Store", "where do we keep the old files?"),
      "Byrom Street", 4, ((9, 17), (9, 16), (9, 15), (8, 16)),
      (("the IT company", "moving us to the new case system", 2500, 4800, ""),
       ("the landlord", "the new five-year lease", 3800, 5200, " a month")),
      ("their hearing date has been confirmed", "we need their signed statement",
       "their documents are ready to collect"),
      ("Hallam & Brook Mortgages", "the Stockport Family Centre", "Beacon Wealth Partners")),
    B(5, "en", "US", "us_central", "a boxing and fitness gym in Austin", "Eastside Boxing & Fitness", "Marcus",
      ("member", "members"),
      (("monthly membership", 89, 139), ("personal training package", 240, 420),
       ("kids' boxing term", 160, 260), ("drop-in class", 20, 30)),
      (("Lone Star Fitness Supply", "gloves, wraps and the bags", "gear"),
       ("Hill Country Water Co", "the water cooler bottles", "water")),
      ("head coach", "front desk manager", "kids' coach"),
      (("treadmill", False), ("rowing machine", False), ("air conditioning", False)),
      ("hand wraps", "16oz gloves", "cleaning spray", "towels", "chalk"),
      ("post the class schedule", "check the ring ropes", "call {customer} about the overdue dues",
       "order new jump ropes", "run the monthly billing report"),
      (("the fitness expo in Dallas", "the expo", 3), ("the Golden Gloves qualifier", "the qualifier", 2)),
      ("one of the showers in the men's locker room won't drain", "the locker room shower"),
      (("the Instagram", "our social media"), ("the kids' classes", "the children's program"),
       ("the free trial sign-ups", "trial members")),
      "1400 East 6th Street",
      ("the second location", "2210 South Lamar", "where's our other gym?"),
      "Onion Street", 5, ((8, 12), (9, 13), (8, 14), (9, 12)),
      (("the flooring guy", "the new rubber floor in the weights area", 7000, 11000, ""),
       ("the sign shop", "the new window graphics", 800, 1500, "")),
      ("their membership renews on Monday", "the class they booked is full", "their gloves have arrived"),
      ()),
    B(6, "pt", "BR", "brazil", "a bakery in São Paulo", "Padaria Pão da Vila", "Antônio",
      ("cliente", "clientes"),
      (("a encomenda de salgados", 180, 450), ("o bolo de aniversário", 120, 260),
       ("o café da manhã corporativo", 600, 1400), ("a cesta de café da manhã", 140, 220)),
      (("Moinho Paulista", "a farinha", "farinha"), ("Laticínios Serra Azul", "leite, manteiga e queijo", "laticínios"),
       ("Embalagens Vila Maria", "as embalagens", "embalagem")),
      ("padeiro", "atendente", "confeiteira"),
      (("o forno de lastro", False), ("a masseira", True), ("a câmara fria", True)),
      ("farinha", "fermento", "caixas de bolo", "sacos de papel", "manteiga"),
      ("ligar para a Dona Célia sobre a encomenda de sábado", "conferir a validade dos frios",
       "trocar o cardápio da vitrine", "mandar o orçamento do café da manhã para {customer}",
       "fazer o pedido de fermento"),
      (("a Fispal Food Service no Expo Center Norte", "a Fispal", 3), ("a vistoria da Vigilância Sanitária", "a vistoria", 1)),
      ("a câmara fria está demorando pra gelar", "o problema da câmara fria"),
      (("o Instagram", "as redes sociais"), ("as encomendas de festa", "os pedidos de festa"),
       ("o fechamento do caixa", "o caixa no fim do dia")),
      "Rua Cardeal Arcoverde, 980",
      ("a cozinha de produção", "a Rua Teodoro Sampaio, 2115, nos fundos", "onde fica a nossa cozinha de produção?"),
      "Rua Lisboa", 6, ((7, 13), (7, 12), (6, 13), (7, 14)),
      (("o marceneiro", "o balcão novo da vitrine", 6000, 9500, ""),
       ("o dono do imóvel", "a renovação do aluguel", 7500, 11000, " por mês")),
      ("a encomenda já está pronta", "o bolo sai às 16h", "a entrega vai atrasar um pouco"),
      ("Ferraz Advocacia", "Clínica Vida Leve", "Agência Pinheiros")),
    B(7, "en", "GB", "europe", "a hair salon in Brighton", "Kemptown Hair Studio", "Jade",
      ("client", "clients"),
      (("cut and blow-dry", 48, 65), ("full head of colour", 95, 140), ("balayage", 150, 210),
       ("keratin treatment", 180, 250), ("kids' cut", 18, 25)),
      (("Coast Salon Wholesale", "the colour and developers", "colour stock"),
       ("Sussex Towel Services", "the towels and gowns", "laundry")),
      ("senior stylist", "junior stylist", "receptionist"),
      (("backwash chair", False), ("steamer", False), ("card machine", False)),
      ("toner", "developer", "foils", "shampoo", "gowns"),
      ("confirm Saturday's bookings", "post the before-and-after pics", "order more foils",
       "text {customer} about the patch test", "sort the rota for next week"),
      (("Salon International at ExCeL", "Salon International", 3), ("the Wella colour course in London", "the colour course", 2)),
      ("one of the backwash taps keeps dripping", "the dripping tap"),
      (("the Instagram", "our socials"), ("the product orders", "stock"),
       ("the patch tests", "patch testing")),
      "27 St James's Street",
      ("the stock room", "Upper Rock Gardens, behind the Co-op", "where do we keep the spare stock?"),
      "Chesham Street", 5, ((9, 17), (9, 16), (8, 16), (9, 18)),
      (("the plumber", "moving the backwash basins", 1400, 2600, ""),
       ("the landlord", "the lease renewal", 1700, 2300, " a month")),
      ("their appointment is confirmed", "their colour needs a patch test first",
       "we have a cancellation tomorrow"),
      ()),
    B(8, "en", "GB", "europe", "a small digital marketing agency in London", "Northbank Digital", "Oliver",
      ("client", "clients"),
      (("monthly retainer", 2500, 4500), ("SEO audit", 900, 1600), ("website build", 6000, 12000),
       ("paid social campaign", 1500, 3000), ("brand workshop", 1200, 2000)),
      (("Fernwood Hosting", "the hosting and domains", "hosting"),
       ("Printhaus", "the printing", "print jobs")),
      ("account manager", "designer", "developer"),
      (("meeting room screen", False), ("office printer", False), ("server", False)),
      ("printer paper", "notebooks", "coffee pods", "HDMI cables"),
      ("send {customer} the monthly report", "book the retro with the team", "renew the Figma seats",
       "check the ad spend on the {customer} account", "chase the brief from {customer}"),
      (("Web Summit", "Web Summit", 3), ("the Brighton SEO conference", "Brighton SEO", 2)),
      ("the office wifi keeps dropping in the afternoons", "the wifi dropping"),
      (("the agency's LinkedIn", "our LinkedIn"), ("new business pitches", "pitches"),
       ("the freelancer invoices", "freelancer payments")),
      "Unit 5, 41 Great Sutton Street",
      ("the co-working desk", "Second Home, Hanbury Street", "where's the desk we rent in the east?"),
      "Berry Street", 4, ((9, 17), (9, 16), (10, 16), (9, 15)),
      (("the fit-out company", "the new meeting room", 8000, 14000, ""),
       ("the landlord", "renewing the office lease", 4200, 5600, " a month")),
      ("the report is ready", "the campaign goes live on Monday", "we need their feedback on the designs"),
      ("Halden Estates", "Brew & Barrel", "Kiln Architects", "Tidewater Insurance")),
    B(9, "pt", "PT", "europe", "a law firm in Lisbon", "Teixeira & Associados", "Sofia",
      ("cliente", "clientes"),
      (("a consulta inicial", 80, 150), ("o processo de divórcio", 900, 1600), ("a escritura", 350, 600),
       ("a avença mensal", 400, 900), ("o parecer", 600, 1200)),
      (("Papelaria Central do Chiado", "o papel, os toners e as capas", "material de escritório"),
       ("Estafetas Tejo", "as entregas no tribunal", "estafetas")),
      ("solicitadora", "secretária", "advogada estagiária"),
      (("a fotocopiadora", True), ("o scanner", False), ("a central telefónica", True)),
      ("papel A4", "toner", "capas de arquivo", "envelopes"),
      ("entregar a contestação do processo de {customer}", "enviar a nota de honorários a {customer}",
       "ver as notificações do Citius", "ligar ao colega da outra parte no processo de {customer}",
       "atualizar o registo de horas"),
      (("o Congresso dos Advogados Portugueses", "o congresso", 3), ("as jornadas de direito da família em Coimbra", "as jornadas", 2)),
      ("o ar condicionado da sala de reuniões está a pingar", "o ar condicionado da sala de reuniões"),
      (("o LinkedIn do escritório", "o LinkedIn"), ("os pedidos de novos clientes", "os contactos de novos clientes"),
       ("o arquivo morto", "os processos antigos")),
      "Avenida da Liberdade, 180, 4.º",
      ("o arquivo", "a Rua Castilho, 75, cave", "onde é que estão guardados os processos antigos?"),
      "Rua Rosa Araújo", 4, ((9, 18), (9, 17), (9, 16), (10, 17)),
      (("o empreiteiro", "as obras na receção", 7000, 12000, ""),
       ("o senhorio", "a renovação do arrendamento", 3200, 4500, " por mês")),
      ("a audiência foi marcada", "precisamos da procuração assinada", "os documentos estão prontos para levantar"),
      ("Imobiliária Atlântida", "Construções Vale do Sado", "Farmácia Estrela")),
    B(10, "en", "IE", "europe", "a car repair garage in Cork", "Doyle's Motors", "Eoin",
      ("customer", "customers"),
      (("full service", 180, 260), ("NCT prep", 90, 140), ("clutch replacement", 650, 950),
       ("brake job", 280, 420), ("diagnostic check", 60, 90)),
      (("Munster Motor Factors", "the parts", "parts"),
       ("Leeside Tyres", "the tyres", "tyres")),
      ("senior mechanic", "apprentice", "office manager"),
      (("ramp", False), ("diagnostic machine", False), ("tyre changer", False)),
      ("brake pads", "oil filters", "5W-30 oil", "wiper blades", "coolant"),
      ("ring {customer} about the quote for the clutch", "book the recovery truck for the Passat",
       "check the parts order from Munster", "chase {customer} for the balance", "update the job board"),
      (("the Autotrade show in Millstreet", "the show", 2), ("the RSA test centre audit", "the audit", 1)),
      ("the compressor for the air tools keeps tripping the fuse", "the compressor tripping"),
      (("the Facebook page", "our Facebook"), ("the NCT bookings", "NCT appointments"),
       ("the parts orders", "ordering parts")),
      "Unit 3, Kinsale Road Business Park",
      ("the second yard", "Carr's Hill, behind the Elm Tree pub", "where's the overflow yard?"),
      "Tramore Road", 5, ((9, 13), (9, 14), (8, 12), (9, 12)),
      (("the electrician", "rewiring the workshop", 3500, 5500, ""),
       ("the lad doing the signage", "the new sign on the roadside", 700, 1400, "")),
      ("their car is ready to collect", "we need to keep the car another day", "the part has arrived"),
      ("Cork City Taxis", "Bandon Vets", "O'Callaghan Builders")),
    B(11, "en", "GB", "europe", "a music school in Edinburgh", "Leith Music School", "Fiona",
      ("student", "students"),
      (("term of piano lessons", 240, 320), ("term of guitar lessons", 220, 300),
       ("trial lesson", 15, 25), ("summer music camp", 180, 260), ("holiday workshop", 90, 140)),
      (("Forth Music Supplies", "the strings, books and spare parts", "strings and books"),
       ("Caledonian Piano Services", "the piano tuning", "piano tuning")),
      ("piano teacher", "guitar teacher", "admin assistant"),
      (("upright piano", False), ("PA system", False), ("drum kit", False)),
      ("guitar strings", "exam books", "music stands", "drumsticks"),
      ("send the term dates to the parents", "book the hall for the concert",
       "remind {customer}'s parents about the exam", "print the practice diaries",
       "ring Forth about the order of exam books"),
      (("the Music Education Expo in London", "the expo", 2), ("the spring showcase concert", "the showcase", 1)),
      ("the radiator in room 3 isn't heating up", "the cold radiator in room 3"),
      (("the newsletter", "the parents' newsletter"), ("the exam entries", "exam entries"),
       ("the instrument hire", "hiring out instruments")),
      "88 Great Junction Street",
      ("the Saturday space", "St Thomas' church hall, Henderson Street", "where do the Saturday classes happen?"),
      "Cables Wynd", 5, ((9, 15), (9, 14), (10, 16), (9, 13)),
      (("the joiner", "soundproofing room 2", 2800, 4500, ""),
       ("the landlord", "the lease renewal", 1600, 2200, " a month")),
      ("lessons restart on Monday", "the exam date has come through", "there's no lesson next week"),
      ()),
    B(12, "pt", "BR", "brazil", "a gym in Belo Horizonte", "Academia Movimento", "Rafael",
      ("aluno", "alunos"),
      (("o plano mensal", 119, 179), ("o plano anual", 1100, 1600), ("o pacote de personal", 600, 1100),
       ("a avaliação física", 80, 140), ("a diária", 25, 40)),
      (("Fitmais Equipamentos", "os aparelhos e as peças", "peças de aparelho"),
       ("Água Mineral Serra Verde", "os galões de água", "água")),
      ("professor de musculação", "recepcionista", "professora de funcional"),
      (("a esteira", True), ("o ar-condicionado", False), ("a catraca", True)),
      ("toalhas", "álcool em gel", "galões de água", "elásticos", "borrifadores"),
      ("postar a grade de aulas da semana", "ligar para {customer} sobre a mensalidade atrasada",
       "ver a manutenção da esteira 4", "fazer o relatório de inadimplência", "trocar as toalhas do vestiário"),
      (("a Arnold Classic South America", "a Arnold", 3), ("a vistoria dos bombeiros", "a vistoria", 1)),
      ("o chuveiro do vestiário masculino está entupindo", "o chuveiro entupido"),
      (("o Instagram", "as redes sociais"), ("as aulas experimentais", "as aulas grátis de teste"),
       ("as matrículas novas", "as matrículas")),
      "Rua Pernambuco, 1022, Savassi",
      ("a unidade do Buritis", "a Avenida Professor Mário Werneck, 1540", "onde fica a nossa outra unidade?"),
      "Rua Alagoas", 5, ((8, 12), (8, 13), (9, 13), (8, 14)),
      (("o cara do piso", "o piso emborrachado novo", 12000, 19000, ""),
       ("o dono do imóvel", "a renovação do aluguel", 9000, 13000, " por mês")),
      ("a matrícula foi confirmada", "a aula de sábado foi cancelada", "a mensalidade vence amanhã"),
      ()),
    B(13, "en", "GB", "europe", "a physiotherapy practice in Bristol", "Clifton Physio", "Nathan",
      ("patient", "patients"),
      (("initial assessment", 60, 80), ("follow-up session", 45, 60), ("sports massage", 50, 70),
       ("acupuncture session", 50, 65), ("pilates block", 90, 130)),
      (("Avon Clinical Supplies", "the tape, couch roll and gels", "clinic supplies"),
       ("Severn Linen", "the towels and pillow covers", "laundry")),
      ("senior physio", "sports therapist", "receptionist"),
      (("ultrasound machine", False), ("treatment couch", False), ("shockwave machine", False)),
      ("couch roll", "kinesiology tape", "massage gel", "acupuncture needles"),
      ("send {customer} their exercise sheet", "check the insurer authorisations",
       "confirm tomorrow's assessments", "chase the GP letter for {customer}", "order more couch roll"),
      (("the Physiotherapy UK conference in Birmingham", "the conference", 2),
       ("the sports injury course in Bath", "the course", 2)),
      ("the hot water in the downstairs clinic room keeps going off", "the hot water problem"),
      (("the Instagram", "our social media"), ("the insurance claims", "insurer paperwork"),
       ("the pilates timetable", "pilates classes")),
      "19 Whiteladies Road",
      ("the Southville clinic", "Southville Centre, Beauley Road", "where's our other clinic room?"),
      "Aberdeen Road", 5, ((9, 13), (8, 13), (9, 14), (9, 12)),
      (("the builder", "the accessible toilet", 4000, 6500, ""),
       ("the landlord", "the new lease", 1900, 2600, " a month")),
      ("their appointment is confirmed", "we've had a cancellation this afternoon",
       "their insurer has approved more sessions"),
      ("Bristol Rugby Academy", "Harbourside Dance School", "Clifton College")),
    B(14, "en", "US", "us_east", "a florist in Boston", "Petal & Stem", "Lauren",
      ("customer", "customers"),
      (("wedding package", 1800, 3800), ("weekly office arrangement", 85, 140),
       ("sympathy arrangement", 90, 180), ("bouquet delivery", 55, 95), ("event centerpiece order", 600, 1400)),
      (("Bay State Flower Market", "the fresh flowers", "flowers"),
       ("New England Floral Supply", "vases, ribbon and foam", "vases and sundries")),
      ("lead designer", "delivery driver", "shop assistant"),
      (("walk-in cooler", False), ("delivery van", False), ("POS system", False)),
      ("ranunculus", "eucalyptus", "cylinder vases", "ribbon", "flower food"),
      ("confirm the wedding flowers for {customer}", "check the van's tire pressure",
       "send {customer} the mood board", "update the Valentine's menu", "call the flower market about the peonies"),
      (("the Boston Flower Show", "the flower show", 3), ("the wedding fair at the Seaport", "the wedding fair", 2)),
      ("the walk-in cooler's thermostat keeps jumping around", "the cooler thermostat"),
      (("the Instagram", "our social media"), ("the wedding consultations", "wedding inquiries"),
       ("the corporate accounts", "the office contracts")),
      "212 Newbury Street",
      ("the workshop", "40 Dorchester Avenue, South Boston (the back unit)", "where's our workshop?"),
      "Public Alley 434", 6, ((10, 15), (10, 14), (11, 16), (9, 14)),
      (("the contractor", "the new cooler", 6000, 9500, ""),
       ("the sign maker", "the new storefront sign", 1200, 2400, "")),
      ("their order is out for delivery", "their bouquet is ready for pickup",
       "we need to confirm the colors for the wedding"),
      ("Beacon Hill Dental", "the Lenox Hotel front desk", "Harborview Law")),
    B(15, "pt", "BR", "brazil", "a beauty salon in Curitiba", "Studio Bella", "Juliana",
      ("cliente", "clientes"),
      (("o corte com escova", 90, 150), ("a coloração", 180, 320), ("as luzes", 350, 550),
       ("a progressiva", 300, 480), ("o design de sobrancelha", 45, 70)),
      (("Beauty Sul Distribuidora", "as tintas e os oxidantes", "tinta e oxidante"),
       ("Lavanderia Bacacheri", "as toalhas e as capas", "lavanderia")),
      ("cabeleireira", "manicure", "recepcionista"),
      (("o lavatório", False), ("a maquininha de cartão", True), ("o ar-condicionado", False)),
      ("papel alumínio", "oxidante", "toalhas descartáveis", "luvas", "shampoo"),
      ("confirmar as clientes de sábado", "postar o antes e depois da {customer}",
       "pedir mais papel alumínio", "mandar mensagem para {customer} sobre o teste de mecha",
       "fazer a escala da semana que vem"),
      (("a Beauty Fair em São Paulo", "a Beauty Fair", 3), ("o curso de colorimetria da L'Oréal", "o curso", 2)),
      ("a torneira de um dos lavatórios está pingando sem parar", "a torneira pingando"),
      (("o Instagram", "as redes sociais"), ("os pedidos de produto", "o estoque"),
       ("os agendamentos do WhatsApp", "a agenda do WhatsApp")),
      "Rua Padre Anchieta, 1730, Bigorrilho",
      ("o estoque", "o Edifício Champagnat, sala 12", "onde fica o nosso estoque?"),
      "Rua Martim Afonso", 5, ((9, 18), (9, 17), (8, 16), (9, 19)),
      (("o encanador", "a troca dos lavatórios", 2500, 4500, ""),
       ("a dona do imóvel", "a renovação do aluguel", 4500, 6500, " por mês")),
      ("o horário está confirmado", "tivemos uma desistência amanhã à tarde", "o produto que ela pediu chegou"),
      ()),
    B(16, "en", "GB", "europe", "a neighbourhood café in Glasgow", "The Wee Corner Café", "Ewan",
      ("customer", "customers"),
      (("catering order", 90, 260), ("office lunch platter", 60, 140), ("private hire evening", 350, 700),
       ("birthday cake", 35, 60)),
      (("Clyde Coffee Roasters", "the coffee beans", "coffee"),
       ("Southside Fruit & Veg", "the fruit and veg", "veg")),
      ("barista", "cook", "front of house"),
      (("espresso machine", False), ("dishwasher", False), ("chest freezer", False)),
      ("oat milk", "takeaway cups", "coffee beans", "napkins", "sourdough"),
      ("order more oat milk", "update the specials board", "ring {customer} about the catering order",
       "check the food hygiene records", "sort the rota for the weekend"),
      (("the Scottish Café & Bakery show at the SEC", "the café show", 2), ("the environmental health inspection", "the inspection", 1)),
      ("the dishwasher is leaving everything greasy", "the dishwasher problem"),
      (("the Instagram", "our socials"), ("the catering orders", "catering"),
       ("the stock check", "stock")),
      "Dumbarton Road, Partick",
      ("the storage lock-up", "the Byres Road lane lock-ups, number 6", "where do we keep the extra stock?"),
      "Purdon Street", 6, ((9, 15), (10, 15), (9, 14), (10, 16)),
      (("the joiner", "the new bench seating", 1500, 2800, ""),
       ("the landlord", "renewing the lease", 1300, 1900, " a month")),
      ("their order is ready", "we're closed on Monday for the holiday", "the cake will be ready at 2"),
      ("Partick Housing Association", "Kelvin Physio", "the Hillhead Bookclub")),
    B(17, "en", "US", "us_east", "a yoga studio in Brooklyn", "Greenpoint Yoga", "Maya",
      ("student", "students"),
      (("10-class pack", 180, 240), ("unlimited monthly", 150, 210), ("private session", 110, 160),
       ("teacher training course", 2800, 3600), ("weekend workshop", 45, 85)),
      (("Hudson Mat Co", "the mats, blocks and straps", "props"),
       ("Greenpoint Linen", "the towels", "towels")),
      ("studio manager", "lead teacher", "front desk assistant"),
      (("sound system", False), ("heating system", False), ("check-in tablet", False)),
      ("mat spray", "blocks", "straps", "bolsters", "eye pillows"),
      ("post next week's schedule", "email the teacher training applicants",
       "check the sub list for Sunday", "ask {customer} for a testimonial", "order more mat spray"),
      (("the Yoga Journal conference in the city", "the conference", 2), ("the building's fire inspection", "the fire inspection", 1)),
      ("the radiator in the big studio is hissing", "the hissing radiator"),
      (("the Instagram", "our social media"), ("the teacher sub requests", "subs"),
       ("the workshop bookings", "workshops")),
      "112 Franklin Street, Greenpoint",
      ("the second studio", "35 Meserole Avenue, second floor", "where's our other studio?"),
      "Noble Street", 6, ((8, 13), (9, 13), (8, 12), (9, 14)),
      (("the contractor", "redoing the floors in the big studio", 9000, 15000, ""),
       ("the landlord", "the lease renewal", 6500, 8500, " a month")),
      ("the class is full", "their membership renews on Monday", "the workshop has moved to Sunday"),
      ()),
    B(18, "pt", "PT", "europe", "a car repair garage in Braga", "Oficina Auto Sameiro", "José",
      ("cliente", "clientes"),
      (("a revisão completa", 150, 240), ("a preparação para a inspeção", 60, 110),
       ("a embraiagem", 550, 900), ("as pastilhas e discos", 220, 380), ("o diagnóstico", 40, 70)),
      (("Autopeças Minho", "as peças", "peças"), ("Pneus Cávado", "os pneus", "pneus")),
      ("mecânico-chefe", "aprendiz", "administrativa"),
      (("o elevador", False), ("a máquina de diagnóstico", True), ("a máquina de pneus", True)),
      ("pastilhas de travão", "filtros de óleo", "óleo 5W30", "escovas", "líquido de refrigeração"),
      ("ligar a {customer} por causa do orçamento da embraiagem", "marcar o reboque para o Golf",
       "ver a encomenda da Autopeças Minho", "cobrar o resto a {customer}", "atualizar o quadro dos trabalhos"),
      (("a Expomecânica na Exponor", "a Expomecânica", 3), ("a auditoria do IMT", "a auditoria", 1)),
      ("o compressor das ferramentas está sempre a disparar o quadro", "o compressor a disparar"),
      (("a página do Facebook", "o Facebook"), ("as marcações para a inspeção", "as inspeções"),
       ("as encomendas de peças", "as peças")),
      "Rua do Sameiro, 455",
      ("o segundo parque", "o terreno atrás do café Avenida, na Rua de São Martinho", "onde fica o parque de carros extra?"),
      "Travessa da Igreja", 5, ((9, 13), (9, 12), (8, 13), (9, 14)),
      (("o eletricista", "a instalação elétrica nova da oficina", 3000, 5000, ""),
       ("o rapaz dos reclamos", "o reclamo luminoso novo", 700, 1400, "")),
      ("o carro está pronto", "o carro tem de ficar mais um dia", "a peça já chegou"),
      ("Bracara Táxis", "Construções Gualtar", "Clínica Veterinária São Vicente")),
    B(19, "en", "GB", "europe", "a veterinary clinic in Cardiff", "Roath Vets", "Gwen",
      ("client", "clients"),
      (("vaccination", 45, 65), ("consultation", 40, 55), ("dental procedure", 320, 520),
       ("neutering op", 180, 320), ("health plan", 14, 22)),
      (("Cambrian Vet Wholesale", "the drugs and consumables", "drugs and consumables"),
       ("Taff Valley Clinical Waste", "the clinical waste collection", "clinical waste")),
      ("head nurse", "receptionist", "locum vet"),
      (("X-ray machine", False), ("anaesthetic machine", False), ("autoclave", False)),
      ("syringes", "flea treatment", "surgical gloves", "cat food samples", "bandages"),
      ("ring {customer} with the blood results", "send the vaccine reminders",
       "check the controlled drugs register", "confirm tomorrow's ops list", "order more flea treatment"),
      (("the London Vet Show at ExCeL", "the vet show", 2), ("the RCVS practice inspection", "the inspection", 1)),
      ("the kennel room's extractor fan is making a grinding noise", "the extractor fan noise"),
      (("the Facebook page", "our Facebook"), ("the health plan sign-ups", "health plans"),
       ("the lab samples", "sending samples off")),
      "141 City Road",
      ("the Penylan branch", "88 Wellfield Road", "where's our other branch?"),
      "Cowbridge Lane", 5, ((9, 13), (9, 12), (8, 12), (9, 14)),
      (("the builder", "the new isolation ward", 8000, 12000, ""),
       ("the landlord", "the lease renewal", 2200, 3000, " a month")),
      ("their pet's vaccination is due", "the results are back", "their pet is ready to collect"),
      ("Cardiff Dogs Home", "Roath Kennels")),
    B(20, "en", "US", "us_central", "a plumbing and heating company in Chicago", "Kowalczyk Plumbing & Heating", "Mike",
      ("customer", "customers"),
      (("water heater install", 1400, 2600), ("drain cleaning", 180, 350), ("boiler service", 220, 380),
       ("emergency call-out", 250, 450), ("bathroom rough-in", 3500, 6500)),
      (("Lakeshore Plumbing Supply", "the fittings and pipe", "parts"),
       ("Midwest Water Heater Distributors", "the water heaters", "water heaters")),
      ("lead plumber", "apprentice", "dispatcher"),
      (("drain camera", False), ("service van", False), ("jetter", False)),
      ("PEX fittings", "ball valves", "flux", "solder", "wax rings"),
      ("call {customer} back about the estimate", "get the van's oil changed", "renew the city license",
       "check the permit for the {customer} job", "order a 50-gallon heater"),
      (("the AHR Expo at McCormick Place", "the AHR Expo", 3), ("the city license audit", "the audit", 1)),
      ("the shop's back door lock keeps sticking", "the sticking back door"),
      (("the Google reviews", "our online reviews"), ("the emergency calls", "the after-hours line"),
       ("the permits", "city permits")),
      "4120 West Belmont Avenue",
      ("the parts storage", "3318 North Pulaski Road", "where do we keep the spare parts?"),
      "the alley off Keeler", 5, ((8, 12), (7, 12), (8, 13), (9, 12)),
      (("the body shop", "wrapping the new van", 2800, 4200, ""),
       ("the landlord", "renewing the shop lease", 3200, 4200, " a month")),
      ("the tech is on the way", "we need to reschedule the visit", "the part has come in"),
      ("Belmont Property Management", "Sunrise Senior Living", "Avondale Dental")),
    B(21, "pt", "BR", "brazil", "a language school in Recife", "Connect Idiomas", "Patrícia",
      ("aluno", "alunos"),
      (("a mensalidade do inglês", 320, 480), ("a mensalidade do espanhol", 280, 420),
       ("o curso intensivo de férias", 800, 1400), ("a taxa de matrícula", 100, 180), ("a aula particular", 90, 150)),
      (("Livraria Boa Viagem", "os livros didáticos", "livros"), ("Gráfica Capibaribe", "os panfletos e os certificados", "material impresso")),
      ("professora de inglês", "professor de espanhol", "secretária"),
      (("o projetor da sala 1", False), ("o ar-condicionado", False), ("a impressora", True)),
      ("livros do nível 2", "certificados", "pincéis de quadro branco", "apagadores"),
      ("mandar o calendário de provas para os pais", "ligar para {customer} sobre a rematrícula",
       "imprimir os certificados do semestre", "conferir a folha de ponto", "postar a promoção de matrícula"),
      (("a feira de intercâmbio no Recife Expo Center", "a feira de intercâmbio", 2), ("o evento da Cambridge em São Paulo", "o evento da Cambridge", 2)),
      ("o ar-condicionado da sala 2 está vazando água", "o vazamento do ar da sala 2"),
      (("o Instagram", "as redes sociais"), ("as rematrículas", "a renovação das matrículas"),
       ("as provas de nivelamento", "os testes de nível")),
      "Rua Padre Carapuceiro, 733, Boa Viagem",
      ("a unidade das Graças", "a Rua das Creoulas, 250", "onde fica a nossa outra unidade?"),
      "Rua Setúbal", 5, ((8, 12), (8, 13), (9, 12), (8, 14)),
      (("o marceneiro", "os armários novos das salas", 4500, 8000, ""),
       ("o dono do imóvel", "a renovação do aluguel", 6000, 9000, " por mês")),
      ("as aulas voltam na segunda", "a prova foi remarcada", "o certificado está pronto"),
      ("Construtora Beira Mar", "Clínica Santa Clara", "Escola Nova Aurora")),
    B(22, "en", "IE", "europe", "a wedding photography studio in Galway", "Saltwater Studio", "Niall",
      ("couple", "couples"),
      (("full-day wedding package", 2200, 3400), ("engagement shoot", 250, 400),
       ("wedding album", 450, 900), ("elopement package", 900, 1500), ("family portrait session", 180, 300)),
      (("Atlantic Print Lab", "the prints and albums", "albums and prints"),
       ("Connacht Camera Hire", "the lens and drone hire", "gear hire")),
      ("second shooter", "editor", "studio assistant"),
      (("drone", False), ("studio lights", False), ("editing workstation", False)),
      ("SD cards", "album boxes", "batteries", "backdrop paper"),
      ("send {customer} the gallery link", "back up the weekend's cards", "confirm the timeline with {customer}",
       "order the album for {customer}", "check the drone licence renewal"),
      (("the Wedding Journal show in Dublin", "the wedding show", 2), ("the Galway wedding fair at the Salthill Hotel", "the wedding fair", 1)),
      ("the studio roof is leaking again over the backdrop", "the roof leak"),
      (("the Instagram", "our social media"), ("the album design", "albums"),
       ("enquiries from the website", "new enquiries")),
      "Dominick Street Upper",
      ("the editing office", "Main Street, Oranmore, over the bookshop", "where's the editing office?"),
      "Raven Terrace", 5, ((10, 16), (10, 14), (11, 17), (9, 13)),
      (("the builder", "fixing the studio roof", 2500, 4200, ""),
       ("the web designer", "the new website", 1800, 3200, "")),
      ("their gallery is ready", "the album proofs are ready to check", "we need the final timeline"),
      ("The Twelve Hotel", "Ballynahinch Castle", "Connemara Coast Hotel")),
    B(23, "en", "US", "us_pacific", "a bicycle shop and repair workshop in Portland", "Spoke & Chain Cycles", "Jenna",
      ("customer", "customers"),
      (("full tune-up", 110, 160), ("wheel build", 250, 450), ("bike fit", 150, 250),
       ("e-bike service", 140, 220), ("flat repair", 15, 25)),
      (("Cascade Bike Distributors", "the parts and tires", "parts"),
       ("Willamette E-Bikes", "the e-bikes", "e-bikes")),
      ("head mechanic", "sales associate", "junior mechanic"),
      (("truing stand", False), ("e-bike diagnostic tool", False), ("card reader", False)),
      ("inner tubes", "brake pads", "chain lube", "cables", "handlebar tape"),
      ("call {customer} when the wheel build is done", "update the rental fleet list",
       "order more inner tubes", "post the group ride on Instagram", "check the e-bike battery recall list"),
      (("the Sea Otter Classic in Monterey", "Sea Otter", 3), ("the Handmade Bike Show in Portland", "the bike show", 2)),
      ("the roll-up door at the back keeps jamming", "the jammed roll-up door"),
      (("the Instagram", "our social media"), ("the rentals", "bike rentals"),
       ("the group rides", "the Saturday rides")),
      "2300 SE Hawthorne Boulevard",
      ("the storage unit", "StorQuest on SE Powell, unit 118", "where's our storage unit?"),
      "SE 23rd Avenue", 6, ((10, 16), (10, 15), (11, 17), (10, 14)),
      (("the contractor", "the new workshop bench", 2200, 3800, ""),
       ("the landlord", "the lease renewal", 3800, 5200, " a month")),
      ("their bike is ready for pickup", "the part is backordered", "the bike fit is confirmed"),
      ("Portland Bike Couriers", "Hawthorne Coffee", "the Reed College outdoor club")),
    B(24, "pt", "PT", "europe", "a veterinary clinic in Coimbra", "Clínica Veterinária do Mondego", "Ricardo",
      ("cliente", "clientes"),
      (("a vacinação", 35, 55), ("a consulta", 30, 45), ("a castração", 150, 280),
       ("a destartarização", 180, 320), ("o plano de saúde", 15, 25)),
      (("VetCentro Distribuição", "os medicamentos e consumíveis", "medicamentos"),
       ("Ambimed Resíduos", "a recolha dos resíduos hospitalares", "resíduos")),
      ("enfermeira", "rececionista", "veterinário assistente"),
      (("o raio-X", False), ("a máquina de anestesia", True), ("a autoclave", True)),
      ("seringas", "desparasitantes", "luvas cirúrgicas", "ligaduras", "ração de convalescença"),
      ("ligar a {customer} com os resultados das análises", "enviar os lembretes das vacinas",
       "ver o registo dos estupefacientes", "confirmar as cirurgias de amanhã", "encomendar mais desparasitantes"),
      (("o congresso veterinário em Lisboa", "o congresso", 2), ("a inspeção da DGAV", "a inspeção", 1)),
      ("o extrator do internamento está a fazer um barulho de raspar", "o barulho do extrator"),
      (("a página do Facebook", "o Facebook"), ("os planos de saúde", "os planos de saúde dos animais"),
       ("as análises para o laboratório", "as amostras")),
      "Avenida Fernão de Magalhães, 522",
      ("a clínica de Celas", "a Rua Augusta, 36, em Celas", "onde fica a nossa outra clínica?"),
      "Rua da Figueira da Foz", 5, ((9, 13), (9, 12), (10, 13), (9, 14)),
      (("o empreiteiro", "a sala de isolamento nova", 7000, 11000, ""),
       ("o senhorio", "a renovação do arrendamento", 1400, 2000, " por mês")),
      ("a vacina do animal está a vencer", "os resultados já chegaram", "o animal já pode ir para casa"),
      ("Associação Patas do Mondego", "Quinta Canina do Penedo")),
)
# fmt: on


# --------------------------------------------------------------------------------------------
# Ordinary traffic: what owners ask all day (templates; {slots} are filled per exchange)
# --------------------------------------------------------------------------------------------

Alt = tuple[tuple[str, ...], tuple[str, ...]]  # the owner's phrasings, the assistant's replies
Step = tuple[Alt, ...]  # one exchange: one of its alternatives is drawn


@dataclass(frozen=True)
class Intent:
    kind: str
    weight: int
    scripts: tuple[tuple[Step, ...], ...]  # a script is one or more exchanges in a row
    hosts_facts: bool = False  # its one-exchange scripts may carry a fact said in passing

    def __post_init__(self) -> None:
        # A script written as a bare exchange is a script of one exchange.
        scripts = tuple((s,) if isinstance(s[0][0][0], str) else s for s in self.scripts)
        object.__setattr__(self, "scripts", scripts)


def step(users: Sequence[str], replies: Sequence[str]) -> Step:
    return ((tuple(users), tuple(replies)),)


def choice(*alts: tuple[Sequence[str], Sequence[str]]) -> Step:
    return tuple((tuple(u), tuple(r)) for u, r in alts)


# fmt: off
OPS_EN: tuple[Intent, ...] = (
    Intent("reminder", 7, (
        (step(["remind me to {task} {when}", "can you remind me {when} to {task}?",
               "set a reminder {when}: {task}", "don't let me forget to {task} {when}",
               "reminder {when} — {task}", "I need to {task} {when}, remind me please",
               "pop a reminder in {when} to {task}", "stick a reminder in: {task}, {when}"],
              ["Done — I'll remind you {when} to {task}.", "Reminder set: {task}, {when}.",
               "OK, I'll ping you {when}.", "Got it: {task}, {when}.",
               "Saved. You'll get a nudge {when}."]),),
        (step(["remind me to {task}", "can you set me a reminder to {task}?"],
              ["Sure — when would you like it?", "Of course. For when?"]),
         step(["{when}", "{when} is fine", "make it {when}"],
              ["Done, I'll remind you {when}.", "Set — you'll get it {when}."])),
    ), hosts_facts=True),
    Intent("reminder_cancel", 1, (
        step(["cancel the reminder to {task}", "I don't need the reminder to {task} any more"],
             ["Cancelled.", "Done — that reminder's gone.", "Removed it."]),
    )),
    Intent("billing", 4, (
        (step(["list overdue charges", "who still owes us money?", "what's overdue right now?",
               "any unpaid invoices I should know about?", "show me the late payers",
               "how much is outstanding at the moment?", "overdue list please",
               "what's still unpaid from last month?"],
              ["{n_over} overdue: {overdue_list}. Total {total_over}.",
               "Here's what's overdue — {overdue_list}. That's {total_over} altogether.",
               "Right now: {overdue_list}. {total_over} in total."]),),
        (step(["anything overdue?", "who hasn't paid yet?", "what's outstanding?"],
              ["{n_over} overdue: {overdue_list}. Want me to send reminders?",
               "{overdue_list}. Shall I chase them?"]),
         choice((["yes, send them all", "yes please", "go for it"],
                 ["Reminders sent.", "Done — {n_over} reminders sent."]),
                (["yes, but leave {over_first} out, they promised to pay this week",
                  "send them, except {over_first} — I'll call {over_person?him/her} myself"],
                 ["Sent to the others; I've left {over_first} out.",
                  "Done. {over_first} is excluded this time."]),
                (["not yet, I'll ⟨call|ring⟩ them myself", "no, leave it until Friday"],
                 ["OK, I'll leave them for now.", "No problem, nothing sent."]))),
    )),
    Intent("lead", 4, (
        (step(["create a lead for {lead}, phone {phone}",
               "new lead: {lead}, {phone}, interested in {service}",
               "add {lead} as a lead, they called asking about {a_service}. Number is {phone}",
               "can you log a lead? {lead}, wants {a_service}, {phone}",
               "{lead} came in asking about {service} prices, add as a lead — {phone}",
               "lead for you: {lead}, {phone}. Follow up next week"],
              ["Lead created: {lead}, {phone}.",
               "Added {lead} to the leads. Want me to schedule a follow-up?",
               "Done — {lead_first} is in the CRM as a new lead."]),),
        (step(["new lead: {lead}, interested in {a_service}",
               "add a lead — {lead}, asking about {a_service}"],
              ["Got it. Do you have a number or email for {lead_first}?",
               "Sure. Any contact details for {lead_first}?"]),
         step(["{phone}", "number's {phone}", "⟨cell|mobile⟩ {phone}, no email"],
              ["Saved {lead} with {phone}.", "Done — {lead}, {phone}. Shall I send a welcome message?"])),
    ), hosts_facts=True),
    Intent("charge", 4, (
        (step(["charge {customer} {amount} for the {service}",
               "create a charge for {customer}: {service}, {amount}",
               "bill {customer} for the {service}, {amount}, due in {due_days} days",
               "add a charge of {amount} to {cfirst}'s account for the {service}",
               "can you invoice {customer}? {service}, {amount}",
               "{customer} — {service}, {amount}. Send the invoice please"],
              ["Charge created: {customer}, {amount_a} for the {service}.",
               "Done — {amount_a} charged to {customer}.",
               "Invoice sent to {customer} for {amount_a}. I'll flag it if it goes overdue."]),),
    ), hosts_facts=True),
    Intent("charge_which", 1, (
        (step(["charge {cfirst} for the {service}, {amount}"],
              ["I have two {cfirst_pl} — {customer} and {cfirst} {alt_last}. Which one?"]),
         step(["{customer}", "{cfirst} {customer_last}, the first one", "the first one"],
              ["Charged {customer} {amount_a}.", "Done — {amount_a} to {customer}."])),
    )),
    Intent("payment", 4, (
        choice((["{customer} paid {amount}, mark it as paid", "got a transfer from {customer}, {amount}",
                 "{cfirst} paid today, {amount}", "mark {customer}'s invoice as paid please",
                 "payment in from {customer}: {amount} by card"],
                ["Marked as paid: {customer}, {amount_a}.",
                 "Recorded {amount_a} from {customer}. Their balance is now zero.",
                 "Payment logged — {cfirst} is all settled."]),
               (["{customer} says they paid yesterday, can you check?",
                 "did {customer}'s payment come through?"],
                ["Yes, {amount_a} came in from {customer} yesterday afternoon. Marked as paid.",
                 "Nothing from {customer} yet — the last payment was on {past_date}. Want me to send them the details again?"])),
    ), hosts_facts=True),
    Intent("diary", 5, (
        choice((["book a meeting with {person} {meet_when}", "put {person} in the ⟨calendar|diary⟩ {meet_when}",
                 "can you fit {person} in {meet_when}?"],
                ["Booked: {person}, {meet_when}.", "Done — {person} is in the ⟨calendar|diary⟩ {meet_when}.",
                 "You're free then, so {person} is booked in."]),
               (["schedule a call with {supplier} {meet_when}", "set up a call with someone at {supplier} {meet_when}"],
                ["Call with {supplier} booked, {meet_when}.", "Done, {meet_when} with {supplier}."]),
               (["can you block {block_when} for {block}?", "block out {block_when}, I've got {block}"],
                ["Blocked: {block_when}, {block}.", "Done, {block_when} is blocked."]),
               (["what have I got tomorrow?", "what's on my agenda for {weekday}?",
                 "what does {weekday} look like?"],
                ["You've got {agenda_list}.", "{agenda_list_cap}. Nothing else.",
                 "Just {agenda_list}."]),
               (["anything in the ⟨calendar|diary⟩ tomorrow afternoon?", "what's on tomorrow afternoon?"],
                ["You've got {agenda_pm}.", "Just {agenda_pm}.", "{agenda_pm_cap}, that's it."]),
               (["move my {time} with {person} to {weekday}", "can you push {person} to {weekday}, same time?"],
                ["Moved {person} to {weekday}, same time. Want me to let them know?",
                 "Done — {person} is now on {weekday}."]),
               (["cancel the meeting with {person} on {weekday}", "I can't do {person} on {weekday}, cancel it please"],
                ["Cancelled. I've sent {person} a note.", "Done, it's off the ⟨calendar|diary⟩. Shall I offer another slot?"])),
    ), hosts_facts=True),
    Intent("contract", 2, (
        choice((["draft a contract for {customer} for the {service_big}, {amount_big}, paid in {months} ⟨installments|instalments⟩",
                 "can you do a contract for {customer}? {service_big}, {amount_big}, {months} ⟨installments|instalments⟩"],
                ["Draft ready for {customer}: {service_big}, {amount_big_a} in {months} ⟨installments|instalments⟩. Shall I send it for signature?"]),
               (["when does {customer}'s contract end?", "how long has {customer} got left on the contract?"],
                ["{customer}'s contract runs until {date_future}.", "Until {date_future}."]),
               (["send {customer} the contract to sign", "get the contract over to {customer} for signing"],
                ["Sent to {customer} for signature. I'll tell you when it's signed."]),
               (["has {customer} signed yet?", "did {cfirst} sign the contract?"],
                ["Not yet — it went out {days_ago} days ago. Want me to nudge them?",
                 "Yes, signed this morning."]),
               (["renew {customer}'s contract for another year, same terms"],
                ["Renewal drafted for {customer}: 12 months, same terms. Send it?"])),
    )),
    Intent("customer", 3, (
        choice((["update {customer}'s phone to {phone}", "{customer} has a new number: {phone}"],
                ["Updated — {customer}: {phone}.", "Done, new number saved for {cfirst}."]),
               (["what's {customer}'s email?", "have we got an email for {customer}?"],
                ["It's {email}.", "Yes — {email}."]),
               (["how many new {clients} this month?", "how many new {clients} have we had this month?"],
                ["{new_cur} so far this month, against {new_prev} last month.", "{new_cur} new {clients} this month."]),
               (["add a note on {customer}: {note}", "note on {cfirst}'s file — {note}"],
                ["Note added to {customer}.", "Done."]),
               (["find {cfirst}... surname starts with {initial} I think", "who's the {cfirst} with the {initial} surname?"],
                ["That'll be {customer} — last activity on {past_date}.", "{customer}. Want their details?"]),
               (["is {customer} still active?", "when did we last see {customer}?"],
                ["Yes — last activity on {past_date}.", "Last time was {past_date}."])),
    )),
    Intent("numbers", 3, (
        choice((["how much did we bill last month?", "what did we invoice in {month_prev}?"],
                ["{month_prev}: {billed_prev} billed, {paid_prev} of it paid so far.",
                 "In {month_prev} you billed {billed_prev}; {paid_prev} has come in."]),
               (["what came in this week?", "how much have we taken this week?"],
                ["{taken_week} received this week across {n2} payments.", "{taken_week} so far this week."]),
               (["revenue so far this month?", "how are we doing this month?"],
                ["{billed_cur} so far in {month_cur}.", "{billed_cur} billed in {month_cur} so far, {n2} charges."]),
               (["compare {month_prev} with {month_prev2}", "was {month_prev} better than {month_prev2}?"],
                ["{month_prev}: {billed_prev}. {month_prev2}: {billed_prev2}.",
                 "{month_prev} came in at {billed_prev} against {billed_prev2} in {month_prev2}."]),
               (["what's our average ticket at the moment?", "average charge lately?"],
                ["{avg} per charge over the last 30 days.", "About {avg}."]),
               (["how many {clients} came in last week?", "how busy were we last week?"],
                ["{seen_prev} last week, {seen_prev2} the week before.", "{seen_prev} {clients} last week."])),
    )),
    Intent("message", 3, (
        choice((["send {customer} a message that {msg}", "let {customer} know {msg}",
                 "message {cfirst} to say {msg}"],
                ["Message sent to {customer}.", "Done, {cfirst} has been told.", "Sent."]),
               (["text {cfirst} to confirm {weekday} at {time}", "ask {customer} to confirm {weekday} at {time}"],
                ["Sent — asked {cfirst} to confirm {weekday} at {time}.", "Done. I'll tell you when they reply."])),
    ), hosts_facts=True),
    Intent("order", 2, (
        choice((["order more {supply}", "we're low on {supply}, can you put an order in?",
                 "add {supply} to the next order", "we need {supply}, can you order some?"],
                ["Order placed: {supply}.", "Added {supply} to the next order — it goes out {weekday_on}.",
                 "Done, {supply} ordered."]),),
    ), hosts_facts=True),
    Intent("chat", 1, (
        step(["what a week", "so tired today", "⟨it's pouring here|it's chucking it down here⟩",
              "we were slammed this morning", "the coffee machine died again", "quiet one today",
              "mad busy today", "long day"],
             ["Sounds like a lot! Anything I can take off your plate?",
              "Hang in there. I'm here if you need anything.", "Ha — hope it settles down.",
              "Fingers crossed the rest of the day is calmer."]),
    )),
)

OPS_PT: tuple[Intent, ...] = (
    Intent("reminder", 7, (
        (step(["⟨me lembra|lembra-me⟩ de {task} {when}", "⟨pode me lembrar|podes lembrar-me⟩ {when} de {task}?",
               "cria um lembrete: {task}, {when}", "⟨não me deixa esquecer|não me deixes esquecer⟩ de {task} {when}",
               "lembrete {when}: {task}", "⟨preciso|preciso de⟩ {task} {when}, ⟨me avisa|avisa-me⟩ por favor",
               "⟨coloca|põe⟩ um lembrete {when} ⟨pra|para⟩ {task}"],
              ["Feito — ⟨vou te lembrar|vou lembrar-te⟩ {when} de {task}.", "Lembrete criado: {task}, {when}.",
               "Ok, ⟨te aviso|aviso-te⟩ {when}.", "Anotado: {task}, {when}.",
               "Combinado, ⟨você recebe|recebes⟩ um aviso {when}."]),),
        (step(["⟨me lembra|lembra-me⟩ de {task}", "⟨pode criar|podes criar⟩ um lembrete ⟨pra|para⟩ {task}?"],
              ["Claro — ⟨pra|para⟩ quando?", "Com certeza. Quando?"]),
         step(["{when}", "{when}, pode ser", "{when} ⟨tá bom|está bem⟩"],
              ["Pronto, ⟨te aviso|aviso-te⟩ {when}.", "Feito, lembrete criado — {when}."])),
    ), hosts_facts=True),
    Intent("reminder_cancel", 1, (
        step(["cancela o lembrete de {task}", "já não preciso do lembrete de {task}"],
             ["Cancelado.", "Feito — lembrete apagado.", "Pronto, tirei."]),
    )),
    Intent("billing", 4, (
        (step(["lista as cobranças em atraso", "quem ainda ⟨está devendo|está a dever⟩?", "o que ⟨tá|está⟩ em atraso agora?",
               "tem alguma fatura ⟨em aberto|por pagar⟩ que eu deva saber?", "⟨me mostra|mostra-me⟩ quem ⟨tá|está⟩ atrasado no pagamento",
               "quanto temos ⟨em aberto|por receber⟩ neste momento?", "⟨me passa|passa-me⟩ a lista dos atrasados"],
              ["{n_over} em atraso: {overdue_list}. Total de {total_over}.",
               "Em atraso: {overdue_list}. São {total_over} no total.",
               "Neste momento: {overdue_list}. Total: {total_over}."]),),
        (step(["tem alguma coisa atrasada?", "quem ainda não pagou?", "o que ⟨tá|está⟩ em aberto?"],
              ["{n_over} em atraso: {overdue_list}. ⟨Quer que eu mande|Queres que envie⟩ lembretes?",
               "{overdue_list}. ⟨Quer que eu cobre|Queres que cobre⟩?"]),
         choice((["sim, manda ⟨pra|para⟩ todos", "pode mandar", "sim, por favor"],
                 ["Lembretes enviados.", "Feito — {n_over} lembretes enviados."]),
                (["manda, mas deixa {over_person?o/a} {over_first} de fora, prometeu pagar esta semana",
                  "manda, menos ⟨pra|para⟩ {over_first} — eu ligo"],
                 ["Enviado ⟨pros outros|aos outros⟩; deixei {over_person?o/a} {over_first} de fora.",
                  "Feito. {over_person?O/A} {over_first} ficou de fora desta vez."]),
                (["ainda não, deixa que eu ligo", "não, deixa ⟨pra|para⟩ sexta"],
                 ["Ok, não mando nada por enquanto.", "Sem problema, fica ⟨pra depois|para depois⟩."]))),
    )),
    Intent("lead", 4, (
        (step(["cria um lead ⟨pra|para⟩ {lead}, ⟨celular|telemóvel⟩ {phone}",
               "lead novo: {lead}, {phone}, {lead?interessado/interessada} {service_em}",
               "⟨adiciona|acrescenta⟩ {lead} como lead, ligou ⟨perguntando|a perguntar⟩ {service_por}. O número é {phone}",
               "⟨registra|regista⟩ um lead: {lead}, quer {service_bare}, {phone}",
               "{lead} ⟨passou aqui|passou cá⟩ ⟨perguntando|a perguntar⟩ o preço {service_de}, ⟨coloca|põe⟩ como lead — {phone}",
               "lead ⟨pra você|para ti⟩: {lead}, {phone}. ⟨Retornar|Contactar⟩ na semana que vem"],
              ["Lead criado: {lead}, {phone}.",
               "Pronto, {lead} já está no CRM como lead novo.",
               "Lead {lead} criado. ⟨Quer que eu agende|Queres que agende⟩ um ⟨retorno|contacto de seguimento⟩?"]),),
        (step(["lead novo: {lead}, {lead?interessado/interessada} {service_em}",
               "⟨adiciona|acrescenta⟩ um lead — {lead}, ⟨perguntando|a perguntar⟩ {service_por}"],
              ["Anotado. ⟨Tem|Tens⟩ um telefone ou e-mail {lead?do/da} {lead_first}?",
               "Certo. ⟨Tem|Tens⟩ ⟨contato|contacto⟩ {lead?do/da} {lead_first}?"]),
         step(["{phone}", "o número é {phone}", "⟨celular|telemóvel⟩ {phone}, e-mail não tenho"],
              ["⟨Salvei|Guardei⟩ {lead} com o {phone}.", "Feito — {lead}, {phone}. ⟨Mando|Envio⟩ uma mensagem de boas-vindas?"])),
    ), hosts_facts=True),
    Intent("charge", 4, (
        (step(["cobra {amount} ⟨de|a⟩ {customer} {service_por}",
               "cria uma cobrança ⟨pra|para⟩ {customer}: {service_bare}, {amount}",
               "⟨lança|regista⟩ {service} de {customer}, {amount}, com vencimento em {due_days} dias",
               "⟨coloca|põe⟩ uma cobrança de {amount} na conta {customer?do/da} {cfirst}, referente {service_a}",
               "⟨pode faturar|podes faturar⟩ {customer}? {service_bare}, {amount}",
               "{customer}: {service_bare}, {amount}. Manda a fatura, por favor"],
              ["Cobrança criada: {customer}, {amount_a} {service_por}.",
               "Feito — {amount_a} ⟨cobrados de|cobrados a⟩ {customer}.",
               "Fatura enviada ⟨pra|para⟩ {customer}, {amount_a}. ⟨Te aviso|Aviso-te⟩ se atrasar."]),),
    ), hosts_facts=True),
    Intent("charge_which", 1, (
        (step(["cobra {service} {customer?do/da} {cfirst}, {amount}"],
              ["Tenho {customer?dois/duas} {cfirst_pl} aqui — {customer} e {cfirst} {alt_last}. {customer?Qual deles/Qual delas}?"]),
         step(["{customer}", "{cfirst} {customer_last}", "{customer?o primeiro/a primeira}"],
              ["Cobrado: {customer}, {amount_a}.", "Feito — {amount_a} ⟨pra|para⟩ {customer}."])),
    )),
    Intent("payment", 4, (
        choice((["{customer} pagou {amount}, marca como pago", "⟨caiu um pix|chegou uma transferência⟩ de {customer}, {amount}",
                 "{customer?o/a} {cfirst} pagou hoje, {amount}", "marca a fatura {customer?do/da} {customer} como paga, por favor",
                 "pagamento de {customer}: {amount} ⟨no cartão|com cartão⟩"],
                ["Marcado como pago: {customer}, {amount_a}.",
                 "⟨Registrei|Registei⟩ {amount_a} de {customer}. O saldo ⟨ficou zerado|ficou a zero⟩.",
                 "Pagamento ⟨lançado|registado⟩ — {customer} ⟨tá|está⟩ em dia."]),
               (["{customer} diz que pagou ontem, ⟨pode conferir|podes confirmar⟩?",
                 "o pagamento {customer?do/da} {customer} ⟨caiu|entrou⟩?"],
                ["Sim, ⟨caíram|entraram⟩ {amount_a} de {customer} ontem à tarde. Já marquei como pago.",
                 "Ainda não ⟨caiu nada|entrou nada⟩ de {customer} — o último pagamento foi em {past_date}. ⟨Quer que eu mande|Queres que envie⟩ os dados de novo?"])),
    ), hosts_facts=True),
    Intent("diary", 5, (
        choice((["marca uma reunião com {person} {meet_when}", "⟨coloca|põe⟩ {person} na agenda {meet_when}",
                 "⟨consegue|consegues⟩ encaixar {person} {meet_when}?"],
                ["Marcado: {person}, {meet_when}.", "Feito — {person} ⟨tá|está⟩ na agenda {meet_when}.",
                 "⟨Você está|Estás⟩ livre nesse horário, então ⟨já marquei|já marquei⟩ {person}."]),
               (["⟨agenda uma ligação|marca uma chamada⟩ com a {supplier} {meet_when}"],
                ["⟨Ligação|Chamada⟩ com a {supplier} marcada: {meet_when}.", "Feito, {meet_when} com a {supplier}."]),
               (["bloqueia {block_when} ⟨pra|para⟩ {block}", "reserva {block_when}, tenho {block}"],
                ["Bloqueado: {block_when}, {block}.", "Feito, ⟨tá bloqueado|está reservado⟩: {block_when}."]),
               (["⟨o que eu tenho|o que é que tenho⟩ amanhã?", "o que ⟨tem|há⟩ na agenda ⟨pra|para⟩ {weekday}?",
                 "como ⟨tá|está⟩ a {weekday}?"],
                ["⟨Você tem|Tens⟩ {agenda_list}.", "{agenda_list_cap}. Mais nada.", "Só {agenda_list}."]),
               (["⟨tem|tenho⟩ alguma coisa amanhã à tarde?", "o que ⟨tem|há⟩ ⟨pra|para⟩ amanhã à tarde?"],
                ["⟨Você tem|Tens⟩ {agenda_pm}.", "Só {agenda_pm}.", "{agenda_pm_cap}, mais nada."]),
               (["⟨passa|muda⟩ {person} das {time} ⟨pra|para⟩ {weekday}", "⟨dá pra|dá para⟩ passar {person} ⟨pra|para⟩ {weekday}, mesmo horário?"],
                ["Feito, {person} ficou ⟨pra|para⟩ {weekday}, mesmo horário. ⟨Quer que eu avise|Queres que avise⟩?",
                 "Pronto — {person} passou ⟨pra|para⟩ {weekday}."]),
               (["cancela a reunião com {person} de {weekday}", "não ⟨vou conseguir|consigo⟩ ver {person} na {weekday}, cancela por favor"],
                ["Cancelada. Mandei uma mensagem ⟨pra|para⟩ {person} ⟨avisando|a avisar⟩.", "Feito, saiu da agenda. ⟨Quer que eu ofereça|Queres que ofereça⟩ outro horário?"])),
    ), hosts_facts=True),
    Intent("contract", 2, (
        choice((["faz um contrato ⟨pra|para⟩ {customer} referente {service_big_a}, {amount_big}, em {months} ⟨parcelas|prestações⟩",
                 "prepara um contrato ⟨pra|para⟩ {customer}: {service_big_bare}, {amount_big}, {months} ⟨parcelas|prestações⟩"],
                ["Minuta pronta ⟨pra|para⟩ {customer}: {service_big_bare}, {amount_big_a} em {months} ⟨parcelas|prestações⟩. ⟨Mando pra|Envio para⟩ assinatura?"]),
               (["quando ⟨vence|acaba⟩ o contrato {customer?do/da} {customer}?"],
                ["O contrato {customer?do/da} {customer} vai até {date_future}.", "Até {date_future}."]),
               (["manda o contrato ⟨pra|para⟩ {customer} assinar"],
                ["Enviado ⟨pra|para⟩ {customer} assinar. ⟨Te aviso|Aviso-te⟩ quando estiver assinado."]),
               (["{customer} já assinou?", "{customer?o/a} {cfirst} assinou o contrato?"],
                ["Ainda não — foi enviado há {days_ago} dias. ⟨Quer que eu insista|Queres que insista⟩?",
                 "Sim, assinou hoje de manhã."]),
               (["renova o contrato {customer?do/da} {customer} por mais um ano, mesmas condições"],
                ["Renovação preparada: {customer}, 12 meses, mesmas condições. ⟨Mando|Envio⟩?"])),
    )),
    Intent("customer", 3, (
        choice((["atualiza o ⟨celular|telemóvel⟩ {customer?do/da} {customer} ⟨pra|para⟩ {phone}",
                 "{customer} ⟨trocou de número|mudou de número⟩: {phone}"],
                ["Atualizado — {customer}: {phone}.", "Feito, número novo ⟨salvo|guardado⟩."]),
               (["qual é o e-mail {customer?do/da} {customer}?", "a gente tem o e-mail {customer?do/da} {customer}?"],
                ["É {email}.", "Sim — {email}."]),
               (["quantos {clients} novos ⟨a gente teve esse mês|tivemos este mês⟩?"],
                ["{new_cur} até agora este mês, contra {new_prev} no mês passado.", "{new_cur} {clients} novos este mês."]),
               (["⟨adiciona|acrescenta⟩ uma nota na ficha {customer?do/da} {customer}: {note}"],
                ["Nota ⟨adicionada|acrescentada⟩ na ficha {customer?do/da} {customer}.", "Feito."]),
               (["procura {customer?o/a} {cfirst}... o ⟨sobrenome começa com|apelido começa por⟩ {initial}, acho"],
                ["Deve ser {customer} — última atividade em {past_date}.", "{customer}. ⟨Quer|Queres⟩ os dados?"]),
               (["{customer} ainda ⟨tá|está⟩ {customer?ativo/ativa}?", "quando foi a última vez que {customer} veio?"],
                ["Sim — última atividade em {past_date}.", "A última vez foi em {past_date}."])),
    )),
    Intent("numbers", 3, (
        choice((["⟨quanto a gente faturou|quanto faturámos⟩ no mês passado?", "quanto foi faturado em {month_prev}?"],
                ["Em {month_prev} foram {billed_prev} faturados, {paid_prev} já ⟨recebidos|recebidos⟩.",
                 "{month_prev_cap}: {billed_prev} faturados; ⟨entraram|já entraram⟩ {paid_prev}."]),
               (["quanto entrou ⟨essa|esta⟩ semana?", "quanto ⟨a gente recebeu|recebemos⟩ ⟨essa|esta⟩ semana?"],
                ["{taken_week} recebidos esta semana, em {n2} pagamentos.", "{taken_week} até agora esta semana."]),
               (["⟨faturamento|faturação⟩ do mês até agora?", "como ⟨tá|está⟩ o mês?"],
                ["{billed_cur} até agora em {month_cur}.", "{billed_cur} faturados em {month_cur}, {n2} cobranças."]),
               (["compara {month_prev} com {month_prev2}", "{month_prev} foi melhor que {month_prev2}?"],
                ["Em {month_prev} foram {billed_prev}; em {month_prev2}, {billed_prev2}.",
                 "{month_prev_cap} fechou em {billed_prev}, contra {billed_prev2} em {month_prev2}."]),
               (["qual é o nosso ⟨ticket médio|valor médio por venda⟩ agora?"],
                ["{avg} por cobrança nos últimos 30 dias.", "Mais ou menos {avg}."]),
               (["quantos {clients} ⟨vieram semana passada|vieram na semana passada⟩?"],
                ["{seen_prev} na semana passada, contra {seen_prev2} na anterior.", "{seen_prev} {clients} na semana passada."])),
    )),
    Intent("message", 3, (
        choice((["manda uma mensagem ⟨pra|para⟩ {customer} ⟨avisando|a avisar⟩ que {msg}", "avisa {customer} que {msg}"],
                ["Mensagem enviada ⟨pra|para⟩ {customer}.", "Feito, {customer} já foi {customer?avisado/avisada}.", "Enviado."]),
               (["manda ⟨um zap|uma mensagem⟩ ⟨pra|para⟩ {customer} ⟨confirmando|a confirmar⟩ {weekday} às {time}"],
                ["Enviado — pedi ⟨pra|para⟩ {customer} confirmar {weekday} às {time}.", "Feito. ⟨Te aviso|Aviso-te⟩ quando responder."])),
    ), hosts_facts=True),
    Intent("order", 2, (
        choice((["⟨pede mais {supply}|encomenda mais {supply}⟩", "⟨faz um pedido de|faz uma encomenda de⟩ {supply}, por favor",
                 "estamos quase sem {supply}, ⟨faz um pedido|faz uma encomenda⟩?",
                 "⟨inclui {supply} no próximo pedido|junta {supply} à próxima encomenda⟩"],
                ["⟨Pedido feito|Encomenda feita⟩: {supply}.",
                 "⟨Incluí {supply} no próximo pedido|Juntei {supply} à próxima encomenda⟩ — ⟨sai|segue⟩ {weekday_on}."]),),
    ), hosts_facts=True),
    Intent("chat", 1, (
        step(["que semana, hein", "hoje ⟨tá|está⟩ puxado", "⟨tá chovendo muito aqui|está a chover imenso aqui⟩",
              "a manhã foi uma loucura", "a máquina de café ⟨pifou de novo|avariou outra vez⟩", "dia calmo hoje",
              "correria total hoje"],
             ["Imagino! ⟨Quer que eu adiante|Queres que adiante⟩ alguma coisa?",
              "Força! ⟨Tô aqui se precisar|Estou aqui se precisares⟩.", "⟨Tomara que acalme|Esperemos que acalme⟩!",
              "Que o resto do dia seja mais tranquilo."]),
    )),
)

GREETINGS = {
    "en": {"morning": ["morning!", "good morning", "morning — a few things", "hi, quick one"],
           "afternoon": ["afternoon!", "hi", "hey, quick one", "hello again"],
           "evening": ["evening — couple of things", "hi, late one", "hey", "ok, back"]},
    "pt": {"morning": ["bom dia!", "bom dia, tudo bem?", "bom dia, umas coisas", "⟨oi|olá⟩, uma coisa rápida"],
           "afternoon": ["boa tarde!", "⟨oi|olá⟩", "boa tarde, tudo bem?", "⟨oi, voltei|olá, voltei⟩"],
           "evening": ["boa noite", "⟨oi|olá⟩, só umas coisas", "boa noite, rapidinho", "voltei"]},
}  # fmt: skip
GREETING_REPLIES = {
    "en": ["Morning {owner}! What can I do for you?", "Hi {owner} — go ahead.", "Hey! What do you need?",
           "Hello! Ready when you are."],
    "pt": ["Olá, {owner}! Em que posso ajudar?", "⟨Oi|Olá⟩, {owner}! ⟨Pode falar|Diz⟩.",
           "⟨Oi! O que você precisa?|Olá! De que precisas?⟩", "Olá! ⟨Estou|Estou⟩ aqui."],
}  # fmt: skip
THANKS = {
    "en": ["thanks!", "perfect, ⟨thanks|cheers⟩", "great, that's all for now", "⟨awesome|brilliant⟩, thank you",
           "ok thanks", "that's everything, thanks", "thank you!"],
    "pt": ["{me?obrigado/obrigada}!", "⟨valeu!|{me?obrigado/obrigada}!⟩", "perfeito, é só isso por hoje", "ótimo, {me?obrigado/obrigada}",
           "⟨beleza, valeu|fixe, {me?obrigado/obrigada}⟩", "era só isso", "⟨tudo certo, até mais|está tudo, até logo⟩"],
}  # fmt: skip
THANKS_REPLIES = {
    "en": ["Anytime!", "You're welcome — have a good one.", "Happy to help.", "Talk soon.", "No problem!"],
    "pt": ["⟨Por nada|De nada⟩!", "⟨Imagina, bom trabalho!|De nada, bom trabalho!⟩",
           "Qualquer coisa, ⟨é só chamar|é só dizer⟩.", "⟨Até mais|Até logo⟩!"],
}  # fmt: skip

# How a fact said in passing joins a request: {ops} and {fact} are the two halves.
JOINS = {
    "en": ["{ops}. Oh, and {fact}", "{ops} — also, {fact}", "{fact}. Anyway, {ops}", "{ops}. By the way, {fact}",
           "before I forget: {fact}. And {ops}", "{ops}. Also {fact}"],
    "pt": ["{ops}. Ah, e {fact}", "{ops}. Aliás, {fact}", "{fact}. Enfim, {ops}", "{ops}. Outra coisa: {fact}",
           "⟨antes que eu esqueça|antes que me esqueça⟩: {fact}. E {ops}", "{ops}. ⟨E aproveitando|E já agora⟩, {fact}"],
}  # fmt: skip

TASKS = {
    "en": ["call {supplier}", "send {customer} the quote", "chase {customer} about the deposit",
           "pay the electricity bill", "renew the domain", "order more {supply}",
           "reply to {customer}'s email", "top up the petty cash", "update the price list",
           "print next week's ⟨schedule|rota⟩", "back up the laptop", "⟨call|ring⟩ {staff} about the ⟨schedule|rota⟩",
           "look over the bank statement", "renew the parking permit", "check how much {supply} we have left",
           "call {customer} back", "send {customer} a thank-you note", "confirm the {weekday} bookings"],
    "pt": ["ligar para a {supplier}", "mandar o orçamento ⟨pra|para⟩ {customer}", "cobrar o sinal de {customer}",
           "pagar a conta ⟨de luz|da luz⟩", "renovar o domínio do site", "⟨pedir|encomendar⟩ mais {supply}",
           "responder ⟨o|ao⟩ e-mail de {customer}", "⟨repor o dinheiro da caixinha|repor o fundo de maneio⟩",
           "atualizar a tabela de preços", "⟨imprimir a escala da semana que vem|imprimir os horários da próxima semana⟩",
           "fazer ⟨backup do computador|cópia de segurança do computador⟩", "falar com {staff?o/a} {staff} sobre ⟨a escala|os horários⟩",
           "conferir o extrato do banco", "⟨retornar a ligação de|ligar de volta a⟩ {customer}",
           "mandar um agradecimento ⟨pra|para⟩ {customer}", "ver quanto ainda temos de {supply}",
           "confirmar ⟨os agendamentos|as marcações⟩ de {weekday}"],
}  # fmt: skip
WHEN = {
    "en": ["tomorrow at 10", "tomorrow morning", "on Thursday at 2pm", "at 4 today", "first thing Monday",
           "next Tuesday at 9:30", "in an hour", "this afternoon", "on Friday at 11", "tonight at 7",
           "Wednesday lunchtime", "tomorrow at 8:30", "on Monday at 3"],
    "pt": ["amanhã às 10h", "amanhã de manhã", "na quinta às 14h", "hoje às 16h", "segunda ⟨logo cedo|de manhã cedo⟩",
           "⟨terça que vem|na próxima terça⟩ às 9h30", "daqui a uma hora", "hoje à tarde", "na sexta às 11h",
           "hoje à noite, ⟨lá pelas|por volta das⟩ 19h", "quarta na hora do almoço", "amanhã às 8h30", "segunda às 15h"],
}  # fmt: skip
# Said later in the day than this hour, these would already be past.
WHEN_UNTIL = {"at 4 today": 15, "this afternoon": 14, "tonight at 7": 18,
              "hoje às 16h": 15, "hoje à tarde": 14, "hoje à noite, ⟨lá pelas|por volta das⟩ 19h": 18}  # fmt: skip
MEET_WHEN = {
    "en": ["tomorrow at 10", "on Thursday at 2pm", "next Tuesday at 9:30", "on Friday at 11", "on Wednesday at 3pm",
           "tomorrow afternoon", "on Monday at 11:30", "on Thursday at 4"],
    "pt": ["amanhã às 10h", "na quinta às 14h", "⟨terça que vem|na próxima terça⟩ às 9h30", "na sexta às 11h",
           "na quarta às 15h", "amanhã à tarde", "na segunda às 11h30", "na quinta às 16h"],
}  # fmt: skip
BLOCK_WHEN = {
    "en": ["tomorrow afternoon", "Thursday morning", "Friday from 2 to 4", "next Monday morning", "Wednesday afternoon",
           "tomorrow from 9 to 11"],
    "pt": ["amanhã à tarde", "quinta de manhã", "sexta das 14h às 16h", "⟨segunda que vem|a próxima segunda⟩ de manhã",
           "quarta à tarde", "amanhã das 9h às 11h"],
}  # fmt: skip
BLOCKS = {
    "en": ["interviews", "a site visit", "lunch with {supplier}", "a personal appointment", "the school play"],
    "pt": ["entrevistas", "uma visita técnica", "almoço com a {supplier}", "um compromisso pessoal",
           "a reunião da escola ⟨do meu filho|do meu filho⟩"],
}  # fmt: skip
NOTES = {
    "en": ["prefers to be contacted by email", "referred by {customer2}", "always pays late — ask for a deposit next time",
           "wants a call before any changes", "new address, ask for it next time"],
    "pt": ["prefere ⟨contato|contacto⟩ por e-mail", "⟨indicação de|veio por recomendação de⟩ {customer2}",
           "⟨sempre paga atrasado|paga sempre com atraso⟩ — pedir sinal na próxima vez",
           "⟨quer uma ligação|quer um telefonema⟩ antes de qualquer alteração", "mudou de ⟨endereço|morada⟩, pedir o novo"],
}  # fmt: skip
# fmt: on


# --------------------------------------------------------------------------------------------
# Facts said once: who does what, where things are, how the owner likes things done
# --------------------------------------------------------------------------------------------


@dataclass
class Spec:
    """A fact the owner states once: how they say it, how the assistant acknowledges it, how
    they ask for it weeks later, and the short gold answer."""

    topic: str
    values: dict[str, Any]
    says: Sequence[str]
    replies: Sequence[str]
    asks: Sequence[str]
    answer: str
    forbid: Sequence[str] = ()  # when asked although never said: words that must not occur
    siblings: list[Spec] = field(default_factory=list)  # similar facts, stated but not asked


def by_lang(c: Ctx, en: Sequence[str], pt: Sequence[str]) -> list[str]:
    return list(en if c.lang == "en" else pt)


def by_pairs(
    c: Ctx, en: list[tuple[str, list[str]]], pt: list[tuple[str, list[str]]]
) -> list[tuple[str, list[str]]]:
    return en if c.lang == "en" else pt


def firm_name(c: Ctx, trade: str) -> str:
    last, last2 = c.rng.sample(NAMES[c.pool]["last"], 2)
    if trade == "accounting":
        forms = {"GB": [f"{last} & Co", f"{last} Accountancy", f"{last} {last2} Accountants", f"{last} & Partners"],
                 "IE": [f"{last} & Co", f"{last} Accountancy", f"{last} {last2} & Partners"],
                 "US": [f"{last} CPA", f"{last} & {last2} CPAs", f"{last} Tax & Accounting"],
                 "BR": [f"Contabilidade {last}", f"{last} Contabilidade", f"Contábil {last}"],
                 "PT": [f"Contabilidade {last}", f"{last} & {last2} Contabilistas", f"Contas Certas {last}"]}  # fmt: skip
    elif trade == "tech":
        forms = {"GB": [f"{last} Engineering", f"{last} Technical", f"{last} & Sons", f"{last} Repairs"],
                 "IE": [f"{last} Engineering", f"{last} & Sons", f"{last} Technical Services"],
                 "US": [f"{last} Service Co", f"{last} & Sons Repair", f"{last} Technical"],
                 "BR": [f"Assistência Técnica {last}", f"{last} Manutenção", f"Técnica {last}"],
                 "PT": [f"Assistência Técnica {last}", f"{last} Manutenção", f"Técnica {last}"]}  # fmt: skip
    else:  # cleaning
        forms = {"GB": ["Sparkle Commercial Cleaning", "BrightSpace Cleaners", f"{last} Cleaning Services"],
                 "IE": ["Shine Office Cleaning", f"{last} Cleaning", "ClearView Cleaners"],
                 "US": ["Spotless Commercial Cleaning", f"{last} Janitorial", "FreshStart Cleaning"],
                 "BR": ["Limpa Fácil Serviços", "Brilho Total Limpeza", f"{last} Serviços de Limpeza"],
                 "PT": ["Limpezas Cristal", "Higiclean", f"Limpezas {last}"]}  # fmt: skip
    return c.rng.choice(forms[c.variant])


INSURERS = {"GB": ["Albion Mutual", "Harbourside Insurance", "Redwood Commercial", "Thistle Business Cover"],
            "IE": ["Shannon Mutual", "Clarendon Insurance", "Corrib Business Cover"],
            "US": ["Great Lakes Mutual", "Pioneer Business Insurance", "Keystone Commercial"],
            "BR": ["Seguros Horizonte", "Aurora Seguros", "Previdência Sul Seguros"],
            "PT": ["Seguros Atlântico", "Lusa Seguros", "Mútua do Norte"]}  # fmt: skip
BANKS = {"GB": ["Northgate Bank", "Albion Bank", "Harbour Bank"], "IE": ["Liffey Bank", "Western Savings Bank"],
         "US": ["Lakeside Bank", "First Prairie Bank", "Cascade Community Bank"],
         "BR": ["Banco Horizonte", "Banco Aurora", "Banco Meridiano"],
         "PT": ["Banco Lusitano", "Banco do Minho", "Banco Atlântico"]}  # fmt: skip


def sf_accountant(c: Ctx) -> Spec:
    acc = c.person()
    v = {"acc": acc, "firm": firm_name(c, "accounting"), "phone": c.phone()}
    return Spec(
        "accountant",
        v,
        says=by_lang(
            c,
            [
                "our accountant is {acc} at {firm}, so anything tax-related goes to {acc_first}",
                "{acc} from {firm} does our books — if anyone asks for the accountant, that's who",
                "I've moved the accounts over to {firm} this year; {acc} is the one looking after us, {phone}",
                "could you save {acc}'s details? {acc?He/She}'s our accountant, at {firm}, {phone}",
                "the accountant wants the receipts by the 5th each month — it's {acc} at {firm}, in case you need to email {acc?him/her}",
            ],
            [
                "⟨nosso {acc?contador/contadora}|{acc?o nosso contabilista/a nossa contabilista}⟩ é {acc?o/a} {acc}, da {firm}; tudo o que for de impostos é com {acc?ele/ela}",
                "quem faz a nossa contabilidade é {acc?o/a} {acc}, da {firm} — se alguém perguntar ⟨pelo contador|pelo contabilista⟩, é {acc?ele/ela}",
                "passei a contabilidade ⟨pra|para a⟩ {firm} este ano; ⟨quem cuida da gente|quem nos acompanha⟩ é {acc?o/a} {acc}, {phone}",
                "⟨salva|guarda⟩ os dados {acc?do/da} {acc}, por favor: é ⟨{acc?o nosso contador/a nossa contadora}|{acc?o nosso contabilista/a nossa contabilista}⟩, da {firm}, {phone}",
                "⟨{acc?o contador/a contadora}|{acc?o contabilista/a contabilista}⟩ quer os recibos até dia 5 de cada mês — é {acc?o/a} {acc}, da {firm}, caso ⟨precise mandar|precises de mandar⟩ e-mail",
            ],
        ),
        replies=by_lang(
            c,
            [
                "Saved {acc} ({firm}) as your accountant.",
                "Noted — {acc} at {firm} for anything tax-related.",
                "Got it, {acc_first} is in your contacts as the accountant.",
            ],
            [
                "⟨Salvei|Guardei⟩ {acc} ({firm}) como ⟨{acc?contador/contadora}|contabilista⟩.",
                "Anotado — {acc?o/a} {acc}, da {firm}, ⟨pra|para⟩ tudo de impostos.",
            ],
        ),
        asks=by_lang(
            c,
            [
                "who does my books?",
                "what's the name of our accountant again?",
                "who should I send the tax stuff to?",
                "remind me who looks after our accounts",
                "which firm does our accounts, and who's our person there?",
            ],
            [
                "quem cuida da nossa contabilidade?",
                "como se chama ⟨o nosso contador|o nosso contabilista⟩ mesmo?",
                "⟨pra quem eu mando|a quem é que mando⟩ os papéis dos impostos?",
                "⟨me lembra|lembra-me⟩ quem faz as nossas contas",
            ],
        ),
        answer="{acc} ({firm})",
        forbid=by_lang(
            c,
            ["accountant", "bookkeep", "our books"],
            ["contador", "contabilista", "contabilidade"],
        ),
    )


def rep_says(c: Ctx) -> list[str]:
    return by_lang(
        c,
        [
            "our rep at {sup} is {rep} — {rep_first} handles {goods}, number {phone}",
            "if you ever need to ⟨deal with|sort⟩ something with {sup}, ask for {rep}, {phone}. {rep?He/She} does {goods}",
            "{sup} have given us a dedicated contact, {rep}. Save {rep?his/her} number: {phone}",
            "save this: {rep}, {phone} — {rep?he/she}'s our person at {sup} for {goods}",
        ],
        [
            "⟨nosso contato|o nosso contacto⟩ na {sup} é {rep?o/a} {rep}; {rep?ele/ela} cuida {goods_de}, ⟨celular|telemóvel⟩ {phone}",
            "se ⟨precisar resolver|for preciso tratar de⟩ alguma coisa com a {sup}, é com {rep?o/a} {rep}, {phone}",
            "a {sup} ⟨colocou|pôs⟩ uma pessoa só ⟨pra|para⟩ nós, {rep?o/a} {rep}. ⟨Salva|Guarda⟩ o número: {phone}",
            "⟨salva|guarda⟩ aí: {rep}, {phone}, é quem nos atende na {sup} {goods_pra}",
        ],
    )


def rep_values(c: Ctx, which: int) -> dict[str, Any]:
    company, goods, goods_q = c.b.suppliers[which]
    return {"sup": company, "goods": goods, "goods_q": goods_q, "goods_de": pt_prep("de", goods),
            "goods_pra": pt_pra(goods, c.american), "rep": c.person(), "phone": c.phone()}  # fmt: skip


def sf_supplier_rep(c: Ctx) -> Spec:
    which = c.rng.randrange(len(c.b.suppliers))
    replies = by_lang(c, ["Saved {rep} as your contact at {sup}.", "Done — {rep} ({phone}) is now under {sup}.",
                          "Got it, {rep_first} at {sup}."],
                      ["⟨Salvei|Guardei⟩ {rep} como ⟨contato|contacto⟩ na {sup}.",
                       "Feito — o ⟨contato|contacto⟩ {rep?do/da} {rep} ({phone}) ficou na ficha da {sup}."])  # fmt: skip
    spec = Spec(
        f"rep:{which}",
        rep_values(c, which),
        says=rep_says(c),
        replies=replies,
        asks=by_lang(
            c,
            [
                "who's my contact at {sup}?",
                "who do I ⟨call|ring⟩ about {goods_q}?",
                "what's the name of the person I deal with at {sup}?",
                "who's our rep for {goods_q}?",
            ],
            [
                "quem é ⟨o meu contato|o meu contacto⟩ na {sup}?",
                "⟨pra quem eu ligo|a quem ligo⟩ quando preciso de {goods_q}?",
                "como se chama a pessoa que nos atende na {sup}?",
                "quem é ⟨o nosso representante|o nosso comercial⟩ de {goods_q}?",
            ],
        ),
        answer="{rep} ({phone})",
    )
    other = 1 - which
    if other < len(c.b.suppliers) and c.rng.random() < 0.6:
        spec.siblings.append(
            Spec(f"rep:{other}", rep_values(c, other), rep_says(c), replies, (), "")
        )
    return spec


def sf_rent_day(c: Ctx) -> Spec:
    dom = c.rng.choice([1, 1, 5, 8, 10, 15, 20, 25, 28])
    v = {"landlord": c.person(), "dom": ordinal(dom) if c.lang == "en" else str(dom)}
    return Spec(
        "rent",
        v,
        says=by_lang(
            c,
            [
                "the rent goes to {landlord} on the {dom} of every month — {landlord?he/she}'s fussy, so it can't be late",
                "just so you know, our landlord is {landlord} and rent is due on the {dom}",
                "{landlord_first}, the landlord, wants the rent by the {dom} from now on — can you set a monthly reminder a couple of days before?",
                "rent's due on the {dom}, by transfer to {landlord}. Remind me every month",
            ],
            [
                "⟨o aluguel é pago todo dia {dom}|a renda é paga no dia {dom} de cada mês⟩, {landlord?ao/à} {landlord}; {landlord?ele/ela} não gosta de atrasos",
                "⟨só pra você saber|só para saberes⟩: ⟨{landlord?o dono/a dona} do imóvel|{landlord?o senhorio/a senhoria}⟩ é {landlord?o/a} {landlord} e ⟨o aluguel|a renda⟩ vence no dia {dom}",
                "{landlord?o/a} {landlord_first}, ⟨{landlord?dono/dona} do imóvel|{landlord?o senhorio/a senhoria}⟩, quer ⟨o aluguel|a renda⟩ até dia {dom} a partir de agora — ⟨cria|cria⟩ um lembrete mensal dois dias antes?",
                "⟨o aluguel vence|a renda vence⟩ dia {dom}, por transferência ⟨pra|para⟩ {landlord}. ⟨Me lembra todo mês|Lembra-me todos os meses⟩",
            ],
        ),
        replies=by_lang(
            c,
            [
                "Noted: rent to {landlord} on the {dom}.",
                "Set — I'll remind you two days before the {dom} each month.",
                "Got it, rent due the {dom}.",
            ],
            [
                "Anotado: ⟨aluguel|renda⟩ no dia {dom}, {landlord?para o/para a} {landlord}.",
                "Feito — ⟨te lembro|lembro-te⟩ dois dias antes do dia {dom}, ⟨todo mês|todos os meses⟩.",
            ],
        ),
        asks=by_lang(
            c,
            [
                "what day of the month is the rent due?",
                "when do we have to pay the landlord each month?",
                "when's rent due again?",
                "by what date does the landlord need paying each month?",
            ],
            [
                "que dia vence ⟨o aluguel|a renda⟩?",
                "até que dia do mês ⟨tenho que|tenho de⟩ pagar ⟨o aluguel|a renda⟩?",
                "quando é que ⟨a gente paga o aluguel|pagamos a renda⟩?",
            ],
        ),
        answer=by_lang(
            c, ["The {dom} of each month (to {landlord})"], ["Dia {dom} de cada mês ({landlord})"]
        )[0],
        forbid=by_lang(c, [r"\brent\b", r"\brent's\b"], [r"\baluguel\b", r"\brenda\b"]),
    )


def duty_values(c: Ctx, index: int, staff: Person) -> dict[str, Any]:
    duty, duty_q = c.b.duties[index]
    return {"staff": staff, "duty": duty, "duty_q": duty_q, "duty_de": pt_prep("de", duty),
            "duty_por": pt_prep("por", duty), "duty_q_de": pt_prep("de", duty_q)}  # fmt: skip


def duty_says(c: Ctx) -> list[str]:
    return by_lang(
        c,
        [
            "from now on {staff} is in charge of {duty}, so send anything about it to {staff?him/her}",
            "{staff}'s taking over {duty} — I can't keep up with it",
            "quick one: {duty} is {staff}'s job now, not mine",
            "I've asked {staff} to look after {duty}; loop {staff?him/her} in on anything to do with it",
        ],
        [
            "a partir de agora {staff?o/a} {staff} fica responsável {duty_por}; o que for disso, ⟨manda {staff?pro/pra}|manda {staff?para o/para a}⟩ {staff}",
            "{staff?o/a} {staff} vai assumir {duty}, eu não ⟨tô dando conta|estou a dar conta⟩",
            "⟨rapidinho|uma coisa rápida⟩: {duty} agora é com {staff?o/a} {staff}, não comigo",
            "⟨pedi {staff?pro/pra}|pedi {staff?ao/à}⟩ {staff} ⟨cuidar|para tratar⟩ {duty_de}; qualquer coisa sobre isso, fala com {staff?ele/ela}",
        ],
    )


def sf_staff_duty(c: Ctx) -> Spec:
    index = c.rng.randrange(len(c.b.duties))
    staff = c.rng.choice(c.staff)
    replies = by_lang(c, ["Noted — {staff} handles {duty} now.", "Got it, I'll send anything about {duty} to {staff}.",
                          "Done, {staff} is down as the person for {duty}."],
                      ["Anotado — {duty} agora é com {staff?o/a} {staff}.",
                       "Combinado, tudo {duty_de} vai ⟨{staff?pro/pra}|{staff?para o/para a}⟩ {staff}."])  # fmt: skip
    v = duty_values(c, index, staff)
    spec = Spec(
        f"duty:{index}",
        v,
        says=duty_says(c),
        replies=replies,
        asks=by_lang(
            c,
            [
                "who's looking after {duty_q} these days?",
                "who did I put in charge of {duty_q}?",
                "who handles {duty_q} now?",
                "who should I talk to about {duty_q}?",
            ],
            [
                "quem ⟨está cuidando|está a tratar⟩ {duty_q_de} agora?",
                "quem eu ⟨coloquei pra cuidar|pus a tratar⟩ {duty_q_de}?",
                "com quem eu falo sobre {duty_q}?",
                "quem é que ⟨cuida|trata⟩ {duty_q_de}?",
            ],
        ),
        answer="{staff}",
    )
    others = [i for i in range(len(c.b.duties)) if i != index]
    if others and c.rng.random() < 0.6:
        other_staff = c.rng.choice([s for s in c.staff if s is not staff])
        j = c.rng.choice(others)
        spec.siblings.append(
            Spec(f"duty:{j}", duty_values(c, j, other_staff), duty_says(c), replies, (), "")
        )
    return spec


def sf_site2(c: Ctx) -> Spec:
    what, where, question = c.b.site2
    bare = where
    for article in ("o ", "a "):
        if c.lang == "pt" and where.startswith(article):
            bare = where[len(article) :]
    v = {"site_what": what, "site_where": bare, "where_em": pt_prep("em", where), "site_what_em": pt_prep("em", what),
         "site_what_de": pt_prep("de", what), "site_q": question, "staff": c.rng.choice(c.staff), "site_main": c.b.site_main}  # fmt: skip
    spec = Spec(
        "site2",
        v,
        says=by_lang(
            c,
            [
                "{site_what} is at {site_where}, in case anyone asks",
                "for deliveries to {site_what}, the address is {site_where}",
                "we've got the keys for {site_what} — {site_where}. {staff} has the spare set",
                "if anyone needs to drop something at {site_what}, it's {site_where}",
            ],
            [
                "{site_what} fica {where_em}, caso alguém pergunte",
                "⟨pra|para⟩ entregas {site_what_em}, ⟨o endereço é|a morada é⟩ {site_where}",
                "já temos as chaves {site_what_de} — {site_where}. {staff?O/A} {staff} tem a cópia",
                "se alguém ⟨precisar deixar|precisar de deixar⟩ alguma coisa {site_what_em}, é {where_em}",
            ],
        ),
        replies=by_lang(
            c,
            ["Saved {site_where} as {site_what}.", "Noted: {site_what} — {site_where}.", "Got it."],
            [
                "⟨Salvei|Guardei⟩ {site_where} como {site_what}.",
                "Anotado: {site_what} — {site_where}.",
            ],
        ),
        asks=by_lang(
            c,
            ["{site_q}", "what's the address of {site_what}?", "where's {site_what} again?"],
            [
                "{site_q}",
                "qual é ⟨o endereço|a morada⟩ {site_what_de}?",
                "onde é que fica {site_what} mesmo?",
            ],
        ),
        answer="{site_where}",
    )
    if c.rng.random() < 0.5:
        spec.siblings.append(
            Spec(
                "site_main",
                v,
                by_lang(
                    c,
                    [
                        "our registered address is {site_main}, use that on the invoices",
                        "on invoices and contracts, the address should be {site_main}",
                    ],
                    [
                        "⟨o endereço oficial é {site_main}, usa esse nas faturas|a morada fiscal é {site_main}, usa essa nas faturas⟩",
                        "nas faturas e nos contratos, ⟨o endereço|a morada⟩ tem de ser {site_main}",
                    ],
                ),
                by_lang(
                    c,
                    ["Noted, invoices will show {site_main}."],
                    ["Anotado, as faturas vão com {site_main}."],
                ),
                (),
                "",
            )
        )
    return spec


def tech_values(c: Ctx, index: int) -> dict[str, Any]:
    eq, _ = c.b.equipment[index]
    return {
        "eq": eq,
        "eq_de": pt_prep("de", eq),
        "eq_pra": pt_pra(eq, c.american),
        "tech": c.person(),
        "tech_co": firm_name(c, "tech"),
        "phone": c.phone(),
    }


def tech_says(c: Ctx) -> list[str]:
    return by_lang(
        c,
        [
            "for the {eq}, the engineer is {tech} from {tech_co}, {phone} — call {tech?him/her} if it plays up",
            "save {tech}'s number, {phone} — {tech?he/she}'s from {tech_co} and looks after our {eq}",
            "{tech_co} do the {eq} servicing now, ask for {tech}, {phone}",
            "the {eq} engineer came today — {tech} from {tech_co}. If it acts up again, {tech?his/her} number is {phone}",
        ],
        [
            "a manutenção {eq_de} é com {tech?o/a} {tech}, da {tech_co}, {phone}; se der problema, ⟨liga pra|liga para⟩ {tech?ele/ela}",
            "⟨salva|guarda⟩ o número {tech?do/da} {tech}, {phone} — é {tech?ele/ela}, da {tech_co}, que ⟨cuida|trata⟩ {eq_de}",
            "a {tech_co} passou a fazer a revisão {eq_de}, ⟨tem que|tem de⟩ pedir {tech?pelo/pela} {tech}, {phone}",
            "{tech?o técnico/a técnica} {eq_de} veio hoje — {tech?o/a} {tech}, da {tech_co}. Se der problema de novo, o número é {phone}",
        ],
    )


def sf_technician(c: Ctx) -> Spec:
    index = c.rng.randrange(len(c.b.equipment))
    replies = by_lang(c, ["Saved {tech} ({tech_co}) for the {eq}.", "Noted — {tech}, {phone}, for the {eq}.", "Got it."],
                      ["⟨Salvei|Guardei⟩ {tech} ({tech_co}) {eq_pra}.",
                       "Anotado: {tech}, {phone}, {tech?técnico/técnica} {eq_de}."])  # fmt: skip
    spec = Spec(
        f"tech:{index}",
        tech_values(c, index),
        says=tech_says(c),
        replies=replies,
        asks=by_lang(
            c,
            [
                "who do I call if the {eq} breaks down?",
                "who services the {eq}?",
                "who's the engineer for the {eq}?",
                "the {eq}'s playing up — who do I ⟨call|ring⟩?",
            ],
            [
                "⟨pra quem eu ligo|a quem ligo⟩ se {eq} ⟨pifar|avariar⟩?",
                "quem faz a manutenção {eq_de}?",
                "quem é o técnico {eq_de}?",
                "{eq} ⟨tá dando|está a dar⟩ problema, ⟨pra quem eu ligo|a quem ligo⟩?",
            ],
        ),
        answer="{tech} ({tech_co}), {phone}",
    )
    others = [i for i in range(len(c.b.equipment)) if i != index]
    if c.rng.random() < 0.5:
        j = c.rng.choice(others)
        spec.siblings.append(Spec(f"tech:{j}", tech_values(c, j), tech_says(c), replies, (), ""))
    return spec


def sf_insurance(c: Ctx) -> Spec:
    month = (c.ask_day.month + c.rng.randint(0, 9)) % 12  # a renewal still to come
    v = {"insurer": c.rng.choice(INSURERS[c.variant]), "policy": f"{c.rng.choice('BHKMPR')}{c.rng.choice('XLT')}-{c.rng.randint(10000, 99999)}",
         "month": EN_MONTHS[month] if c.lang == "en" else PT_MONTHS[month]}  # fmt: skip
    return Spec(
        "insurance",
        v,
        says=by_lang(
            c,
            [
                "our insurance is with {insurer}, it renews every {month} — remind me a month before so I can shop around",
                "FYI the business insurance is with {insurer}, the policy runs until the end of {month}",
                "the insurance renewal letter came, it's {insurer} again and it renews in {month}",
                "just so it's written down somewhere: insurance is {insurer}, renewal in {month}, policy number {policy}",
            ],
            [
                "o seguro da empresa é com a {insurer}, renova ⟨todo ano|todos os anos⟩ em {month} — ⟨me avisa|avisa-me⟩ um mês antes ⟨pra eu pesquisar|para eu comparar⟩ preços",
                "⟨só pra registrar|só para registar⟩: o seguro é da {insurer} e ⟨vence|termina⟩ no fim de {month}",
                "chegou a carta da renovação do seguro, continua com a {insurer} e renova em {month}",
                "⟨pra ficar anotado|para ficar registado⟩: seguro {insurer}, renovação em {month}, apólice {policy}",
            ],
        ),
        replies=by_lang(
            c,
            [
                "Noted — {insurer}, renewing in {month}. I'll remind you a month before.",
                "Saved: insurance with {insurer}, renewal {month}.",
            ],
            [
                "Anotado — {insurer}, renovação em {month}. ⟨Te aviso|Aviso-te⟩ um mês antes.",
                "⟨Salvei|Guardei⟩: seguro com a {insurer}, renova em {month}.",
            ],
        ),
        asks=by_lang(
            c,
            [
                "when's our insurance up for renewal?",
                "when does the insurance renew?",
                "what month do I need to ⟨deal with|sort⟩ the insurance?",
            ],
            [
                "quando ⟨vence|renova⟩ o nosso seguro?",
                "em que mês ⟨tenho que|tenho de⟩ tratar do seguro?",
            ],
        ),
        answer=by_lang(c, ["{month} ({insurer})"], ["Em {month} ({insurer})"])[0],
        forbid=by_lang(c, ["insur"], [r"\bseguro\b", "seguradora"]),
    )


def sf_client_contact(c: Ctx) -> Spec | None:
    if not c.b.client_cos:
        return None
    index = c.rng.randrange(len(c.b.client_cos))
    v = {"client_co": c.b.client_cos[index], "contact": c.person()}
    return Spec(
        f"clientco:{index}",
        v,
        says=by_lang(
            c,
            [
                "at {client_co}, the person who approves our invoices is {contact} in accounts — send them straight to {contact?him/her}",
                "{client_co} have changed how they pay: invoices now go to {contact}, not the general inbox",
                "FYI {contact} is our main contact at {client_co}; {contact?he/she} signs off the invoices",
            ],
            [
                "na {client_co}, quem aprova as nossas faturas é {contact?o/a} {contact}, do financeiro — manda direto ⟨pra|para⟩ {contact?ele/ela}",
                "a {client_co} mudou a forma de pagar: as faturas agora vão ⟨pra|para⟩ {contact}, ⟨não pro|não para o⟩ e-mail geral",
                "⟨só pra você saber|só para saberes⟩: {contact?o/a} {contact} é ⟨o nosso contato principal|o nosso contacto principal⟩ na {client_co}; é {contact?ele/ela} que aprova as faturas",
            ],
        ),
        replies=by_lang(
            c,
            [
                "Noted — invoices for {client_co} go to {contact}.",
                "Got it, {contact} is now the billing contact for {client_co}.",
            ],
            [
                "Anotado — as faturas da {client_co} vão ⟨pra|para⟩ {contact}.",
                "Combinado, {contact} ficou como ⟨contato|contacto⟩ de ⟨faturamento|faturação⟩ da {client_co}.",
            ],
        ),
        asks=by_lang(
            c,
            [
                "who signs off our invoices at {client_co}?",
                "who do I send {client_co}'s invoices to?",
                "who's the billing person at {client_co}?",
            ],
            [
                "quem aprova as nossas faturas na {client_co}?",
                "⟨pra quem eu mando|para quem envio⟩ as faturas da {client_co}?",
                "quem trata dos pagamentos na {client_co}?",
            ],
        ),
        answer="{contact}",
    )


def bday_values(c: Ctx, staff: Person) -> dict[str, Any]:
    day = date(2026, 1, 1) + timedelta(days=c.rng.randrange(365))
    return {"staff": staff, "bday": short_date(day, c.lang, c.american)}


def bday_says(c: Ctx) -> list[str]:
    return by_lang(
        c,
        [
            "{staff}'s birthday is on {bday} — remind me the day before so we can get a cake",
            "heads up, it's {staff}'s birthday on {bday}, don't let me forget this year",
            "can you put {staff}'s birthday in the ⟨calendar|diary⟩? {bday}. Last year I completely forgot",
        ],
        [
            "o aniversário {staff?do/da} {staff} é dia {bday} — ⟨me avisa|avisa-me⟩ na véspera ⟨pra gente|para a gente⟩ comprar um bolo",
            "atenção: o aniversário {staff?do/da} {staff} é no dia {bday}, ⟨não me deixa|não me deixes⟩ esquecer este ano",
            "⟨coloca|põe⟩ o aniversário {staff?do/da} {staff} na agenda? Dia {bday}. No ano passado ⟨esqueci completamente|esqueci-me completamente⟩",
        ],
    )


def sf_staff_birthday(c: Ctx) -> Spec:
    staff, other = c.rng.sample(c.staff, 2)
    replies = by_lang(c, ["Added: {staff}'s birthday, {bday}. I'll remind you the day before.",
                          "Done — {bday} is in the ⟨calendar|diary⟩ for {staff}."],
                      ["⟨Coloquei|Pus⟩ na agenda: aniversário {staff?do/da} {staff}, {bday}. ⟨Te aviso|Aviso-te⟩ na véspera.",
                       "Feito — dia {bday}, aniversário {staff?do/da} {staff}."])  # fmt: skip
    spec = Spec(
        f"bday:{staff.first}",
        bday_values(c, staff),
        says=bday_says(c),
        replies=replies,
        asks=by_lang(
            c,
            [
                "when's {staff}'s birthday?",
                "what date is {staff}'s birthday?",
                "when do we need the cake for {staff}?",
            ],
            [
                "quando é o aniversário {staff?do/da} {staff}?",
                "⟨que dia é o aniversário {staff?do/da}|que dia faz anos {staff?o/a}⟩ {staff}?",
                "quando ⟨tenho que|tenho de⟩ comprar o bolo {staff?do/da} {staff}?",
            ],
        ),
        answer="{bday}",
    )
    if c.rng.random() < 0.5:
        spec.siblings.append(
            Spec(f"bday:{other.first}", bday_values(c, other), bday_says(c), replies, (), "")
        )
    return spec


def sf_bank(c: Ctx) -> Spec:
    v = {"bank": c.rng.choice(BANKS[c.variant]), "bm": c.person(), "phone": c.phone()}
    return Spec(
        "bank",
        v,
        says=by_lang(
            c,
            [
                "our business account is with {bank}; the account manager is {bm}, {phone}",
                "if the bank calls, it's probably {bm} from {bank} — {bm?he/she}'s our account manager",
                "I met our new account manager at {bank} today, {bm}. Nice, actually. Number's {phone}",
            ],
            [
                "a conta da empresa é no {bank}; ⟨{bm?o/a} gerente|{bm?o gestor/a gestora} de conta⟩ é {bm?o/a} {bm}, {phone}",
                "se o banco ligar, deve ser {bm?o/a} {bm}, do {bank} — é ⟨{bm?o nosso gerente/a nossa gerente}|{bm?o nosso gestor/a nossa gestora} de conta⟩",
                "conheci hoje ⟨{bm?o novo gerente/a nova gerente}|{bm?o novo gestor/a nova gestora} de conta⟩ do {bank}, {bm?o/a} {bm}. {bm?Simpático/Simpática}, até. O número é {phone}",
            ],
        ),
        replies=by_lang(
            c,
            [
                "Saved {bm} as your account manager at {bank}.",
                "Noted — {bm} at {bank}.",
            ],
            [
                "⟨Salvei|Guardei⟩ o ⟨contato|contacto⟩ {bm?do/da} {bm}, do {bank}.",
                "Anotado — {bm}, {bank}.",
            ],
        ),
        asks=by_lang(
            c,
            [
                "who's our account manager at the bank?",
                "who's our person at the bank?",
                "who do I talk to at {bank}?",
            ],
            [
                "quem é ⟨o nosso gerente|o nosso gestor de conta⟩ no banco?",
                "com quem ⟨eu falo|é que falo⟩ no {bank}?",
                "quem é a nossa pessoa no banco?",
            ],
        ),
        answer="{bm} ({bank})",
        forbid=by_lang(
            c,
            ["account manager at", "bank manager", "bank calls"],
            ["gerente", "gestor de conta", "gestora de conta"],
        ),
    )


def sf_cleaners(c: Ctx) -> Spec:
    wd = c.rng.randrange(5)
    part = c.rng.randrange(2)
    v = {"clean_co": firm_name(c, "cleaning"), "wd": EN_WEEKDAYS[wd] if c.lang == "en" else PT_WEEKDAYS_SHORT[wd],
         "wd_pl": PT_WEEKDAYS_PLURAL[wd], "part": ["morning", "evening"][part],
         "part_pt": ["de manhã", "⟨no fim do dia|ao fim do dia⟩"][part]}  # fmt: skip
    return Spec(
        "cleaners",
        v,
        says=by_lang(
            c,
            [
                "the cleaners ({clean_co}) come on {wd} {part}s, so someone needs to leave the back door unlocked",
                "we've got {clean_co} doing the cleaning now, {wd} {part}s",
                "heads up: {clean_co} are doing the cleaning {wd} {part}s from now on, don't book anything in the back room then",
            ],
            [
                "a limpeza é com a {clean_co}, ⟨vêm toda {wd}|vêm às {wd_pl}⟩ {part_pt}, ⟨então alguém tem que deixar a porta dos fundos aberta|por isso alguém tem de deixar a porta das traseiras aberta⟩",
                "⟨contratamos|contratámos⟩ a {clean_co} ⟨pra fazer a limpeza|para a limpeza⟩, ⟨toda {wd}|às {wd_pl}⟩ {part_pt}",
                "atenção: a limpeza agora é com a {clean_co}, ⟨toda {wd}|às {wd_pl}⟩ {part_pt}, ⟨não marca nada na sala dos fundos nesse horário|não marques nada na sala das traseiras a essa hora⟩",
            ],
        ),
        replies=by_lang(
            c,
            ["Noted — {clean_co}, {wd} {part}s.", "Got it."],
            ["Anotado — {clean_co}, ⟨toda {wd}|às {wd_pl}⟩ {part_pt}.", "Combinado."],
        ),
        asks=by_lang(
            c,
            [
                "what day do the cleaners come in?",
                "when do the cleaners come?",
                "which day is cleaning day?",
            ],
            [
                "que dia ⟨vem o pessoal da limpeza|vem a equipa da limpeza⟩?",
                "quando é que ⟨a limpeza vem|vêm fazer a limpeza⟩?",
                "qual é o dia da limpeza?",
            ],
        ),
        answer=by_lang(
            c, ["{wd} {part}s ({clean_co})"], ["⟨Toda {wd}|Às {wd_pl}⟩ {part_pt} ({clean_co})"]
        )[0],
        forbid=by_lang(c, ["cleaner", "cleaning company", "the cleaning"], ["limpeza", "faxina"]),
    )


def sf_deliveries(c: Ctx) -> Spec:
    v = {"back_street": c.b.back_street}
    return Spec(
        "deliveries",
        v,
        says=by_lang(
            c,
            [
                "tell suppliers to deliver to the back entrance on {back_street}, the front is a nightmare to park",
                "deliveries go round the back, on {back_street} — there's a buzzer by the shutter",
                "note for the suppliers: no deliveries at the front any more, use the back door on {back_street}",
            ],
            [
                "⟨fala pros fornecedores entregarem pela porta dos fundos|diz aos fornecedores para entregarem pela porta das traseiras⟩, na {back_street}; na frente não dá ⟨pra|para⟩ estacionar",
                "as entregas são ⟨pelos fundos|pelas traseiras⟩, na {back_street} — ⟨tem|há⟩ uma campainha ao lado do portão",
                "⟨recado pros|recado para os⟩ fornecedores: nada de entregas pela frente, é pela porta ⟨dos fundos|das traseiras⟩ na {back_street}",
            ],
        ),
        replies=by_lang(
            c,
            [
                "Noted — deliveries to the back entrance on {back_street}.",
                "Got it, I'll add that to the delivery notes for suppliers.",
            ],
            [
                "Anotado — entregas pela porta ⟨dos fundos|das traseiras⟩, na {back_street}.",
                "Combinado, ⟨coloco|ponho⟩ isso nas instruções ⟨pros|para os⟩ fornecedores.",
            ],
        ),
        asks=by_lang(
            c,
            [
                "where should suppliers drop deliveries off?",
                "where do deliveries go?",
                "which entrance do deliveries use?",
            ],
            [
                "onde é que os fornecedores devem fazer as entregas?",
                "por onde entram as entregas?",
                "as entregas são por ⟨qual|que⟩ porta?",
            ],
        ),
        answer=by_lang(
            c,
            ["The back entrance on {back_street}"],
            ["Pela porta ⟨dos fundos|das traseiras⟩, na {back_street}"],
        )[0],
        forbid=by_lang(
            c, ["back entrance", "back door", "round the back"], ["fundos", "traseiras"]
        ),
    )


SINGLE_FACTS: tuple[Callable[[Ctx], Spec | None], ...] = (
    sf_accountant, sf_supplier_rep, sf_rent_day, sf_staff_duty, sf_site2, sf_technician,
    sf_insurance, sf_client_contact, sf_staff_birthday, sf_bank, sf_cleaners, sf_deliveries,
)  # fmt: skip


@dataclass(frozen=True)
class Preference:
    topic: str
    options: dict[str, tuple[tuple[tuple[str, ...], str], ...]]  # per language: (phrasings, answer)
    replies: dict[str, tuple[str, ...]]
    asks: dict[str, tuple[str, ...]]
    forbid: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _pref(topic: str, en: list[tuple[list[str], str]], pt: list[tuple[list[str], str]], replies_en: list[str],
          replies_pt: list[str], asks_en: list[str], asks_pt: list[str], forbid_en: tuple[str, ...] = (),
          forbid_pt: tuple[str, ...] = ()) -> Preference:  # fmt: skip
    return Preference(topic, {"en": tuple((tuple(s), a) for s, a in en), "pt": tuple((tuple(s), a) for s, a in pt)},
                      {"en": tuple(replies_en), "pt": tuple(replies_pt)}, {"en": tuple(asks_en), "pt": tuple(asks_pt)},
                      {"en": forbid_en, "pt": forbid_pt})  # fmt: skip


ACK_EN = ["Understood — I'll do it that way from now on.", "Got it, noted.", "Makes sense. Noted for next time.",
          "Noted."]  # fmt: skip
ACK_PT = ["Entendido — ⟨vou fazer|passo a fazer⟩ assim.", "Combinado, anotado.", "Faz sentido. ⟨Tá|Está⟩ anotado.",
          "Anotado."]  # fmt: skip

# fmt: off
PREFERENCES: tuple[Preference, ...] = (
    _pref("pref:reminders",
          [(["for reminders, send them the evening before around 8, not on the morning itself — mornings are chaos here",
             "can you do my reminders the night before, about 8pm? In the morning I never see them"], "The evening before, around 8pm"),
           (["I'd rather get reminders at 7:30 in the morning, before we open, than during the day",
             "send my reminders first thing, 7:30-ish, before the {clients} start arriving"], "First thing, around 7:30am, before opening"),
           (["give me reminders an hour before, not the night before — I forget them overnight",
             "reminders work best for me an hour ahead; the day before is useless"], "An hour before, not the day before")],
          [(["⟨me manda os lembretes|manda-me os lembretes⟩ na véspera à noite, ⟨lá pelas|por volta das⟩ 20h — de manhã aqui é uma correria",
             "⟨dá pra|dá para⟩ mandar os meus lembretes na noite anterior, umas 20h? De manhã eu nunca vejo"], "Na véspera à noite, por volta das 20h"),
           (["prefiro receber os lembretes às 7h30, antes de abrir, do que durante o dia",
             "⟨manda|envia⟩ os lembretes logo cedo, umas 7h30, antes de os {clients} começarem a chegar"], "Logo cedo, por volta das 7h30, antes de abrir"),
           (["⟨me avisa|avisa-me⟩ uma hora antes, não na véspera — ⟨eu esqueço|esqueço-me⟩ de um dia ⟨pro|para o⟩ outro",
             "lembrete ⟨pra mim|para mim⟩ funciona uma hora antes; na véspera não adianta nada"], "Uma hora antes, não na véspera")],
          ["Understood — I'll time your reminders that way.", "Got it, that goes for all your reminders.", "Makes sense. Changed."],
          ["Entendido — ⟨vou mandar|passo a mandar⟩ os lembretes assim.", "Combinado, vale ⟨pra|para⟩ todos os lembretes."],
          ["when do I like to get my reminders?", "what did I say about the timing of reminders?",
           "when's the best time to send me a reminder?"],
          ["quando é que eu gosto de receber os lembretes?", "o que eu ⟨falei|disse⟩ sobre o horário dos lembretes?",
           "qual é a melhor hora ⟨pra me mandar|para me enviar⟩ um lembrete?"],
          (r"reminders? (the|an|at|first)", "evening before", "night before"), ("véspera", "lembretes? (logo|às|uma)")),
    _pref("pref:channel",
          [(["if something's urgent, WhatsApp me — I never check email during the day",
             "anything urgent, send it on WhatsApp please, email can wait"], "WhatsApp (not email)"),
           (["if it's urgent, ⟨call|ring⟩ me, don't text — I miss texts all the time",
             "for anything that can't wait, call me; messages get buried"], "A phone call, not a text"),
           (["email's fine for most things, but if a {client} complains, text me straight away",
             "text me right away if a {client} is unhappy; everything else can go by email"], "A text straight away (email for the rest)")],
          [(["se for urgente, ⟨me chama no WhatsApp|manda-me WhatsApp⟩ — e-mail eu não vejo durante o dia",
             "coisa urgente, ⟨manda|envia⟩ pelo WhatsApp por favor, o e-mail pode esperar"], "Pelo WhatsApp (e-mail não)"),
           (["se for urgente, ⟨me liga|liga-me⟩, não ⟨manda mensagem|mandes mensagem⟩ — eu perco as mensagens",
             "⟨o que não puder esperar, me liga; mensagem se perde|para o que não puder esperar, chamada; as mensagens perdem-se⟩"], "Ligar, não mandar mensagem"),
           (["e-mail ⟨tá|está⟩ bom ⟨pra|para⟩ quase tudo, mas se algum {client} reclamar, ⟨me manda|manda-me⟩ uma mensagem na hora",
             "se um {client} ficar ⟨chateado|aborrecido⟩, mensagem na hora; o resto pode ir por e-mail"], "Mensagem na hora (o resto por e-mail)")],
          ACK_EN, ACK_PT,
          ["how should you get hold of me when something's urgent?", "what's the best way to reach me if it can't wait?",
           "what did I say about contacting me for urgent stuff?"],
          ["⟨como você deve falar|como deves falar⟩ comigo quando for urgente?", "qual é a melhor forma de ⟨me achar|me contactar⟩ se não puder esperar?",
           "o que eu ⟨falei|disse⟩ sobre ⟨me contatar|me contactar⟩ em caso de urgência?"],
          ("urgent",), ("urgente", "urgência")),
    _pref("pref:tone",
          [(["when you write to {clients}, keep it friendly but professional — first names, no emojis",
             "for messages to {clients}: warm, use their first name, but no emojis please"], "Friendly but professional: first names, no emojis"),
           (["our {clients} like it casual, so emojis are fine, but never 'Dear Sir or Madam'",
             "you can be relaxed with {clients}, a smiley here and there is fine — just nothing stiff like 'Dear Sir'"], "Casual, emojis fine, nothing stiff like 'Dear Sir or Madam'"),
           (["messages to {clients} should be short and formal: Mr or Mrs and the surname",
             "keep anything going out to {clients} formal and brief — title and surname, no first names"], "Short and formal, title and surname")],
          [(["as mensagens ⟨pros|para os⟩ {clients} ⟨têm que|têm de⟩ ser simpáticas mas profissionais: pelo primeiro nome e sem emojis",
             "com os {clients}, tom próximo, chama pelo nome, mas nada de emoji"], "Simpático mas profissional: pelo nome, sem emojis"),
           (["os nossos {clients} gostam de informalidade, pode usar emoji, mas nunca ⟨'Prezado Senhor'|'Exmo. Senhor'⟩",
             "⟨pode|podes⟩ ser descontraído com os {clients}, uma carinha aqui e ali ⟨tá|está⟩ ótimo — só nada de ⟨'Prezado'|'Exmo.'⟩"],
            "Descontraído, com emojis, nunca ⟨'Prezado Senhor'|'Exmo. Senhor'⟩"),
           (["mensagens ⟨pros|para os⟩ {clients} curtas e formais: Sr. ou Sra. e o ⟨sobrenome|apelido⟩",
             "tudo o que for ⟨pros|para os⟩ {clients} formal e curto — Sr./Sra. e ⟨sobrenome|apelido⟩, nada de primeiro nome"],
            "Curtas e formais, Sr./Sra. e ⟨sobrenome|apelido⟩")],
          ACK_EN, ACK_PT,
          ["what tone did I ask you to use with {clients}?", "how do I want messages to {clients} to sound?",
           "what did I say about how to write to {clients}?"],
          ["que tom eu pedi ⟨pra|para⟩ usar com os {clients}?", "como eu quero que soem as mensagens ⟨pros|para os⟩ {clients}?",
           "o que eu ⟨falei|disse⟩ sobre como escrever ⟨pros|aos⟩ {clients}?"],
          ("emoji", "formal"), ("emoji", "formal")),
    _pref("pref:earliest",
          [(["don't book me anything before 10, I do ⟨school drop-off|the school run⟩", "nothing in my ⟨calendar|diary⟩ before 10am please — ⟨school drop-off|school run⟩"],
            "10am (⟨school drop-off|school run⟩ before that)"),
           (["never before 9:30 please, I need the first half hour to open up", "I can't do meetings before ⟨9:30|half nine⟩, that's when I'm opening up"],
            "9:30am"),
           (["mornings are for {clients}, so meetings only from 2pm", "keep mornings free for {clients}; meetings after 2 only"],
            "2pm (mornings are for {clients})")],
          [(["não ⟨marca|marques⟩ nada antes das 10h ⟨pra|para⟩ mim, ⟨eu levo as crianças na escola|levo os miúdos à escola⟩",
             "nada na minha agenda antes das 10h, por favor — é a hora da escola"], "10h (antes disso é a escola das crianças)"),
           (["nunca antes das 9h30, por favor, preciso da primeira meia hora ⟨pra|para⟩ abrir",
             "reunião antes das 9h30 não dá, é quando eu ⟨tô abrindo|estou a abrir⟩"], "9h30"),
           (["as manhãs são ⟨pros|para os⟩ {clients}, reuniões só a partir das 14h",
             "deixa as manhãs livres ⟨pros|para os⟩ {clients}; reunião só depois das 14h"], "14h (as manhãs são ⟨pros|para os⟩ {clients})")],
          ACK_EN, ACK_PT,
          ["what's the earliest you can put a meeting in my ⟨calendar|diary⟩?", "from what time am I happy to take meetings?",
           "how early can you book me in?"],
          ["qual é o horário mais cedo que ⟨você pode|podes⟩ marcar uma reunião ⟨pra|para⟩ mim?", "a partir de que horas eu aceito reuniões?"],
          ("school run", "drop-off", "before 10", "before 9:30", "half nine", "from 2pm", "after 2"), ("antes das", "a partir das 14h", "depois das 14h")),
    _pref("pref:format",
          [(["when I ask for numbers, give me the total first and then a short list, no paragraphs",
             "figures: total at the top, then a short list — I don't read long paragraphs"], "Total first, then a short list"),
           (["I like figures compared with the same month last year, otherwise they don't tell me much",
             "whenever you give me revenue, put last year's same month next to it"], "Compared with the same month last year"),
           (["round everything to the nearest hundred when you give me figures, I don't need the ⟨cents|pennies⟩",
             "no need for exact amounts in summaries — round to the hundred"], "Rounded to the nearest hundred")],
          [(["quando eu pedir números, ⟨me dá|dá-me⟩ o total primeiro e depois uma lista curta, nada de parágrafo",
             "números: o total em cima, depois uma lista curta — parágrafo grande eu não leio"], "O total primeiro, depois uma lista curta"),
           (["gosto dos números comparados com o mesmo mês do ano passado, senão não me dizem muito",
             "sempre que ⟨me passar|me deres⟩ o ⟨faturamento|volume de faturação⟩, ⟨coloca|põe⟩ ao lado o mesmo mês do ano passado"],
            "Comparados com o mesmo mês do ano passado"),
           (["arredonda tudo à centena quando ⟨me passar|me deres⟩ números, não preciso dos centavos",
             "não precisa de valores exatos nos resumos — arredonda à centena"], "Arredondados à centena")],
          ACK_EN, ACK_PT,
          ["how do I like my figures presented?", "what did I say about how to show me the numbers?", "how should you give me the numbers?"],
          ["como eu gosto de ver os números?", "o que eu ⟨falei|disse⟩ sobre como ⟨me mostrar|me apresentar⟩ os números?"],
          ("nearest hundred", "total first", "same month last year"), ("centena", "total primeiro", "ano passado")),
    _pref("pref:chasing",
          [(["with late payers, wait five days after the due date, first message friendly, second one firmer",
             "chasing rule: five days' grace, then a friendly nudge, then a firmer one a week later"],
            "Wait five days after the due date; a friendly message first, then a firmer one"),
           (["never chase anyone in their first month with us, just flag it to me",
             "new {clients} don't get chased in their first month — tell me instead and I'll handle it"],
            "Never chase new {clients} in their first month; flag it to me"),
           (["chase overdue invoices every Monday morning, one polite reminder, then hand it over to me",
             "Mondays are for chasing: one polite reminder for anything overdue, and if that doesn't work it comes to me"],
            "Monday mornings, one polite reminder, then hand it to me")],
          [(["com quem atrasa, espera cinco dias depois do vencimento; a primeira mensagem simpática, a segunda mais firme",
             "regra de cobrança: cinco dias de tolerância, depois um lembrete simpático e, uma semana depois, um mais firme"],
            "Esperar cinco dias após o vencimento; primeiro simpático, depois mais firme"),
           (["nunca ⟨cobra|cobres⟩ ninguém no primeiro mês com a gente, só ⟨me avisa|avisa-me⟩",
             "{clients} novos não são cobrados no primeiro mês — ⟨me avisa|avisa-me⟩ que eu resolvo"],
            "Nunca cobrar {clients} novos no primeiro mês; avisar-me"),
           (["cobra as faturas atrasadas ⟨toda segunda|todas as segundas⟩ de manhã, um lembrete educado, e depois passa ⟨pra|para⟩ mim",
             "segunda é dia de cobrança: um lembrete educado ⟨pra|para⟩ o que estiver atrasado e, se não resolver, vem ⟨pra|para⟩ mim"],
            "⟨Toda segunda|Às segundas⟩ de manhã, um lembrete educado, depois passa para mim")],
          ACK_EN, ACK_PT,
          ["what's my rule for chasing late payments?", "how do I want overdue payments chased?",
           "what did I say about chasing people who haven't paid?"],
          ["qual é a minha regra ⟨pra cobrar|para cobrar⟩ atrasados?", "como eu quero que os atrasados sejam cobrados?",
           "o que eu ⟨falei|disse⟩ sobre cobrar quem não pagou?"],
          ("chasing rule", "late payers", "first month"), ("tolerância", "primeiro mês", "quem atrasa")),
    _pref("pref:signoff",
          [(["sign messages to {clients} as 'The {biz} team', not with my name",
             "when you message {clients}, sign off as 'The {biz} team' please"], "'The {biz} team'"),
           (["put my name at the end of messages — '{owner}, {biz}' — people like talking to a person",
             "sign everything to {clients} with my name, '{owner}, {biz}', not the team"], "'{owner}, {biz}'")],
          [(["assina as mensagens ⟨pros|para os⟩ {clients} como '⟨Equipe|Equipa⟩ {biz}', não com o meu nome",
             "quando ⟨mandar|mandares⟩ mensagem ⟨pros|aos⟩ {clients}, assina '⟨Equipe|Equipa⟩ {biz}', por favor"], "'⟨Equipe|Equipa⟩ {biz}'"),
           (["⟨coloca|põe⟩ o meu nome no fim das mensagens — '{owner}, {biz}' — as pessoas gostam de falar com gente",
             "assina tudo ⟨pros|para os⟩ {clients} com o meu nome, '{owner}, {biz}', não com a ⟨equipe|equipa⟩"], "'{owner}, {biz}'")],
          ACK_EN, ACK_PT,
          ["how should messages to {clients} be signed?", "what sign-off do I want on messages?",
           "whose name goes at the bottom of messages to {clients}?"],
          ["como é que as mensagens ⟨pros|para os⟩ {clients} devem ser assinadas?", "que assinatura eu quero nas mensagens?"],
          ("sign off", "sign messages", "sign everything", "sign-off"), ("assina as", "assina tudo", "assine")),
    _pref("pref:quiet",
          [(["never message {clients} on Sundays, even reminders — it can wait till Monday",
             "Sundays are off limits for messages to {clients}, no exceptions"], "Never on a Sunday"),
           (["no messages to {clients} after 8pm, ever", "don't send anything to {clients} after 8 in the evening, it looks desperate"],
            "Never after 8pm")],
          [(["nunca ⟨manda|mandes⟩ mensagem ⟨pros|aos⟩ {clients} ⟨no|ao⟩ domingo, nem lembrete — pode esperar até segunda",
             "domingo não se manda mensagem ⟨pros|aos⟩ {clients}, sem exceção"], "Nunca ⟨no|ao⟩ domingo"),
           (["nada de mensagem ⟨pros|para os⟩ {clients} depois das 20h, nunca",
             "não ⟨manda|mandes⟩ nada ⟨pros|aos⟩ {clients} depois das 20h, fica feio"], "Nunca depois das 20h")],
          ACK_EN, ACK_PT,
          ["when should you never contact {clients}?", "what did I say about messaging {clients} out of hours?",
           "are there times I don't want {clients} contacted?"],
          ["quando é que não se pode mandar mensagem ⟨pros|aos⟩ {clients}?",
           "o que eu ⟨falei|disse⟩ sobre mandar mensagem ⟨pros|aos⟩ {clients} ⟨fora do horário|fora de horas⟩?"],
          ("sunday", "after 8"), ("domingo", "depois das 20h")),
    _pref("pref:admin",
          [(["keep Friday afternoons free in my ⟨calendar|diary⟩, that's when I do the admin", "Friday afternoons are admin time — don't book anything"],
            "Friday afternoons"),
           (["Wednesday mornings are my admin time, don't book anything then", "block Wednesday mornings for admin every week please"],
            "Wednesday mornings")],
          [(["deixa as sextas à tarde livres na minha agenda, é quando eu ⟨faço a papelada|trato da papelada⟩",
             "sexta à tarde é ⟨pra|para⟩ papelada — não ⟨marca|marques⟩ nada"], "Sexta à tarde"),
           (["quarta de manhã é o meu horário de papelada, não ⟨marca|marques⟩ nada",
             "bloqueia as quartas de manhã ⟨pra|para⟩ papelada, toda semana, por favor"], "Quarta de manhã")],
          ACK_EN, ACK_PT,
          ["when do I keep my ⟨calendar|diary⟩ clear for admin?", "which slot did I say to keep free for paperwork?", "when's my admin time?"],
          ["quando é que eu deixo a agenda livre ⟨pra|para⟩ papelada?", "qual é o meu horário de papelada?"],
          ("admin", "paperwork"), ("papelada",)),
    _pref("pref:summary",
          [(["send me a summary of the day at 6pm, just money in and what's on tomorrow",
             "at 6 every evening I'd like a quick wrap-up: payments received and tomorrow's ⟨calendar|diary⟩"], "6pm: money in and tomorrow's ⟨calendar|diary⟩"),
           (["I'd like a quick summary every morning at 8 with today's appointments",
             "every morning at 8, a short rundown of the day please"], "8am: the day's appointments")],
          [(["⟨me manda|manda-me⟩ um resumo do dia às 18h, só o que entrou e o que tem amanhã",
             "às 18h, todo dia, quero um resumo rápido: pagamentos recebidos e a agenda de amanhã"], "Às 18h: o que entrou e a agenda de amanhã"),
           (["quero um resumo rápido toda manhã às 8h com os compromissos do dia",
             "toda manhã às 8h, um resumo curto do dia, por favor"], "Às 8h: os compromissos do dia")],
          ACK_EN, ACK_PT,
          ["when do I want my daily summary, and what goes in it?", "what did I ask for in the daily summary?",
           "what time does my daily rundown go out?"],
          ["quando eu quero o resumo do dia, e o que vai nele?", "o que eu pedi no resumo diário?"],
          ("summary", "rundown", "wrap-up"), ("resumo",)),
    _pref("pref:discount",
          [(["you can offer up to 10% off to keep a {client}, anything more ask me first",
             "discounts: 10% max on your own, more than that needs my OK"], "Up to 10%; more needs my OK"),
           (["no discounts at all without checking with me", "please don't offer discounts, even small ones, without asking me first"],
            "None without asking me first")],
          [(["⟨você pode|podes⟩ dar até 10% de desconto ⟨pra|para⟩ segurar um {client}; mais do que isso, ⟨me pergunta|pergunta-me⟩ antes",
             "descontos: no máximo 10% por conta própria, acima disso só com o meu ok"], "Até 10%; mais do que isso, só com o meu ok"),
           (["nada de desconto sem falar comigo", "por favor não ⟨oferece|ofereças⟩ desconto, nem pequeno, sem me perguntar"],
            "Nenhum sem me perguntar")],
          ACK_EN, ACK_PT,
          ["how much discount are you allowed to give without asking me?", "what's the limit on discounts?",
           "can you give discounts without checking with me?"],
          ["quanto de desconto ⟨você pode|podes⟩ dar sem me perguntar?", "qual é o limite de desconto?"],
          ("discount", "% off"), ("desconto",)),
)
# fmt: on


def pref_spec(c: Ctx, pref: Preference) -> Spec:
    says, answer = c.rng.choice(pref.options[c.lang])
    return Spec(pref.topic, {}, says=list(says), replies=list(pref.replies[c.lang]), asks=list(pref.asks[c.lang]),
                answer=answer, forbid=pref.forbid.get(c.lang, ()))  # fmt: skip


# --------------------------------------------------------------------------------------------
# Plans: which turns state a fact, in which sessions, and the question asked about it
# --------------------------------------------------------------------------------------------


@dataclass
class Statement:
    session: int
    says: Sequence[str]
    replies: Sequence[str]
    values: dict[str, Any]
    merge: bool = True  # may be said in passing, inside an ordinary request
    turn_id: str = ""


@dataclass
class Plan:
    category: str | None  # None: a fact that is stated but never asked about
    topics: list[str]
    statements: list[Statement]
    evidence: list[int] = field(default_factory=list)
    superseded: list[int] = field(default_factory=list)
    asks: Sequence[str] = ()
    answer: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    exclude: dict[int, tuple[str, ...]] = field(
        default_factory=dict
    )  # session: request kinds kept out


def chain(c: Ctx, count: int, gap: int = 7, within: int = 365) -> list[int] | None:
    """``count`` sessions in order, each ``gap`` to ``within`` days after the previous one."""

    def nexts(i: int) -> list[int]:
        return [j for j in c.later(i, gap) if c.dates[j] <= c.dates[i] + timedelta(days=within)]

    def reaches(i: int, left: int) -> bool:
        return left == 0 or any(reaches(j, left - 1) for j in nexts(i))

    firsts = [i for i in range(c.n) if reaches(i, count - 1)]
    if not firsts:
        return None
    picked = [c.pick(firsts)]
    while len(picked) < count:
        left = count - len(picked) - 1
        picked.append(c.pick([j for j in nexts(picked[-1]) if reaches(j, left)]))
    return picked


def ku_plan(c: Ctx, topics: list[str], values: dict[str, Any], chain_says: list[tuple[list[str], list[str]]],
            asks: list[str], answer: str, news: list[dict[str, Any]]) -> Plan | None:  # fmt: skip
    """A fact stated, then changed once or twice: the last statement is the evidence."""
    sessions = chain(c, len(chain_says), gap=c.rng.choice([14, 21, 28, 35]))  # weeks apart
    if sessions is None:
        return None
    statements = [Statement(s, says, replies, {**values, **news[k]})
                  for k, (s, (says, replies)) in enumerate(zip(sessions, chain_says, strict=True))]  # fmt: skip
    last = len(statements) - 1
    return Plan("knowledge_update", topics, statements, evidence=[last], superseded=list(range(last)),
                asks=asks, answer=answer, values=values)  # fmt: skip


def two_updates(c: Ctx) -> bool:
    return c.rng.random() < 0.4


def ku_accountant(c: Ctx) -> Plan | None:
    first = sf_accountant(c)
    v = {**first.values, "acc2": c.person(), "firm2": firm_name(c, "accounting")}
    update = by_lang(
        c,
        [
            "we've left {firm} — the new accountant is {acc2} from {firm2}, so the invoices go to {acc2_first} from now on",
            "change of accountant: {acc2} at {firm2} is doing our books now, {acc_first} is out",
            "just signed with {firm2}, {acc2} will be our accountant — update it wherever you have {acc_first}",
        ],
        [
            "⟨saímos da|deixámos a⟩ {firm} — ⟨{acc2?o novo contador/a nova contadora}|{acc2?o novo contabilista/a nova contabilista}⟩ é {acc2?o/a} {acc2}, da {firm2}, ⟨então|por isso⟩ as faturas agora vão ⟨pra|para⟩ {acc2?ele/ela}",
            "⟨troquei de contador|mudei de contabilista⟩: agora quem faz as nossas contas é {acc2?o/a} {acc2}, da {firm2}; {acc?o/a} {acc_first} ⟨saiu|já não está⟩",
            "fechei com a {firm2}, {acc2?o/a} {acc2} vai ser ⟨{acc2?o nosso contador/a nossa contadora}|{acc2?o nosso contabilista/a nossa contabilista}⟩ — atualiza onde ⟨tiver|tiveres⟩ {acc?o/a} {acc_first}",
        ],
    )
    replies = by_lang(
        c,
        [
            "Updated — {acc2} at {firm2} is your accountant now.",
            "Done, I've replaced {acc_first} with {acc2}.",
        ],
        [
            "Atualizado: agora é {acc2?o/a} {acc2}, da {firm2}.",
            "Feito, {acc2} ficou no lugar de {acc_first}.",
        ],
    )
    asks = by_lang(c, ["who does my books now?", "who's our accountant at the moment?", "who should the monthly reports go to these days?"],
                   ["quem cuida da nossa contabilidade agora?", "quem é ⟨o nosso contador|o nosso contabilista⟩ atualmente?",
                    "⟨pra quem|para quem⟩ vão os relatórios do mês hoje em dia?"])  # fmt: skip
    says = [s for s in first.says if "{phone}" not in s]
    return ku_plan(
        c,
        ["accountant"],
        v,
        [(says, list(first.replies)), (update, replies)],
        asks,
        "{acc2} ({firm2})",
        [{}, {}],
    )


def ku_hours(c: Ctx) -> Plan | None:
    wd = c.b.hours_day
    picked = c.rng.sample(list(c.b.hours), 3 if two_updates(c) else 2)
    ranges = [span(h1, h2, c.lang) for h1, h2 in picked]
    v = {"hday": EN_WEEKDAYS[wd] if c.lang == "en" else PT_WEEKDAYS_SHORT[wd],
         "hday_aos": ("aos " if wd >= 5 else "às ") + PT_WEEKDAYS_PLURAL[wd], "hlast": ranges[-1]}  # fmt: skip
    first = (by_lang(c, ["on {hday}s we're open {hnew}, in case anyone asks", "{hday} hours are {hnew}",
                         "for the website and Google: {hday}s we open {hnew}"],
                     ["{hday_aos} ⟨a gente abre|abrimos⟩ {hnew}, caso alguém pergunte", "o horário de {hday} é {hnew}",
                      "⟨pro site e pro Google|para o site e o Google⟩: {hday_aos} ⟨a gente abre|abrimos⟩ {hnew}"]),
             by_lang(c, ["Noted: {hday}s {hnew}.", "Got it."], ["Anotado: {hday_aos}, {hnew}.", "Combinado."]))  # fmt: skip
    replies = by_lang(
        c,
        [
            "Updated — {hday}s are now {hnew}.",
            "Got it. Want me to update the website and the Google listing too?",
        ],
        [
            "Atualizado — {hday_aos} agora é {hnew}.",
            "Feito. ⟨Quer que eu atualize|Queres que atualize⟩ o site e o Google também?",
        ],
    )
    update = by_lang(c, ["from this week we're opening {hnew} on {hday}s", "change of hours: {hday}s are {hnew} from now on",
                         "we're trying something new — {hday}s {hnew}, starting this week"],
                     ["a partir desta semana, {hday_aos} ⟨a gente abre|abrimos⟩ {hnew}", "mudança de horário: {hday_aos} agora é {hnew}",
                      "vamos ⟨testar|experimentar⟩ uma coisa — {hday_aos} {hnew}, a partir desta semana"])  # fmt: skip
    again = by_lang(
        c,
        [
            "{hday}s are changing again: {hnew} from now on, the last change didn't work",
            "back to the drawing board on {hday}s — {hnew} going forward",
        ],
        [
            "{hday_aos} muda de novo: {hnew} a partir de agora, a última mudança não ⟨deu certo|resultou⟩"
        ],
    )
    steps = [first, (update, replies), (again, replies)][: len(ranges)]
    asks = by_lang(
        c,
        [
            "what are our {hday} hours now?",
            "when are we open on {hday}s?",
            "what times do we open on a {hday}?",
        ],
        [
            "qual é o horário de {hday} agora?",
            "a que horas ⟨a gente abre|abrimos⟩ {hday_aos}?",
            "qual é o nosso horário {hday_aos}?",
        ],
    )
    return ku_plan(
        c,
        ["hours"],
        v,
        [(list(s), list(r)) for s, r in steps],
        asks,
        "{hlast}",
        [{"hnew": r} for r in ranges],
    )


def nice_price(value: float) -> int:
    step_ = 1 if value < 40 else 5 if value < 400 else 10 if value < 2000 else 50
    return max(step_, round(value / step_) * step_)


def ku_price(c: Ctx) -> Plan | None:
    index = c.rng.randrange(len(c.b.services))
    name, lo, hi = c.b.services[index]
    p1 = nice_price(c.rng.uniform(lo, hi))
    p2 = nice_price(p1 * c.rng.uniform(1.08, 1.2))
    p2 = p2 if p2 > p1 else p1 + nice_price(p1 * 0.1)
    prices = [p1, p2]
    if two_updates(c):
        p3 = nice_price((p1 + p2) / 2)
        if p1 < p3 < p2:
            prices.append(p3)
    shown = [money(p, c.variant) for p in prices]
    v = {**c.service_values(name), "plast": shown[-1], "p2": shown[1]}
    first = (by_lang(c, ["the {service} is {pnew} at the moment, for anyone who asks", "just so you have it, we charge {pnew} for the {service}",
                         "price check for you: {service}, {pnew}"],
                     ["{service} ⟨tá|está⟩ {pnew} no momento, ⟨pra|para⟩ quem perguntar", "⟨só pra você saber|só para saberes⟩: cobramos {pnew} {service_por}",
                      "preço ⟨pra você ter|para teres⟩: {service_bare}, {pnew}"]),
             by_lang(c, ["Noted: {service}, {pnew}.", "Got it."], ["Anotado: {service_bare}, {pnew}.", "Combinado."]))  # fmt: skip
    replies = by_lang(
        c,
        ["Updated: the {service} is now {pnew}.", "Done, price list updated."],
        ["Atualizado: {service} agora custa {pnew}.", "Feito, tabela atualizada."],
    )
    update = by_lang(c, ["we're putting the {service} up to {pnew} from now on — update the price list",
                         "new price for the {service}: {pnew}, costs have gone up"],
                     ["vamos subir {service} ⟨pra|para⟩ {pnew} a partir de agora — atualiza a tabela",
                      "preço novo {service_de}: {pnew}, os custos subiram"])  # fmt: skip
    again = by_lang(
        c,
        [
            "actually, {p2} was too big a jump — let's make the {service} {pnew}",
            "changed my mind on the {service}: {pnew}, not {p2}",
        ],
        [
            "pensando bem, {p2} foi um salto grande demais — {service} fica em {pnew}",
            "mudei de ideia sobre {service}: {pnew}, não {p2}",
        ],
    )
    steps = [first, (update, replies), (again, replies)][: len(prices)]
    asks = by_lang(c, ["how much is the {service} now?", "what are we charging for the {service} these days?", "what's the current price of the {service}?"],
                   ["quanto ⟨tá|está⟩ {service} agora?", "⟨quanto a gente cobra|quanto cobramos⟩ {service_por} hoje em dia?",
                    "qual é o preço atual {service_de}?"])  # fmt: skip
    return ku_plan(
        c,
        ["prices", f"price:{index}"],
        v,
        [(list(s), list(r)) for s, r in steps],
        asks,
        "{plast}",
        [{"pnew": p} for p in shown],
    )


def weekday_values(c: Ctx, key: str, wd: int) -> dict[str, Any]:
    return {
        key: EN_WEEKDAYS[wd] if c.lang == "en" else PT_WEEKDAYS_SHORT[wd],
        key + "_pl": PT_WEEKDAYS_PLURAL[wd],
    }


def ku_delivery(c: Ctx) -> Plan | None:
    which = c.rng.randrange(len(c.b.suppliers))
    company, goods, goods_q = c.b.suppliers[which]
    days = c.rng.sample(range(5), 3 if two_updates(c) else 2)
    v = {"sup": company, "goods": goods, "goods_q": goods_q, **weekday_values(c, "dlast", days[-1])}
    first = (by_lang(c, ["{sup} deliver {goods} on {dnew}s, usually before 9", "just so you know, the {sup} delivery is every {dnew}"],
                     ["a {sup} entrega {goods} ⟨toda {dnew}|às {dnew_pl}⟩, normalmente antes das 9h",
                      "as entregas da {sup} são ⟨toda {dnew}|às {dnew_pl}⟩"]),
             by_lang(c, ["Noted — {sup} on {dnew}s.", "Got it."], ["Anotado — {sup} ⟨toda {dnew}|às {dnew_pl}⟩.", "Combinado."]))  # fmt: skip
    replies = by_lang(
        c,
        ["Noted — {sup} on {dnew}s now.", "Got it, I'll shift the order reminders to match."],
        [
            "Anotado — {sup} ⟨toda {dnew}|às {dnew_pl}⟩.",
            "Combinado, ⟨vou ajustar|ajusto⟩ os lembretes de pedido.",
        ],
    )
    update = by_lang(c, ["{sup} are changing their routes, so deliveries are on {dnew}s from now on", "heads up, {sup} have moved us to {dnew} deliveries"],
                     ["a {sup} mudou as rotas, agora ⟨entrega toda {dnew}|entrega às {dnew_pl}⟩",
                      "atenção, a {sup} passou as nossas entregas ⟨pra {dnew}|para as {dnew_pl}⟩"])  # fmt: skip
    again = by_lang(
        c,
        ["{sup} have changed the day again — {dnew}s now. Third time this year"],
        ["a {sup} mudou o dia de novo — agora é ⟨toda {dnew}|às {dnew_pl}⟩. Terceira vez este ano"],
    )
    steps = [first, (update, replies), (again, replies)][: len(days)]
    asks = by_lang(
        c,
        [
            "what day does {sup} deliver now?",
            "when's the {sup} delivery these days?",
            "which day do we get the {goods_q} delivery?",
        ],
        ["que dia a {sup} entrega agora?", "quando é que chega a entrega da {sup}?"],
    )
    answer = by_lang(c, ["{dlast}s"], ["⟨Toda {dlast}|Às {dlast_pl}⟩"])[0]
    return ku_plan(c, [f"delivery:{which}"], v, [(list(s), list(r)) for s, r in steps], asks, answer,
                   [weekday_values(c, "dnew", d) for d in days])  # fmt: skip


def typo(number: str, rng: random.Random) -> str:
    digits = [i for i, ch in enumerate(number) if ch.isdigit()][-6:]
    for _ in range(20):
        i = rng.choice(digits[:-1])
        j = digits[digits.index(i) + 1]
        if number[i] != number[j]:
            chars = list(number)
            chars[i], chars[j] = chars[j], chars[i]
            return "".join(chars)
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def ku_staff_phone(c: Ctx) -> Plan | None:
    staff = c.rng.choice(c.staff)
    phones = [c.phone(), c.phone()]
    if two_updates(c):
        phones.append(typo(phones[1], c.rng))
    v = {"staff": staff, "plast": phones[-1]}
    first = (by_lang(c, ["{staff}'s ⟨cell|mobile⟩ is {pnew}, in case you need {staff?him/her} for cover", "save {staff}'s number please: {pnew}"],
                     ["o ⟨celular|telemóvel⟩ {staff?do/da} {staff} é {pnew}, caso ⟨precise chamar {staff?ele/ela}|seja preciso chamá-{staff?lo/la}⟩ ⟨pra|para⟩ cobrir alguém",
                      "⟨salva|guarda⟩ o número {staff?do/da} {staff}, por favor: {pnew}"]),
             by_lang(c, ["Saved.", "Got it: {staff}, {pnew}."], ["⟨Salvo|Guardado⟩.", "Certo: {staff}, {pnew}."]))  # fmt: skip
    replies = by_lang(
        c,
        ["Updated {staff}'s number.", "Got it: {staff}, {pnew}."],
        ["Número {staff?do/da} {staff} atualizado.", "Certo: {staff}, {pnew}."],
    )
    update = by_lang(c, ["{staff} has a new number: {pnew}, the old one's gone", "{staff} changed phones, it's {pnew} now"],
                     ["{staff?o/a} {staff} ⟨trocou de número|mudou de número⟩: {pnew}, o antigo ⟨não funciona mais|já não funciona⟩",
                      "{staff?o/a} {staff} ⟨trocou de celular|mudou de telemóvel⟩, agora é {pnew}"])  # fmt: skip
    again = by_lang(
        c,
        ["sorry, I gave you {staff}'s new number wrong — it's {pnew}"],
        ["desculpa, ⟨te passei|dei-te⟩ o número novo {staff?do/da} {staff} errado — é {pnew}"],
    )
    steps = [first, (update, replies), (again, replies)][: len(phones)]
    asks = by_lang(c, ["what's {staff}'s number?", "how do I reach {staff}?", "what's the best number for {staff}?"],
                   ["qual é o número {staff?do/da} {staff}?", "como eu ⟨falo com|contacto⟩ {staff?o/a} {staff}?",
                    "qual é o ⟨celular|telemóvel⟩ {staff?do/da} {staff}?"])  # fmt: skip
    return ku_plan(
        c,
        [f"phone:{staff.first}"],
        v,
        [(list(s), list(r)) for s, r in steps],
        asks,
        "{plast}",
        [{"pnew": p} for p in phones],
    )


def ku_meeting(c: Ctx) -> Plan | None:
    count = 3 if two_updates(c) else 2
    days = c.rng.sample(range(5), count)
    times = [
        clock(h, m, c.lang)
        for h, m in c.rng.sample(
            [(8, 0), (8, 30), (9, 0), (9, 30), (13, 0), (16, 0), (17, 30)], count
        )
    ]
    v = {
        **weekday_values(c, "dlast", days[-1]),
        "tlast": times[-1],
        **weekday_values(c, "d1", days[0]),
    }
    first = (by_lang(c, ["team meeting is every {dnew} at {tnew}, put it in as recurring please",
                         "can you set up a recurring team meeting? {dnew}s at {tnew}"],
                     ["a reunião de ⟨equipe|equipa⟩ é ⟨toda {dnew}|às {dnew_pl}⟩ às {tnew}, ⟨coloca|põe⟩ como recorrente, por favor",
                      "⟨pode criar|podes criar⟩ uma reunião de ⟨equipe|equipa⟩ recorrente? ⟨Toda {dnew}|Às {dnew_pl}⟩, às {tnew}"]),
             by_lang(c, ["Done — recurring team meeting, {dnew}s at {tnew}."], ["Feito — reunião de ⟨equipe|equipa⟩ ⟨toda {dnew}|às {dnew_pl}⟩ às {tnew}."]))  # fmt: skip
    replies = by_lang(
        c,
        [
            "Done — team meeting moved to {dnew}s at {tnew}.",
            "Moved. I'll update everyone's invite.",
        ],
        [
            "Feito — reunião de ⟨equipe|equipa⟩ ⟨toda {dnew}|às {dnew_pl}⟩ às {tnew}.",
            "Mudado. ⟨Vou atualizar|Atualizo⟩ o convite de todos.",
        ],
    )
    update = by_lang(c, ["let's move the team meeting to {dnew}s at {tnew}, {d1}s never work", "team meeting's moving: {dnew}s at {tnew} from now on"],
                     ["vamos passar a reunião de ⟨equipe|equipa⟩ ⟨pra {dnew}|para as {dnew_pl}⟩ às {tnew}, ⟨{d1} nunca dá|às {d1_pl} nunca dá jeito⟩",
                      "a reunião de ⟨equipe|equipa⟩ muda: ⟨toda {dnew}|às {dnew_pl}⟩ às {tnew} a partir de agora"])  # fmt: skip
    again = by_lang(
        c,
        ["{dprev}s aren't working either — team meeting on {dnew}s at {tnew} from now on"],
        [
            "⟨{dprev} também não tá dando certo|as {dprev_pl} também não estão a resultar⟩ — reunião de ⟨equipe|equipa⟩ ⟨toda {dnew}|às {dnew_pl}⟩ às {tnew} a partir de agora"
        ],
    )
    steps = [first, (update, replies), (again, replies)][:count]
    news = [{**weekday_values(c, "dnew", d), "tnew": t} for d, t in zip(days, times, strict=True)]
    if count == 3:
        news[2].update(
            {k.replace("d1", "dprev"): val for k, val in weekday_values(c, "d1", days[1]).items()}
        )
    asks = by_lang(
        c,
        [
            "when's the team meeting these days?",
            "what day and time is our team meeting?",
            "when do we have the staff meeting now?",
        ],
        [
            "quando é a reunião de ⟨equipe|equipa⟩ agora?",
            "que dia e hora é a nossa reunião de ⟨equipe|equipa⟩?",
        ],
    )
    answer = by_lang(c, ["{dlast}s at {tlast}"], ["⟨Toda {dlast}|Às {dlast_pl}⟩, às {tlast}"])[0]
    return ku_plan(
        c, ["teammeeting"], v, [(list(s), list(r)) for s, r in steps], asks, answer, news
    )


def ku_deputy(c: Ctx) -> Plan | None:
    staff, staff2 = c.rng.sample(c.staff, 2)
    v = {"staff": staff, "staff2": staff2}
    first = (by_lang(c, ["when I'm away, {staff} is in charge — anything urgent goes to {staff?him/her}", "if I'm off, {staff} makes the calls"],
                     ["quando eu não estiver, quem decide é {staff?o/a} {staff} — qualquer urgência, fala com {staff?ele/ela}",
                      "se eu ⟨tiver|estiver⟩ fora, {staff?o/a} {staff} decide"]),
             by_lang(c, ["Noted — {staff} is in charge when you're away."], ["Anotado — {staff?o/a} {staff} fica responsável quando ⟨você não estiver|não estiveres⟩."]))  # fmt: skip
    update = (by_lang(c, ["change of plan: {staff2} covers for me from now on when I'm off, {staff} has enough on {staff?his/her} plate",
                          "from now on {staff2} is in charge when I'm not here"],
                      ["mudança de planos: a partir de agora quem me substitui é {staff2?o/a} {staff2}, {staff?o/a} {staff} ⟨já tem coisa demais|já tem coisas a mais⟩",
                       "a partir de agora {staff2?o/a} {staff2} fica responsável quando eu não ⟨tô|estou⟩"]),
              by_lang(c, ["Updated — {staff2} covers for you now."], ["Atualizado — agora é {staff2?o/a} {staff2}."]))  # fmt: skip
    asks = by_lang(
        c,
        [
            "who's in charge when I'm not around?",
            "who should you go to if I'm away?",
            "who covers for me when I'm off?",
        ],
        [
            "quem fica responsável quando eu não ⟨tô|estou⟩?",
            "quem me substitui quando eu ⟨tô|estou⟩ fora?",
        ],
    )
    return ku_plan(c, ["deputy"], v, [first, update], asks, "{staff2}", [{}, {}])


def ku_rep(c: Ctx) -> Plan | None:
    which = c.rng.randrange(len(c.b.suppliers))
    v = {**rep_values(c, which), "rep2": c.person(), "phone2": c.phone()}
    first = (
        rep_says(c),
        by_lang(
            c,
            ["Saved {rep} as your contact at {sup}."],
            ["⟨Salvei|Guardei⟩ {rep} como ⟨contato|contacto⟩ na {sup}."],
        ),
    )
    update = (by_lang(c, ["{rep_first} has left {sup}; the new rep is {rep2}, {phone2}",
                          "{sup} have a new person for us — {rep2}, {phone2}. {rep_first} moved to another region"],
                      ["{rep?o/a} {rep_first} saiu da {sup}; quem ⟨atende a gente|nos atende⟩ agora é {rep2?o/a} {rep2}, {phone2}",
                       "a {sup} ⟨colocou|pôs⟩ outra pessoa ⟨pra|para⟩ nós — {rep2?o/a} {rep2}, {phone2}. {rep?O/A} {rep_first} foi ⟨pra|para⟩ outra região"]),
              by_lang(c, ["Updated — {rep2} is your contact at {sup} now."], ["Atualizado — agora o ⟨contato|contacto⟩ na {sup} é {rep2}."]))  # fmt: skip
    asks = by_lang(
        c,
        [
            "who's my contact at {sup} now?",
            "who do I deal with at {sup} these days?",
            "who's our rep at {sup}?",
        ],
        [
            "quem é ⟨o meu contato|o meu contacto⟩ na {sup} agora?",
            "com quem eu ⟨falo|trato⟩ na {sup} hoje em dia?",
        ],
    )
    return ku_plan(c, [f"rep:{which}"], v, [first, update], asks, "{rep2} ({phone2})", [{}, {}])


KNOWLEDGE_UPDATES = (
    ku_accountant,
    ku_hours,
    ku_price,
    ku_delivery,
    ku_staff_phone,
    ku_meeting,
    ku_deputy,
    ku_rep,
)


def event_when(c: Ctx, start: date, end: date) -> str:
    def en(d: date) -> str:
        return f"{EN_WEEKDAYS[d.weekday()]} the {ordinal(d.day)}"

    def pt(d: date) -> str:
        return f"{PT_WEEKDAYS_SHORT[d.weekday()]}, dia {d.day}"

    if c.lang == "en":
        return f"on {en(start)}" if start == end else f"from {en(start)} to {en(end)}"
    if start == end:
        return ("no " if start.weekday() >= 5 else "na ") + pt(start)
    return f"de {pt(start)}, a {pt(end)}"


def tp_after_event(c: Ctx) -> Plan | None:
    full, ref, days = c.rng.choice(c.b.events)
    mondays = [k for k in range(2, c.n) if c.dates[k].weekday() == 0]
    if "spring" in full:  # the spring showcase is in March, April or May
        mondays = [k for k in mondays if 3 <= c.dates[k].month <= 5]
    c.rng.shuffle(mondays)
    for k in mondays:
        end = c.dates[k] - timedelta(days=2 if days > 1 else 3)
        start = end - timedelta(days=days - 1)
        if any(start <= d <= end for d in c.dates):
            continue
        before = [
            j
            for j in range(k)
            if start - timedelta(days=20) <= c.dates[j] <= start - timedelta(days=2)
        ]
        if not before:
            continue
        j = c.pick(before)
        v = {"event": full, "event_ref": ref, "event_em": pt_prep("em", full), "event_de": pt_prep("de", ref),
             "event_a": pt_prep("a", ref), "event_ref_em": pt_prep("em", ref), "event_pra": pt_pra(ref, c.american), "event_when": event_when(c, start, end)}  # fmt: skip
        announce = by_lang(c, [
            "heads up: {event} is {event_when} and I'm going, so I won't be around much",
            "{event} is {event_when} — can you block it out in my ⟨calendar|diary⟩?",
        ] + (["I'll be at {event} {event_when}, so keep my ⟨calendar|diary⟩ clear those days"] if days > 1
             else ["{event} is {event_when}, so make sure nothing's booked that day"]), [
            "atenção: {event} é {event_when}, ⟨então vou estar pouco por aqui|por isso vou estar pouco por cá⟩",
            "{event} é {event_when} — ⟨pode bloquear|podes bloquear⟩ na minha agenda?",
        ] + (["vou estar {event_em} {event_when}, ⟨então deixa|por isso deixa⟩ a minha agenda livre nesses dias"] if days > 1
             else ["{event} é {event_when}, ⟨então não marca|por isso não marques⟩ nada nesse dia"]))  # fmt: skip
        announce_replies = by_lang(
            c,
            [
                "Blocked out in your ⟨calendar|diary⟩.",
                "Done, your ⟨calendar|diary⟩'s clear for {event_ref}.",
                "Noted. Good luck with {event_ref}!",
            ],
            [
                "Bloqueado na agenda.",
                "Feito, a agenda ⟨tá|está⟩ livre {event_pra}.",
                "Anotado. Boa sorte {event_ref_em}!",
            ],
        )
        back = c.rng.choice(
            by_lang(
                c,
                [
                    "",
                    "back from {event_ref} — ",
                    "right, {event_ref}'s done. ",
                    "ok, after {event_ref}: ",
                ],
                [
                    "",
                    "voltei {event_de} — ",
                    "pronto, {event_ref} já passou. ",
                    "bom, depois {event_de}: ",
                ],
            )
        )
        monday = by_lang(
            c,
            ["the Monday after {event_ref}"],
            ["⟨na segunda depois {event_de}|na segunda-feira a seguir {event_a}⟩"],
        )[0]
        v["monday"] = monday
        kind = c.rng.choice(["lead", "order", "reminder"])
        if kind == "lead":
            v.update({"lead": c.person(), "lead2": c.person(), "phone": c.phone(), "phone2": c.phone(),
                      **c.service_values(c.rng.choice(c.free_services()))})  # fmt: skip
            says = by_lang(
                c,
                [
                    back
                    + "add two leads: {lead} ({phone}) and {lead2} ({phone2}), both asked about {service} prices",
                    back
                    + "I've got contacts to add — {lead}, {phone}, and {lead2}, {phone2}. Put them in as leads and remind me to call them Wednesday",
                    back + "two new leads for you: {lead} on {phone}, and {lead2} on {phone2}",
                ],
                [
                    back
                    + "cria dois leads: {lead} ({phone}) e {lead2} ({phone2}), os dois perguntaram o preço {service_de}",
                    back
                    + "tenho ⟨contatos|contactos⟩ ⟨pra adicionar|para acrescentar⟩ — {lead}, {phone}, e {lead2}, {phone2}. ⟨Coloca|Põe⟩ como leads e ⟨me lembra de ligar pra eles|lembra-me de lhes ligar⟩ na quarta",
                    back
                    + "dois leads novos ⟨pra você|para ti⟩: {lead}, {phone}, e {lead2}, {phone2}",
                ],
            )
            replies = by_lang(
                c,
                [
                    "Both added as leads: {lead} and {lead2}.",
                    "Done — {lead_first} and {lead2_first} are in the CRM.",
                ],
                [
                    "Os dois já estão como leads: {lead} e {lead2}.",
                    "Feito — {lead_first} e {lead2_first} ⟨tão|estão⟩ no CRM.",
                ],
            )
            asks = by_lang(
                c,
                [
                    "who did I ask you to add as leads {monday}?",
                    "{monday}, which leads did I give you?",
                    "which two leads did I pass you {monday}?",
                ],
                [
                    "quem eu pedi ⟨pra|para⟩ ⟨adicionar|acrescentar⟩ como lead {monday}?",
                    "{monday}, que leads eu ⟨te passei|te dei⟩?",
                ],
            )
            answer = by_lang(c, ["{lead} and {lead2}"], ["{lead} e {lead2}"])[0]
        elif kind == "order":
            supply, supply2 = c.rng.sample(list(c.b.supplies), 2)
            v.update({"supply": supply, "supply2": supply2})
            says = by_lang(
                c,
                [
                    back + "order {supply} and {supply2}, we need them by Thursday",
                    back + "can you put an order in? {supply} and {supply2}, we're nearly out",
                ],
                [
                    back
                    + "⟨pede {supply} e {supply2}|encomenda {supply} e {supply2}⟩, precisamos até quinta",
                    back
                    + "⟨faz um pedido|faz uma encomenda⟩? {supply} e {supply2}, estamos quase sem",
                ],
            )
            replies = by_lang(
                c,
                [
                    "Order placed: {supply} and {supply2}.",
                    "Done — both ordered, due before Thursday.",
                ],
                [
                    "⟨Pedido feito|Encomenda feita⟩: {supply} e {supply2}.",
                    "Feito — os dois já foram pedidos.",
                ],
            )
            asks = by_lang(
                c,
                ["what did I ask you to order {monday}?", "{monday}, what did I want ordered?"],
                [
                    "o que eu ⟨mandei pedir|mandei encomendar⟩ {monday}?",
                    "{monday}, o que eu ⟨pedi pra você pedir|pedi para encomendares⟩?",
                ],
            )
            answer = by_lang(c, ["{supply} and {supply2}"], ["{supply} e {supply2}"])[0]
        else:
            v["task"] = Slots(c, c.dates[k]).fill(c.rng.choice(c.b.tasks))
            says = by_lang(
                c,
                [
                    back + "remind me on Wednesday to {task}",
                    back + "set me a reminder for Wednesday morning: {task}",
                ],
                [
                    back + "⟨me lembra|lembra-me⟩ na quarta de {task}",
                    back + "⟨coloca|põe⟩ um lembrete ⟨pra|para⟩ quarta de manhã: {task}",
                ],
            )
            replies = by_lang(
                c,
                ["Reminder set for Wednesday: {task}.", "Done, Wednesday it is."],
                ["Lembrete ⟨pra|para⟩ quarta: {task}.", "Feito, fica ⟨pra|para⟩ quarta."],
            )
            asks = by_lang(
                c,
                [
                    "what did I ask you to remind me about {monday}?",
                    "{monday} I asked for a reminder — what was it for?",
                ],
                [
                    "do que eu pedi ⟨pra você me lembrar|para me lembrares⟩ {monday}?",
                    "{monday} eu pedi um lembrete — era ⟨pra|para⟩ quê?",
                ],
            )
            answer = by_lang(c, ["To {task}, on Wednesday"], ["{task_cap}, na quarta"])[0]
            v["task_cap"] = cap(v["task"])
        statements = [
            Statement(j, announce, announce_replies, v),
            Statement(k, says, replies, v, merge=False),
        ]
        return Plan("temporal", ["event"], statements, evidence=[1], asks=asks, answer=answer, values=v,
                    exclude={i: (kind,) for i in range(c.n) if c.dates[i] == c.dates[k]})  # fmt: skip
    return None


AGENCIES = {"en": ["Pixel & Pine", "Brightside Studio", "Northern Lights Digital", "Foxglove Web"],
            "BR": ["Agência Pixel Sul", "Agência Caju", "Agência Ponto Digital"], "PT": ["Agência Pixel Norte", "Agência Amora", "Agência Ponto Digital"]}  # fmt: skip
LOYALTY = {2, 5, 6, 7, 11, 12, 14, 15, 16, 17, 21, 23}


def tp_last_week(c: Ctx) -> Plan | None:
    week = c.dates[-1] - timedelta(days=c.dates[-1].weekday())
    recent = [i for i in range(c.n) if c.dates[i] >= week]
    early = [i for i in range(c.n) if c.dates[i] < week - timedelta(days=7)]
    if not early:
        return None
    # The decisions name a season and a month: said last week, they must still lie ahead (the
    # summer closure is announced from June, in Brazil from May; "live before summer" is the
    # northern summer, the Brazilian one is in December).
    said_by = c.dates[-1]
    topics = ["hiring", "prices"]
    if said_by < date(said_by.year, 5 if c.variant == "BR" else 6, 1):
        topics.append("summer")
    if c.b.number not in (8, 22) and (c.variant == "BR" or said_by < date(said_by.year, 6, 1)):
        topics.append("website")
    if c.b.number in LOYALTY:
        topics.append("loyalty")
    topic = c.rng.choice(topics)
    nxt = c.ask_day.month % 12
    role = c.rng.choice(c.b.roles[:2])
    v: dict[str, Any] = {"agency": c.rng.choice(AGENCIES[c.pool]), "budget": money(nice_price(c.rng.uniform(2500, 9000) * (5 if c.variant == "BR" else 1)), c.variant),
                         "role_new": role, "month_next": EN_MONTHS[nxt] if c.lang == "en" else PT_MONTHS[nxt]}  # fmt: skip
    if topic == "prices":
        v.update(c.service_values(c.rng.choice(c.free_services())))
    en = {
        "website": (["I've been thinking we need a new website, ours looks ancient — maybe later in the year",
                     "someone told me our website looks dated; not a priority, but keep it in mind"],
                    ["on the website: let's go with {agency}, budget {budget}, and I want it live before summer",
                     "website decision — {agency} it is, {budget} all in, live before the summer"],
                    "Go with {agency}, budget {budget}, live before summer", "the website"),
        "hiring": (["we might need another {role_new} soon, the ⟨calendar's|diary's⟩ too full", "I keep thinking about hiring — we're stretched"],
                   ["hiring: I want to advertise for a part-time {role_new}, three days a week, starting in {month_next}",
                    "decision on hiring — a part-time {role_new}, three days a week, from {month_next}. Can you draft the ad?"],
                   "Advertise for a part-time {role_new}, three days a week, from {month_next}", "hiring"),
        "prices": (["I need to look at our prices at some point, costs have gone up", "prices haven't changed in two years, we should look at that"],
                   ["prices: everything goes up 5% from {month_next}, except the {service}",
                    "ok, decided on prices — 5% up across the board from {month_next}, the {service} stays as it is"],
                   "Up 5% from {month_next}, except the {service}", "our prices"),
        "loyalty": (["a {client} suggested a loyalty card, not sure it's worth it", "should we do some kind of loyalty thing? Not sure"],
                    ["loyalty card: let's do it — every tenth visit gets 20% off, start printing them",
                     "going ahead with the loyalty card: 20% off every tenth visit"],
                    "Go ahead: 20% off every tenth visit", "the loyalty card"),
        "summer": (["we'll probably close for a bit in the summer, no idea when yet", "thinking about a summer break for everyone, need to work out dates"],
                   ["summer: we're closing the first two weeks of August, tell {clients} from June",
                    "the summer closure is decided — first two weeks of August. Start telling {clients} in June"],
                   "Closed the first two weeks of August; tell {clients} from June", "closing in the summer"),
    }  # fmt: skip
    pt = {
        "website": (["⟨tô pensando|ando a pensar⟩ que precisamos de um site novo, o nosso ⟨tá|está⟩ muito velho — talvez mais ⟨pro|para o⟩ fim do ano",
                     "alguém me disse que o nosso site ⟨tá|está⟩ ultrapassado; não é prioridade, mas fica a ideia"],
                    ["sobre o site: vamos com a {agency}, orçamento de {budget}, e quero no ar antes do verão",
                     "decisão do site — vai ser a {agency}, {budget} no total, no ar antes do verão"],
                    "Fazer com a {agency}, orçamento de {budget}, no ar antes do verão", "o site"),
        "hiring": (["acho que vamos precisar de mais uma pessoa como {role_new} em breve, a agenda ⟨tá|está⟩ cheia demais",
                    "⟨tô|estou⟩ sempre a pensar em contratar alguém — estamos no limite"],
                   ["contratação: quero anunciar uma vaga de {role_new} ⟨em meio período|a tempo parcial⟩, três dias por semana, a partir de {month_next}",
                    "decidi sobre a contratação — {role_new} ⟨em meio período|a tempo parcial⟩, três dias por semana, a partir de {month_next}. ⟨Faz|Fazes⟩ o anúncio?"],
                   "Anunciar uma vaga de {role_new} ⟨em meio período|a tempo parcial⟩, três dias por semana, a partir de {month_next}", "a contratação"),
        "prices": (["⟨preciso rever|tenho de rever⟩ os nossos preços qualquer hora, os custos subiram", "os preços não mudam há dois anos, temos que ver isso"],
                   ["preços: tudo sobe 5% a partir de {month_next}, menos {service}",
                    "decidi os preços — 5% a mais em tudo a partir de {month_next}; {service} fica como está"],
                   "Sobem 5% a partir de {month_next}, menos {service}", "os preços"),
        "loyalty": (["um {client} sugeriu um cartão ⟨fidelidade|de fidelização⟩, não sei se vale a pena",
                     "será que fazemos algum tipo de ⟨programa de fidelidade|cartão de cliente⟩? Não sei"],
                    ["cartão ⟨fidelidade|de fidelização⟩: vamos fazer — a cada dez visitas, 20% de desconto, pode mandar imprimir",
                     "vamos avançar com o cartão ⟨fidelidade|de fidelização⟩: 20% de desconto a cada dez visitas"],
                    "Avançar: 20% de desconto a cada dez visitas", "o cartão ⟨fidelidade|de fidelização⟩"),
        "summer": (["⟨tô pensando em dar férias coletivas no meio do ano|estou a pensar fechar umas semanas no verão⟩, ainda não sei quando",
                    "⟨queria dar umas férias pra todo mundo|queria dar umas férias a toda a gente⟩, falta ver as datas"],
                   ["⟨férias coletivas|o fecho do verão⟩: vamos fechar nas duas primeiras semanas de ⟨julho|agosto⟩, avisa os {clients} a partir de ⟨maio|junho⟩",
                    "⟨as férias coletivas estão decididas|o fecho do verão está decidido⟩ — duas primeiras semanas de ⟨julho|agosto⟩. Começa a avisar os {clients} em ⟨maio|junho⟩"],
                   "Fechar nas duas primeiras semanas de ⟨julho|agosto⟩; avisar os {clients} a partir de ⟨maio|junho⟩",
                   "⟨as férias coletivas|o fecho no verão⟩"),
    }  # fmt: skip
    early_says, late_says, answer, q = (en if c.lang == "en" else pt)[topic]
    v["q"] = q
    asks = by_lang(c, ["what did I say last week about {q}?", "last week I told you what I'd decided about {q} — what was it?",
                       "remind me what I said about {q} last week"],
                   ["o que eu ⟨falei|disse⟩ na semana passada sobre {q}?", "na semana passada eu ⟨te falei|te disse⟩ o que tinha decidido sobre {q} — o que era?",
                    "⟨me lembra|lembra-me⟩ o que eu ⟨falei|disse⟩ sobre {q} na semana passada"])  # fmt: skip
    replies_early = by_lang(
        c,
        ["Noted — I'll keep it in mind.", "Makes sense. Want me to remind you to look into it?"],
        [
            "Anotado — fica registado.",
            "Faz sentido. ⟨Quer que eu te lembre|Queres que te lembre⟩ de ver isso?",
        ],
    )
    replies_late = by_lang(
        c,
        ["Great, noted. Want me to set up the next steps?", "Got it — decision noted."],
        [
            "Ótimo, anotado. ⟨Quer que eu organize|Queres que organize⟩ os próximos passos?",
            "Certo — decisão anotada.",
        ],
    )
    statements = [
        Statement(c.pick(early), early_says, replies_early, v),
        Statement(c.pick(recent), late_says, replies_late, v),
    ]
    topics = (
        [f"lw:{topic}"]
        + (["prices"] if topic == "prices" else [])
        + (["website"] if topic == "website" else [])
    )
    return Plan("temporal", topics, statements, evidence=[1], asks=asks, answer=answer, values=v)


def tp_first_quote(c: Ctx) -> Plan | None:
    index = c.rng.randrange(len(c.b.jobs))
    contractor, job, lo, hi, unit = c.b.jobs[index]
    sessions = chain(c, 2, gap=7, within=42)  # a quote, then its revision
    if sessions is None:
        return None
    p1 = nice_price(c.rng.uniform(lo, hi))
    down = c.rng.random() < 0.75
    p2 = nice_price(p1 * (c.rng.uniform(0.82, 0.94) if down else c.rng.uniform(1.05, 1.12)))
    v = {"contractor": contractor, "contractor_de": pt_prep("de", contractor), "job": job, "job_de": pt_prep("de", job),
         "job_em": pt_prep("em", job), "job_pra": pt_pra(job, c.american), "p1": money(p1, c.variant) + unit, "p2": money(p2, c.variant) + unit}  # fmt: skip
    first = by_lang(c, ["{contractor} came round about {job} — they want {p1}. Seems steep",
                        "got the quote for {job} from {contractor}: {p1}. I'll sleep on it",
                        "{contractor} quoted {p1} for {job}, more than I expected"],
                    ["{contractor} veio ver {job} — quer {p1}. Achei ⟨salgado|caro⟩",
                     "recebi o orçamento {contractor_de} {job_pra}: {p1}. Vou pensar",
                     "{contractor} pediu {p1} {job_pra}, mais do que eu esperava"])  # fmt: skip
    first_replies = by_lang(c, ["Saved the quote: {p1} for {job}. Want me to remind you to reply?", "That is a lot. I've noted it.",
                                "Noted. Want me to ask for a breakdown?"],
                            ["⟨Salvei|Guardei⟩ o orçamento: {p1} {job_pra}. ⟨Quer que eu te lembre|Queres que te lembre⟩ de responder?",
                             "É bastante. ⟨Tá|Está⟩ anotado."])  # fmt: skip
    if down:
        second = by_lang(c, ["{contractor} came back on {job}: {p2} now, if we sign this month",
                             "good news, {contractor} dropped to {p2} for {job}", "update on {job} — {contractor} will do it for {p2}"],
                         ["{contractor} voltou a falar {job_de}: agora são {p2}, se fecharmos este mês",
                          "boa notícia, {contractor} baixou ⟨pra|para⟩ {p2} {job_em}", "novidade sobre {job}: {contractor} faz por {p2}"])  # fmt: skip
    else:
        second = by_lang(c, ["{contractor} says materials have gone up, so {job} is {p2} now", "bad news on {job}: {contractor} wants {p2} now"],
                         ["{contractor} diz que o material subiu, ⟨então|por isso⟩ {job} agora fica {p2}",
                          "má notícia sobre {job}: {contractor} agora quer {p2}"])  # fmt: skip
    second_replies = by_lang(
        c, ["Updated: {p2}.", "Noted, {p2} now."], ["Atualizado: {p2}.", "Anotado, agora são {p2}."]
    )
    asks = by_lang(c, ["what was the first price {contractor} gave us for {job}?", "how much did {contractor} originally ask for {job}?",
                       "what was {contractor}'s original figure for {job}?"],
                   ["qual foi o primeiro valor que {contractor} pediu {job_pra}?", "quanto é que {contractor} pediu no início {job_pra}?",
                    "qual era o orçamento original {contractor_de} {job_pra}?"])  # fmt: skip
    statements = [
        Statement(sessions[0], first, first_replies, v),
        Statement(sessions[1], second, second_replies, v),
    ]
    topics = [f"job:{index}"] + (["website"] if "website" in job else [])
    return Plan("temporal", topics, statements, evidence=[0], asks=asks, answer="{p1}", values=v)


def tp_when_happened(c: Ctx) -> Plan | None:
    index = c.rng.randrange(len(c.b.equipment))
    eq, female = c.b.equipment[index]
    sessions = chain(c, 2, gap=12, within=30)  # "two to three weeks"
    if sessions is None:
        return None
    bare = eq.split(" ", 1)[1] if c.lang == "pt" else eq
    v = {"eq": eq, "eq_female": female, "staff": c.rng.choice(c.staff),
         "eq_indef": ("uma " if female else "um ") + bare + (" nova" if female else " novo"),
         "eq_newdef": eq + (" nova" if female else " novo"),
         "when": long_date(c.dates[sessions[1]], c.lang, c.american)}  # fmt: skip
    first = by_lang(c, ["we're finally replacing the {eq} — ordered a new one today, they say two to three weeks",
                        "ordered the new {eq}, delivery in a couple of weeks apparently",
                        "bit the bullet and ordered a new {eq}; should be here in two or three weeks"],
                    ["finalmente vamos trocar {eq} — ⟨comprei|encomendei⟩ {eq_indef} hoje, dizem que chega ⟨em|daqui a⟩ duas ou três semanas",
                     "⟨pedi|encomendei⟩ {eq_indef}, parece que a entrega ⟨é em|demora⟩ umas duas semanas"])  # fmt: skip
    first_replies = by_lang(c, ["Exciting! Want me to remind you to chase it in two weeks?", "Noted — I'll keep an eye out for the delivery."],
                            ["Que bom! ⟨Quer que eu te lembre|Queres que te lembre⟩ de cobrar a entrega daqui a duas semanas?",
                             "Anotado — ⟨vou ficar de olho na entrega|fico atento à entrega⟩."])  # fmt: skip
    second = by_lang(c, ["the new {eq} arrived this morning, {staff} is setting it up", "finally — the new {eq} was delivered today",
                         "the new {eq} came today, the old one goes to the ⟨dump|tip⟩ on Friday"],
                     ["{eq_newdef} chegou hoje de manhã, {staff?o/a} {staff} ⟨tá instalando|está a instalar⟩",
                      "finalmente — {eq_newdef} foi entregue hoje", "{eq_newdef} chegou hoje; {eq?o antigo/a antiga} vai embora na sexta"])  # fmt: skip
    second_replies = by_lang(c, ["Great news! Want me to note the warranty date?", "Brilliant. I'll add it to the equipment list."],
                             ["Ótima notícia! ⟨Quer que eu anote|Queres que anote⟩ a data da garantia?",
                              "Ótimo. ⟨Coloco|Ponho⟩ na lista de equipamentos."])  # fmt: skip
    asks = by_lang(
        c,
        [
            "when did the new {eq} arrive?",
            "what day did we get the new {eq}?",
            "when was the new {eq} delivered?",
        ],
        [
            "quando chegou {eq_newdef}?",
            "que dia recebemos {eq_newdef}?",
            "quando é que entregaram {eq_newdef}?",
        ],
    )
    statements = [
        Statement(sessions[0], first, first_replies, v),
        Statement(sessions[1], second, second_replies, v),
    ]
    return Plan(
        "temporal",
        [f"equip:{index}"],
        statements,
        evidence=[1],
        asks=asks,
        answer="{when}",
        values=v,
    )


def tp_problem_start(c: Ctx) -> Plan | None:
    sessions = chain(c, 3 if c.rng.random() < 0.5 else 2, gap=4, within=21)
    if sessions is None:
        return None
    first_clause, ref = c.b.problem
    v = {"problem_first": first_clause, "problem_ref": ref, "problem_ref_de": pt_prep("de", ref),
         "when": long_date(c.dates[sessions[0]], c.lang, c.american)}  # fmt: skip
    # Each report with the replies that fit it.
    first = by_pairs(
        c,
        [
            (
                "{problem_first}, can you remind me tomorrow to get someone in?",
                [
                    "Oh no. Reminder set for tomorrow morning to get someone in.",
                    "Will do — reminder for tomorrow morning.",
                ],
            ),
            (
                "not ideal — {problem_first}. Add it to my list of things to ⟨deal with|sort⟩",
                ["Added to your to-do list.", "On the list."],
            ),
            (
                "{problem_first}; if it gets worse we'll have to call someone",
                [
                    "Noted — let me know if you want me to find someone.",
                    "Fingers crossed. Say the word and I'll look for someone.",
                ],
            ),
        ],
        [
            (
                "{problem_first}, ⟨me lembra|lembra-me⟩ amanhã de chamar alguém?",
                [
                    "⟨Poxa|Que chatice⟩. Lembrete ⟨pra|para⟩ amanhã de manhã: chamar alguém.",
                    "Combinado, ⟨te lembro|lembro-te⟩ amanhã de manhã.",
                ],
            ),
            (
                "{problem_first} — ⟨coloca|põe⟩ na minha lista de coisas ⟨pra|para⟩ resolver",
                ["⟨Coloquei|Pus⟩ na lista.", "Feito, ⟨tá|está⟩ na lista."],
            ),
            (
                "{problem_first}; se piorar, vamos ⟨ter que|ter de⟩ chamar alguém",
                [
                    "Anotado — ⟨me avisa|avisa-me⟩ se ⟨quiser|quiseres⟩ que eu procure alguém.",
                    "Tomara que não piore. ⟨Se quiser|Se quiseres⟩, procuro alguém.",
                ],
            ),
        ],
    )
    later = by_pairs(
        c,
        [
            (
                "{problem_ref} is back again, worse this time",
                [
                    "Sorry to hear it. Want me to find someone today?",
                    "Not again. I'll add it to the top of your list.",
                ],
            ),
            (
                "still nobody's looked at {problem_ref}, chase it please",
                ["Chased — I'll tell you when they reply.", "Done, I've chased it."],
            ),
            (
                "{problem_ref} — someone's finally coming on {weekday}",
                [
                    "Good. I'll put the visit in the ⟨calendar|diary⟩.",
                    "Noted, it's in the ⟨calendar|diary⟩.",
                ],
            ),
        ],
        [
            (
                "{problem_ref} voltou, pior ainda",
                [
                    "Que chato. ⟨Quer que eu procure|Queres que procure⟩ alguém hoje?",
                    "De novo? ⟨Coloco|Ponho⟩ no topo da lista.",
                ],
            ),
            (
                "ainda ninguém veio ver {problem_ref}, ⟨cobra|insiste⟩ por favor",
                ["⟨Cobrei|Insisti⟩ — ⟨te aviso|aviso-te⟩ quando responderem.", "Feito."],
            ),
            (
                "{problem_ref}: finalmente vem alguém na {weekday}",
                ["Ótimo. ⟨Coloco|Ponho⟩ a visita na agenda.", "Anotado, ⟨tá|está⟩ na agenda."],
            ),
        ],
    )
    asks = by_lang(c, ["when did I first mention {problem_ref}?", "roughly when did {problem_ref} start?", "when did {problem_ref} first come up?"],
                   ["quando foi que eu falei pela primeira vez {problem_ref_de}?", "mais ou menos quando começou {problem_ref}?",
                    "quando é que {problem_ref} apareceu pela primeira vez?"])  # fmt: skip
    say, replies = c.rng.choice(first)
    statements = [Statement(sessions[0], [say], replies, v)]
    for k, (say, replies) in enumerate(c.rng.sample(later, len(sessions) - 1)):
        statements.append(Statement(sessions[k + 1], [say], replies, v))
    return Plan(
        "temporal", ["problem"], statements, evidence=[0], asks=asks, answer="{when}", values=v
    )


TEMPORALS = (tp_after_event, tp_last_week, tp_first_quote, tp_when_happened, tp_problem_start)


# --------------------------------------------------------------------------------------------
# One tenant: its people, its calendar, the values a template asks for
# --------------------------------------------------------------------------------------------

FEMALE_OWNERS = {1, 3, 4, 7, 9, 11, 14, 15, 17, 19, 21, 23}
EMAIL_HOSTS = ("gmail.com", "outlook.com", "hotmail.com", "yahoo.com", "icloud.com")
_PERSON_SLOT = re.compile(r"(customer|lead|person|staff)(\d*)")


def ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


@dataclass(eq=False)
class Person:
    first: str
    last: str
    female: bool
    short: bool = False  # staff go by their first name
    role: str = ""

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}".strip()

    def __format__(self, spec: str) -> str:
        return self.first if self.short else self.full

    def __str__(self) -> str:
        return format(self)


class Ctx:
    """Everything drawn for one tenant, from its own seeded generator."""

    def __init__(self, b: Business) -> None:
        self.b = b
        self.lang = b.lang
        self.variant = b.variant
        self.american = b.american
        self.pool = "en" if b.lang == "en" else b.variant
        self.rng = random.Random(f"{SEED}/{b.number:02d}")
        self.full_names: set[str] = set()
        self.firsts: set[str] = {b.owner}
        self.me = Person(b.owner, "", b.number in FEMALE_OWNERS, short=True)
        self.staff = [self.person(short=True, role=role) for role in b.roles]
        self.customers = [self.person() for _ in range(18)]
        self.reserved_services: list[str] = []
        self.hour_now = 9  # the hour the current session started
        prices = sorted((lo + hi) / 2 for _, lo, hi in b.services)
        self.scale = prices[len(prices) // 2]
        self._schedule()
        self.load = [0] * self.n
        self.known: dict[tuple[str, str], Any] = {}  # a customer's email, namesake, contract end
        self.ledger: dict[tuple[str, tuple[int, int]], int] = {}
        self.said: set[str] = set()  # the owner's requests so far, to keep them from repeating
        self.day_kinds: dict[date, set[str]] = {}  # kinds asked once a day (see DAILY)

    # people -----------------------------------------------------------------------------
    def person(self, short: bool = False, role: str = "") -> Person:
        names = NAMES[self.pool]
        while True:
            female = self.rng.random() < 0.5
            first = self.rng.choice(names["f" if female else "m"])
            last = self.rng.choice(names["last"])
            if first in self.firsts or f"{first} {last}" in self.full_names:
                continue
            self.full_names.add(f"{first} {last}")
            if short:
                self.firsts.add(first)
            return Person(first, last, female, short, role)

    def phone(self) -> str:
        local = AREA.get(self.b.number, "") if self.rng.random() < 0.85 else ""
        return phone_number(self.rng, self.variant, local)

    # the calendar -------------------------------------------------------------------------
    def _schedule(self) -> None:
        """45 to 70 sessions over 20 to 26 weeks: several a week, weekends rarer, and on some
        days a second session later on (a morning one, then one in the afternoon or evening)."""
        rng = self.rng
        weights = (1.0, 1.0, 1.0, 1.0, 1.0, 0.35, 0.08)
        while True:
            start = date(2026, 1, 5) + timedelta(weeks=rng.randint(0, 7))  # a Monday
            weeks = rng.randint(20, 25)
            n = rng.randint(45, 70)
            doubles = rng.randint(n // 14, n // 8)  # days with two sessions
            first = rng.randint(0, 2)
            last = first + weeks * 7 + rng.choice([0, 1, 2, 3])  # 20 to 26 weeks in all
            chosen = [first, last]
            while len(chosen) < n - doubles:
                offset = rng.randint(first + 1, last - 1)
                if (
                    offset not in chosen
                    and rng.random() < weights[(start + timedelta(days=offset)).weekday()]
                ):
                    chosen.append(offset)
            weekdays = [d for d in chosen[2:] if (start + timedelta(days=d)).weekday() < 5]
            twice = set(rng.sample(sorted(weekdays), doubles))
            pairs = [rng.randint(6, 15) for _ in range(n)]
            if 900 <= 2 * sum(pairs) <= 1600:
                break
        days = sorted(chosen + list(twice))
        self.n = n
        self.dates = [start + timedelta(days=d) for d in days]
        self.pairs = pairs
        self.hours = []
        for k, d in enumerate(days):
            if d in twice and (k == 0 or days[k - 1] != d):  # the first of two that day
                self.hours.append(rng.choice([7, 8, 8, 9, 9, 10, 10, 11]))
            elif d in twice:
                self.hours.append(rng.choice([h for h in range(13, 21) if h >= self.hours[-1] + 4]))
            else:
                self.hours.append(rng.choice([7, 8, 8, 9, 9, 9, 10, 10, 11, 12, 13, 14, 15, 16, 17,
                                              18, 19, 20]))  # fmt: skip
        # The first of two sessions in a day has no long pauses: it is over before the second.
        self.brief = [k + 1 < n and self.dates[k + 1] == self.dates[k] for k in range(n)]
        last_day = self.dates[-1]
        self.ask_day = last_day + timedelta(days=7 - last_day.weekday() + rng.randint(0, 2))

    def later(self, i: int, days: int) -> list[int]:
        return [
            j for j in range(i + 1, self.n) if self.dates[j] >= self.dates[i] + timedelta(days=days)
        ]

    def pick(self, candidates: Sequence[int]) -> int:
        best = min(self.load[i] for i in candidates)
        pool = [i for i in candidates if self.load[i] <= best + 1]
        return self.rng.choices(pool, [3.0 if self.load[i] == best else 1.0 for i in pool])[0]

    # values for templates -------------------------------------------------------------------
    def free_services(self) -> list[str]:
        free = [s for s, _, _ in self.b.services if s not in self.reserved_services]
        return free or [s for s, _, _ in self.b.services]

    def service_values(self, name: str) -> dict[str, Any]:
        bare = name.split(" ", 1)[1] if self.lang == "pt" else name
        return {"service": name, "service_bare": bare, "a_service": a_or_an(name), "service_de": pt_prep("de", name),
                "service_por": pt_prep("por", name), "service_em": pt_prep("em", name), "service_a": pt_prep("a", name)}  # fmt: skip

    def price(self, name: str) -> int:
        for s, lo, hi in self.b.services:
            if s == name:
                return nice_price(self.rng.uniform(lo, hi))
        raise KeyError(name)

    def slot(self, key: str, s: Slots) -> Any:
        rng, en = self.rng, self.lang == "en"
        if key == "cfirst_pl":
            first = s["customer"].first
            if self.lang == "pt":
                return first if first[-1] in "sz" else first + "s"
            return first + ("es" if first[-1] in "sxz" else "s")
        if key == "cfirst" or (key.startswith("cfirst") and key[6:].isdigit()):
            return s["customer" + key[6:]].first
        if key.endswith("_first"):
            base = key[: -len("_first")]
            return s["over_person" if base == "over" else base].first
        if key == "alt_last":  # the other customer of that first name, the same one every time
            who = s["customer"]
            if ("namesake", who.full) not in self.known:
                others = [n for n in NAMES[self.pool]["last"] if n != who.last]
                self.known["namesake", who.full] = rng.choice(others)
            return self.known["namesake", who.full]
        if key.endswith("_last"):
            return s[key[: -len("_last")]].last
        if key.endswith("_cap"):
            return cap(str(s[key[: -len("_cap")]]))
        m = _PERSON_SLOT.fullmatch(key)
        if m:
            taken = [v for v in s.values() if isinstance(v, Person)]
            if m.group(1) == "staff":
                return rng.choice([p for p in self.staff if p not in taken])
            if m.group(1) == "lead" or (m.group(1) == "person" and rng.random() < 0.4):
                return self.person()
            return rng.choice([p for p in self.customers if p not in taken])
        base = key.rstrip("0123456789")
        if base == "service":
            return rng.choice(self.free_services())
        if base in (
            "service_bare",
            "a_service",
            "service_de",
            "service_por",
            "service_em",
            "service_a",
        ):
            suffix = key[len(base) :]
            return self.service_values(s["service" + suffix])[base]
        if base in ("amount", "amount_a"):
            suffix = key[len(base) :]
            if "_price" + suffix not in s:
                s["_price" + suffix] = self.price(s["service" + suffix])
            return money(s["_price" + suffix], self.variant, formal=base == "amount_a")
        if base == "phone":
            return self.phone()
        if base == "supplier":
            return rng.choice(self.b.suppliers)[0]
        if base == "supply":
            return rng.choice(self.b.supplies)
        if key == "task":
            own = [t for t in self.b.tasks]
            return rng.choice(own if rng.random() < 0.55 else TASKS[self.lang])
        if key == "when":
            return rng.choice([w for w in WHEN[self.lang] if WHEN_UNTIL.get(w, 24) > self.hour_now])
        if key == "meet_when":
            return rng.choice(MEET_WHEN[self.lang])
        if key == "block_when":
            return rng.choice(BLOCK_WHEN[self.lang])
        if key == "service_big":
            free = self.free_services()
            ranked = sorted((sv for sv in self.b.services if sv[0] in free), key=lambda sv: -sv[2])
            return rng.choice([sv[0] for sv in ranked[:2]])
        if key.startswith("service_big_"):
            return self.service_values(s["service_big"])["service_" + key[len("service_big_") :]]
        if key in ("amount_big", "amount_big_a"):
            if "_price_big" not in s:
                s["_price_big"] = self.price(s["service_big"])
            return money(s["_price_big"], self.variant, formal=key == "amount_big_a")
        if key == "weekday":
            return rng.choice(EN_WEEKDAYS[:5] if en else PT_WEEKDAYS_SHORT[:5])
        if key == "weekday_on":
            day = rng.randrange(5)
            return f"on {EN_WEEKDAYS[day]}" if en else ("na " + PT_WEEKDAYS_SHORT[day])
        if key == "time":
            return clock(
                rng.choice([9, 10, 11, 12, 14, 15, 16, 17]), rng.choice([0, 0, 30]), self.lang
            )
        if key in ("n", "n2", "n3"):
            return rng.randint(3, 40)
        if key in ("due_days",):
            return rng.choice([7, 14, 30])
        if key == "months":
            return rng.choice([2, 3, 4, 6, 10, 12])
        if key == "days_ago":
            return rng.randint(2, 9)
        if key in LEDGER:
            return self._ledger(key, s.day)
        if key == "avg":
            return money(nice_price(self.scale * rng.uniform(0.6, 1.3)), self.variant, formal=True)
        if key in ("overdue_list", "n_over", "total_over", "over_person"):
            self._overdue(s)
            return s[key]
        if key == "agenda_list":
            return self._agenda([9, 10, 11, 12, 14, 15, 16, 17])
        if key == "agenda_pm":
            return self._agenda([14, 15, 16, 17])
        if key in ("month_prev", "month_prev2", "month_cur"):
            back = {"month_cur": 0, "month_prev": 1, "month_prev2": 2}[key]
            month = (s.day.month - 1 - back) % 12
            return EN_MONTHS[month] if en else PT_MONTHS[month]
        if key == "date_future":  # a customer's contract end, renewed for a year once it passes
            who = s["customer"]
            end = self.known.get(("contract", who.full)) or s.day + timedelta(
                days=rng.randint(30, 300)
            )
            while end <= s.day:
                end += timedelta(days=365)
            self.known["contract", who.full] = end
            return short_date(end, self.lang, self.american)
        if key == "past_date":
            return short_date(s.day - timedelta(days=rng.randint(1, 40)), self.lang, self.american)
        if key == "block":
            return rng.choice(BLOCKS[self.lang])
        if key == "msg":
            return rng.choice(self.b.messages)
        if key == "note":
            return rng.choice(NOTES[self.lang])
        if key == "email":
            who = s["customer"]
            local = ascii_fold(f"{who.first}.{who.last}").lower().replace("'", "")
            if ("email", who.full) not in self.known:
                self.known["email", who.full] = f"{local}@{rng.choice(EMAIL_HOSTS)}"
            return self.known["email", who.full]
        if key == "initial":
            return s["customer"].last[0]
        if key == "owner":
            return self.b.owner
        if key == "me":
            return self.me
        if key == "biz":
            return self.b.name
        if key == "client":
            return self.b.client[0]
        if key == "clients":
            return self.b.client[1]
        raise KeyError(f"no slot {key!r}")

    def _figure(self, kind: str, period: tuple[int, int]) -> int:
        """A month's or a week's figure, drawn once: asked again later, it is the same."""
        if (kind, period) not in self.ledger:
            rng = self.rng
            if kind == "billed":
                value = nice_price(self.scale * rng.uniform(25, 90))
            elif kind == "taken":
                value = nice_price(self.scale * rng.uniform(6, 22))
            else:
                value = rng.randint(8, 40) if kind == "seen" else rng.randint(3, 15)
            self.ledger[kind, period] = value
        return self.ledger[kind, period]

    def _ledger(self, key: str, day: date) -> str | int:
        """Figures that agree across the history: a closed month stays what it was, a month or
        a week so far only grows, and what came in never exceeds what was billed."""

        def month(back: int) -> tuple[int, int]:
            index = day.year * 12 + day.month - 1 - back
            return index // 12, index % 12 + 1

        def week(back: int) -> tuple[int, int]:
            return (day - timedelta(weeks=back)).isocalendar()[:2]

        days_in_month = (
            (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        ).day
        so_far = day.day / days_in_month
        if key == "billed_prev":
            value = self._figure("billed", month(1))
        elif key == "billed_prev2":
            value = self._figure("billed", month(2))
        elif key == "billed_cur":
            value = nice_price(self._figure("billed", month(0)) * so_far)
        elif key == "paid_prev":
            billed = self._figure("billed", month(1))
            value = min(billed, nice_price(billed * min(0.97, 0.55 + 0.015 * day.day)))
        elif key == "taken_week":
            value = nice_price(self._figure("taken", week(0)) * (day.weekday() + 1) / 7)
        elif key == "seen_prev":
            return self._figure("seen", week(1))
        elif key == "seen_prev2":
            return self._figure("seen", week(2))
        elif key == "new_cur":
            return round(self._figure("new", month(0)) * so_far)
        else:  # new_prev
            return self._figure("new", month(1))
        return money(value, self.variant, formal=True)

    def _overdue(self, s: Slots) -> None:
        rng = self.rng
        count = rng.choice([1, 2, 2, 3, 3, 4])
        people = rng.sample(self.customers, count)
        total = 0
        items = []
        for who in people:
            amount = self.price(rng.choice(self.free_services()))
            total += amount
            days = rng.randint(3, 45)
            late = f"{days} days late" if self.lang == "en" else f"{days} dias de atraso"
            items.append(f"{who.full} – {money(amount, self.variant, formal=True)} ({late})")
        s["overdue_list"] = "; ".join(items)
        s["n_over"] = count
        s["total_over"] = money(total, self.variant, formal=True)
        s["over_person"] = people[0]

    def _agenda(self, hours_from: list[int]) -> str:
        rng = self.rng
        hours = sorted(rng.sample(hours_from, rng.randint(1, 3)))
        items = []
        for h in hours:
            at = clock(h, rng.choice([0, 0, 30]), self.lang)
            kind = rng.random()
            if kind < 0.6:
                who = rng.choice(self.customers)
                service = rng.choice(self.free_services())
                bare = service.split(" ", 1)[1] if self.lang == "pt" else service
                items.append(f"{at} {who.full} ({bare})")
            elif kind < 0.8:
                company = rng.choice(self.b.suppliers)[0]
                items.append(f"{at} call with {company}" if self.lang == "en"
                             else localize(f"{at} ⟨ligação|chamada⟩ com a {company}", self.american))  # fmt: skip
            else:
                who = rng.choice(self.staff)
                items.append(
                    f"{at} catch-up with {who.first}"
                    if self.lang == "en"
                    else f"{at} conversa com {who.first}"
                )
        if len(items) == 1:
            return items[0]
        joiner = " and " if self.lang == "en" else " e "
        return ", ".join(items[:-1]) + joiner + items[-1]


# --------------------------------------------------------------------------------------------
# Choosing the facts, writing the sessions, asking the questions
# --------------------------------------------------------------------------------------------


def spec_plan(c: Ctx, spec: Spec | None, category: str | None) -> Plan | None:
    if spec is None:
        return None
    main = c.pick(range(c.n))
    statements = [Statement(main, spec.says, spec.replies, spec.values)]
    for sibling in spec.siblings:
        statements.append(
            Statement(
                c.pick([i for i in range(c.n) if i != main]),
                sibling.says,
                sibling.replies,
                sibling.values,
            )
        )
    return Plan(category, [spec.topic] + [s.topic for s in spec.siblings], statements,
                evidence=[0] if category else [], asks=spec.asks, answer=spec.answer if category else None,
                values=spec.values)  # fmt: skip


def choose_plans(c: Ctx) -> tuple[list[Plan], list[str]]:
    plans: list[Plan] = []
    topics: list[str] = []

    def accept(plan: Plan | None) -> bool:
        if plan is None or any(t in topics for t in plan.topics):
            return False
        plans.append(plan)
        topics.extend(plan.topics)
        for statement in plan.statements:
            c.load[statement.session] += 1
        if any(t.startswith("price:") for t in plan.topics):
            c.reserved_services.append(plan.values["service"])
        return True

    def take(makers: Sequence[Callable[[], Plan | None]], count: int) -> None:
        got = 0
        for make in c.rng.sample(list(makers), len(makers)):
            if got == count:
                break
            if any(accept(make()) for _ in range(3)):  # an entity already taken: draw again
                got += 1
        if got != count:
            raise RuntimeError(f"tenant {c.b.number}: only {got} of {count} facts fit")

    take([lambda f=f: f(c) for f in TEMPORALS], MIX["temporal"])
    take([lambda f=f: f(c) for f in KNOWLEDGE_UPDATES], MIX["knowledge_update"])
    take([lambda f=f: spec_plan(c, f(c), "single_fact") for f in SINGLE_FACTS], MIX["single_fact"])
    take(
        [lambda p=p: spec_plan(c, pref_spec(c, p), "preference") for p in PREFERENCES],
        MIX["preference"],
    )
    background = [lambda f=f: spec_plan(c, f(c), None) for f in SINGLE_FACTS]
    background += [lambda p=p: spec_plan(c, pref_spec(c, p), None) for p in PREFERENCES]
    take(background, c.rng.choice([2, 3, 3]))
    return plans, topics


def owner_text(c: Ctx, text: str) -> str:
    """Owners type fast: some messages start in lower case and skip the final stop."""
    text = tidy(text.strip())
    if text[:1].islower() and c.rng.random() < 0.3:
        return text[:-1] if text.endswith(".") else text
    return sentence(text)


def render_script(c: Ctx, script: Sequence[Step], day: date) -> list[tuple[str, str]]:
    slots = Slots(c, day)
    out = []
    for alternatives in script:
        users, replies = c.rng.choice(alternatives)
        out.append((slots.fill(c.rng.choice(users)), slots.fill(c.rng.choice(replies))))
    return out


# How often one kind of request may come up in one session (two overdue lists minutes apart
# would contradict each other).
PER_SESSION = {"billing": 1, "numbers": 1, "chat": 1, "contract": 1, "order": 1, "reminder_cancel": 1,
               "customer": 2, "message": 2, "charge_which": 1, "payment": 2, "lead": 2, "charge": 2, "diary": 3, "reminder": 3}  # fmt: skip


LEDGER = ("billed_prev", "billed_prev2", "billed_cur", "paid_prev", "taken_week", "seen_prev",
          "seen_prev2", "new_cur", "new_prev")  # fmt: skip

# Figures asked for twice in one day (a morning and an afternoon session) would disagree.
DAILY = ("billing", "numbers")


def repeatable(text: str) -> bool:
    """A short everyday line ("who hasn't paid yet?", "thanks!") comes back; a longer request,
    with its names, amounts and tasks, is said once in a tenant's history."""
    return len(text) <= 30


def ops_block(
    c: Ctx, day: date, room: int, exclude: Sequence[str], hosts: bool = False
) -> tuple[str, list[tuple[str, str]]]:
    bank = [
        i
        for i in (OPS_EN if c.lang == "en" else OPS_PT)
        if i.kind not in exclude and (i.hosts_facts or not hosts)
    ]
    fitting = [
        i for i in bank if any(len(s) <= room and (len(s) == 1 or not hosts) for s in i.scripts)
    ]
    intent = c.rng.choices(fitting, [i.weight for i in fitting])[0]
    scripts = [s for s in intent.scripts if len(s) <= room and (len(s) == 1 or not hosts)]
    return intent.kind, render_script(c, c.rng.choice(scripts), day)


def join_in_passing(c: Ctx, ops: str, fact: str) -> tuple[str, bool]:
    """A fact said in passing inside a request; returns the text and whether the fact comes first."""
    ops, fact = ops.strip(), fact.strip()
    joins = [localize(j, c.american) for j in JOINS[c.lang]]
    if ops.endswith("?"):
        joins = [j for j in joins if "{ops} —" not in j]
    join = c.rng.choice(joins)
    text = join
    for name, half in (("ops", ops), ("fact", fact)):
        core = half.rstrip(".!? ")
        mark = "?" if half.endswith("?") else ""
        if mark and "{" + name + "}." in text:
            text = text.replace("{" + name + "}.", "{" + name + "}?")
        elif mark and text.endswith("{" + name + "}"):
            core += mark
        text = text.replace("{" + name + "}", core)
    return text, join.index("{fact}") < join.index("{ops}")


SHORT_GREETINGS = {"en": {"morning": ["morning!", "hi!", "hey!"], "afternoon": ["afternoon!", "hi!", "hey!"],
                          "evening": ["evening!", "hi!", "hey!"]},
                   "pt": {"morning": ["bom dia!", "⟨oi|olá⟩!"], "afternoon": ["boa tarde!", "⟨oi|olá⟩!"],
                          "evening": ["boa noite!", "⟨oi|olá⟩!"]}}  # fmt: skip


def first_word(text: str) -> str:
    return text.split(" ", 1)[0].strip(".,!—:").lower()


Turn = tuple[str, str, Statement | None]  # owner's text, reply, the fact it states


def session_pairs(
    c: Ctx, i: int, statements: list[Statement], exclude: tuple[str, ...]
) -> list[Turn]:
    day, rng = c.dates[i], c.rng
    c.hour_now = c.hours[i]
    total = max(c.pairs[i], len(statements) + 2)
    used: dict[str, int] = {}

    def avoid() -> list[str]:
        today = sorted(c.day_kinds.get(day, ()))
        return list(exclude) + today + [k for k, n in used.items() if n >= PER_SESSION[k]]

    blocks: list[list[Turn]] = []
    for st in statements:
        slots = Slots(c, day, **st.values)
        said, reply = slots.fill(rng.choice(st.says)), slots.fill(rng.choice(st.replies))
        if st.merge and rng.random() < 0.4:
            kind, ((ops, ops_reply),) = ops_block(c, day, 1, avoid(), hosts=True)
            used[kind] = used.get(kind, 0) + 1
            for _ in range(4):  # "Noted. Noted —" reads badly
                if first_word(reply) != first_word(ops_reply):
                    break
                reply = slots.fill(rng.choice(st.replies))
            said, fact_first = join_in_passing(c, ops, said)
            halves = [sentence(reply), sentence(ops_reply)]
            reply = " ".join(halves if fact_first else halves[::-1])
        blocks.append([(said, reply, st)])
    hour = c.hours[i]
    period = "morning" if hour < 12 else "afternoon" if hour < 18 else "evening"
    greeting = rng.random()
    thanks = rng.random() < 0.6
    room = total - len(statements) - (greeting < 0.45) - thanks
    said_here = {said for block in blocks for said, _, _ in block}
    tries = 0
    while room > 0:
        kind, block = ops_block(c, day, room, avoid())
        tries += 1
        if tries < 200 and any(
            u in said_here or (u in c.said and not repeatable(u)) for u, _ in block
        ):
            continue
        said_here.update(u for u, _ in block)
        used[kind] = used.get(kind, 0) + 1
        blocks.append([(u, r, None) for u, r in block])
        room -= len(block)
    rng.shuffle(blocks)
    pairs = [pair for block in blocks for pair in block]
    c.said.update(said for said, _, _ in pairs)
    c.day_kinds.setdefault(day, set()).update(k for k in used if k in DAILY)
    hello = Slots(c, day)
    if greeting < 0.45:
        pairs.insert(0, (hello.fill(rng.choice(GREETINGS[c.lang][period])),
                         hello.fill(rng.choice(GREETING_REPLIES[c.lang])), None))  # fmt: skip
    elif greeting < 0.65:
        first, reply, st = pairs[0]
        pairs[0] = (
            hello.fill(rng.choice(SHORT_GREETINGS[c.lang][period])) + " " + cap(first),
            reply,
            st,
        )
    if thanks:
        pairs.append(
            (
                hello.fill(rng.choice(THANKS[c.lang])),
                hello.fill(rng.choice(THANKS_REPLIES[c.lang])),
                None,
            )
        )
    return pairs


def render_sessions(c: Ctx, plans: list[Plan], tid: str) -> list[dict[str, Any]]:
    rng = c.rng
    sessions = []
    for i in range(c.n):
        here = [st for plan in plans for st in plan.statements if st.session == i]
        rng.shuffle(here)
        exclude = tuple(k for plan in plans for k in plan.exclude.get(i, ()))
        pairs = session_pairs(c, i, here, exclude)
        moment = datetime.combine(
            c.dates[i], time(c.hours[i], rng.randrange(60), rng.randrange(60))
        )
        started = stamp(c.b.zone, moment)
        turns = []
        for said, reply, st in pairs:
            number = len(turns) + 1
            turn_id = f"{tid}/s{i + 1:02d}/t{number:03d}"
            if st is not None:
                st.turn_id = turn_id
            turns.append(
                {
                    "turn_id": turn_id,
                    "role": "user",
                    "content": owner_text(c, said),
                    "ts": stamp(c.b.zone, moment),
                }
            )
            moment += timedelta(seconds=rng.randint(3, 25))
            turns.append({"turn_id": f"{tid}/s{i + 1:02d}/t{number + 1:03d}", "role": "assistant",
                          "content": sentence(reply), "ts": stamp(c.b.zone, moment)})  # fmt: skip
            pause = rng.random() < 0.85 or c.brief[i]
            moment += timedelta(seconds=rng.randint(20, 240) if pause else rng.randint(300, 1500))
        sessions.append({"session_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                         "started_at": started, "turns": turns})  # fmt: skip
    return sessions


def absent_plan(c: Ctx, topics: list[str], sessions: list[dict[str, Any]]) -> Plan:
    history = "\n".join(t["content"] for s in sessions for t in s["turns"])
    makers: list[Callable[[], Spec | None]] = [lambda f=f: f(c) for f in SINGLE_FACTS]
    makers += [lambda p=p: pref_spec(c, p) for p in PREFERENCES]
    for make in c.rng.sample(makers, len(makers)):
        for _ in range(3):
            spec = make()
            if spec is None or spec.topic in topics:
                continue
            if any(re.search(p, history, re.IGNORECASE) for p in spec.forbid):
                break
            # The owner's bank would be named by the owner only; a name never heard is no fair cue.
            asks = [a for a in spec.asks if "{bank}" not in a] or list(spec.asks)
            return Plan("absent", [spec.topic], [], asks=asks, answer=None, values=spec.values)
    raise RuntimeError(f"tenant {c.b.number}: no absent question fits")


def ask_text(text: str) -> str:
    text = cap(text.strip())
    return text if text.endswith("?") else text + "?" if not text.endswith(".") else text[:-1] + "?"


def build_tenant(b: Business) -> dict[str, Any]:
    tid = f"eval-{b.number:02d}"
    c = Ctx(b)
    plans, topics = choose_plans(c)
    sessions = render_sessions(c, plans, tid)
    asked = [p for p in plans if p.category] + [absent_plan(c, topics, sessions)]
    c.rng.shuffle(asked)
    moment = datetime.combine(c.ask_day, time(c.rng.randint(8, 19), c.rng.randrange(60)))
    questions = []
    for number, plan in enumerate(asked, start=1):
        slots = Slots(c, c.ask_day, **plan.values)
        questions.append({
            "question_id": f"{tid}/q{number:02d}",
            "category": plan.category,
            "question": ask_text(slots.fill(c.rng.choice(plan.asks))),
            "asked_at": stamp(b.zone, moment),
            "answer": None if plan.answer is None else cap(slots.fill(plan.answer)),
            "evidence": [plan.statements[i].turn_id for i in plan.evidence],
            "superseded": [plan.statements[i].turn_id for i in plan.superseded],
        })  # fmt: skip
        moment += timedelta(seconds=c.rng.randint(40, 420))
    return {"tenant_id": tid, "business": f"{b.business} ({b.name})", "language": b.lang,
            "sessions": sessions, "questions": questions}  # fmt: skip


def build() -> list[dict[str, Any]]:
    return [build_tenant(b) for b in BUSINESSES]


def write(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(tenant, ensure_ascii=False) for tenant in build()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--out",
        type=Path,
        default=OUT,
        help="where to write the JSONL (default: the committed set)",
    )
    args = parser.parse_args(argv)
    write(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
