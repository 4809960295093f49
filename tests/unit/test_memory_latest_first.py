"""Within recall's top, the latest statement of a fact comes before what it replaced: groups of
entries about the same thing chain through shared query words and names, and a change joins
the statements it shares any word with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from matrix.memory.recall import Ranked, latest_first

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def _ranked(content: str, day: int, *tags: str) -> Ranked:
    entry = {"memory_id": f"m{day}", "content": content, "valid_at": T0 + timedelta(days=day),
             "tags": list(tags)}  # fmt: skip
    return Ranked(entry=entry, score=1.0 / (day + 1), lexical_rank=None, lexical_score=0.0,
                  vector_rank=None, vector_score=0.0)  # fmt: skip


def _contents(ranked: list[Ranked]) -> list[str]:
    return [r.entry["content"] for r in ranked]


def test_groups_chain_through_a_word_another_change_shares() -> None:
    """The new fee shares "avença mensal" with the old one and "agora" with a courier's change:
    one group, so the new fee comes before the old one (grouped by one word only, the new fee
    went with the courier and the old fee stayed first)."""
    top = [
        _ranked("A Estafetas Tejo mudou as rotas, agora entrega às quartas.", 40, "update"),
        _ranked("Só para saberes: cobramos 550€ pela avença mensal.", 1),
        _ranked("Vamos subir a avença mensal para 600€ a partir de agora.", 30, "update"),
    ]
    out = _contents(latest_first(top, "Quanto está a avença mensal agora?"))
    assert out.index(top[2].entry["content"]) < out.index(top[1].entry["content"])
    assert sorted(out) == sorted(_contents(top))  # the same set


def test_a_change_comes_before_an_older_statement_it_shares_a_word_with() -> None:
    """The change "from now on Matt is in charge when I'm not here" shares no word with the
    question, but "charge" with the statement it replaces."""
    top = [
        _ranked("Oh, and when I'm away, Priya is in charge — anything urgent goes to her.", 1),
        _ranked("Book the van for Friday.", 5),
        _ranked("From now on Matt is in charge when I'm not here.", 20, "update"),
    ]
    out = _contents(latest_first(top, "Who should you go to if I'm away?"))
    assert out[0].startswith("From now on Matt") and out[1] == "Book the van for Friday."


def test_unrelated_entries_keep_their_places_and_the_earliest_leads_for_how_it_began() -> None:
    top = [
        _ranked("Castlefield Couriers deliver on Tuesdays.", 1),
        _ranked("Our accountant is Kevin Garcia.", 3),
        _ranked("Castlefield Couriers have moved us to Wednesdays now.", 9, "update"),
    ]
    now = _contents(latest_first(top, "Which day do Castlefield Couriers come?"))
    assert now == [top[2].entry["content"], top[1].entry["content"], top[0].entry["content"]]
    began = _contents(
        latest_first(top, "Which day did Castlefield Couriers first come?", oldest=True)
    )
    assert began == _contents(top)
