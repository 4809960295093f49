"""Text as memory reads it: terms for BM25, the content hash that finds exact duplicates, and a
token estimate for the recall budget.

Terms are the origin's tokens — lower-case runs of ``[a-z0-9]`` and Latin letters with accents —
with accents folded (``reunião`` and ``reuniao`` are one term), common English and Portuguese
words dropped, and a light suffix strip so that ``invoices``/``invoice`` and ``lembretes``/
``lembrete`` meet. The same function indexes entries and reads queries, so both sides agree.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections import Counter

_TOKEN = re.compile(r"[a-z0-9\u00c0-\u024f]+")

_STOPWORDS_EN = (
    "a an the and or but if then so of to in on at by for with from into about as is are was were"
    " be been being am do does did done have has had having i me my mine we us our ours you your"
    " yours he him his she her hers it its they them their theirs this that these those there here"
    " what which who whom whose when where why how all any some no not yes can could will would"
    " shall should may might must just also very too than up down out over again please thanks"
    " thank ok okay hi hello hey let lets let's"
    # what is left of a contraction once the apostrophe splits it (what's, I'm, don't, we'll)
    " s m t ll re ve d"
)
_STOPWORDS_PT = (
    "o os um uma uns umas e ou mas se de do da dos das em no na nos nas por para pra com sem"
    " ao aos à às que quem qual quais quando onde como porque porquê é são era foi foram ser estar"
    " está estão esta este isto isso essa esse aquela aquele eu me meu minha meus minhas nós nosso"
    " nossa nossos nossas você vocês seu sua seus suas ele ela eles elas lhe já também muito mais"
    " menos sim não obrigado obrigada olá oi bom boa favor"
)
STOPWORDS = frozenset(f"{_STOPWORDS_EN} {_STOPWORDS_PT}".split())


def fold(text: str) -> str:
    """Lower-case, accents removed."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _stem(term: str) -> str:
    """A light plural strip shared by both languages: invoices → invoice, reuniões → reuniao,
    lembretes → lembrete, replies → reply; words ending in ``ss``/``us``/``is`` are kept."""
    if term.isdigit() or len(term) <= 3:
        return term
    if term.endswith(("oes", "aes")):
        return term[:-3] + "ao"
    if term.endswith("ies") and len(term) > 4:
        return term[:-3] + "y"
    if term.endswith("s") and not term.endswith(("ss", "us", "is")):
        return term[:-1]
    return term


def terms(text: str) -> list[str]:
    """The text's search terms, in order (repeats kept: BM25 counts them)."""
    out = []
    for token in _TOKEN.findall(text.lower()):
        if token in STOPWORDS:
            continue
        folded = fold(token)
        if folded in STOPWORDS:
            continue
        out.append(_stem(folded))
    return out


_NAME = re.compile(r"(?<![\w'’])[A-ZÀ-Þ][a-zß-ÿ]+(?:[-'’][A-Za-zÀ-ÿ]+)?")
_OPENS = re.compile(r"(^|[.!?:;]\s+)$")
_CALENDAR_WORDS = (
    "monday tuesday wednesday thursday friday saturday sunday january february march april may"
    " june july august september october november december"
)
_CALENDAR = frozenset(_CALENDAR_WORDS.split())


def names(text: str) -> frozenset[str]:
    """The names a text mentions — capitalised words that do not open a sentence and are not
    common words, weekdays or months — folded: "When I'm away, Declan is in charge" → {declan}."""
    found = set()
    for match in _NAME.finditer(text):
        if _OPENS.search(text[: match.start()]):
            continue
        word = fold(match.group())
        if word not in STOPWORDS and word not in _CALENDAR:
            found.add(word)
    return frozenset(found)


def term_counts(text: str) -> dict[str, int]:
    return dict(Counter(terms(text)))


def values(text: str) -> frozenset[str]:
    """The numbers a text states (prices, times, dates, counts), as written."""
    return frozenset(t for t in _TOKEN.findall(text.lower()) if any(c.isdigit() for c in t))


def content_hash(text: str) -> str:
    """SHA-256 of the text with case, accents, punctuation and spacing normalised: two
    statements that differ only in those are one fact."""
    normal = " ".join(_TOKEN.findall(fold(text)))
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


def estimate_tokens(text: str) -> int:
    """Tokens a model will count for ``text``, estimated as characters / 4 (OpenAI's rule of
    thumb for English; Portuguese runs a little higher). Used for the recall budget, which a
    provider's reported usage then confirms."""
    return math.ceil(len(text) / 4)
