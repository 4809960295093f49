"""No operation lets one tenant read or write another's data, or learn whether its ids exist.

Both tenants get data through the API itself (:func:`tests.api.seeding.seed`): ``acme`` (A) is
the one that tries, ``globex`` (B) the one it tries on, with two records from each create. B's
private ids are the strings B's answers carry under keys ending in ``_id`` that A's do not; A
names half of them in its requests, the other half are canaries it never sends. For every
operation of the document, hypothesis draws requests valid by the operation's schemas, sent
with A's token:

- with B's ids in every path parameter, ``*_id`` query parameter and ``*_id`` body field, and
  again with random ids of the same shape: the answers must be alike (same status, same body
  but for what differs between two random ids anyway, such as a new record's id);
- with ``tenant_id`` = B wherever the request may name a tenant, and again with a tenant that
  does not exist: alike too;
- no 2xx answer carries B's tenant id, a canary, or an id of B's that A did not send (in this
  request, or in an accepted one that may have stored it);
- B's own reads (one GET per operation that answered B) answer the same after A's requests.

Nothing here names a route: slots come from each operation's parameters and request schema.
"""

from __future__ import annotations

import functools
import random
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from matrix.clock import FrozenClock
from tests.api.conftest import ApiWorld
from tests.api.operations import PROFILE, Operation, operations, pointer_text, walk, world
from tests.api.seeding import Answer, Draft, Known, Slot, drafts, is_id_key, seed

A, B = "acme", "globex"
ATTEMPTS = 10
"""Requests drawn per operation (each sent up to six times: B's values and two controls, for
the ids and for the tenant)."""
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MISSING = object()


@dataclass
class Tenants:
    api: ApiWorld
    mine: Known
    theirs: Known
    baseline: list[Answer] = field(default_factory=list)
    """B's reads as they answered before A's requests to the operation under test."""
    told: set[str] = field(default_factory=set)
    """Every string A sent in a request that was accepted: A's records may carry them back (A
    named B's id as its ``lead_id``), which shows A nothing it did not know."""

    @property
    def secret(self) -> set[str]:
        """B's private ids: not also in A's answers (a value every tenant has is no secret)."""
        return self.theirs.ids() - self.mine.ids()

    @functools.cached_property
    def offered(self) -> set[str]:
        """The private ids A names in its requests: every other one of each key's. The rest are
        canaries, which A never sends, so an answer carrying one cannot be an echo."""
        return {i for ids in self.theirs.by_key.values() for i in sorted(ids & self.secret)[::2]}

    def candidates(self, key: str, held: set[str]) -> list[str]:
        """B's offered ids found under ``key``, else all of them; none of those A's own records
        hold (``held``): a label such as an ``owner_user_id`` is any text a client chooses, so
        A may have stored one of B's, and a filter by it then rightly finds A's record."""
        offered = (self.offered - held) or self.offered
        return sorted((self.theirs.by_key.get(key, set()) & offered) or offered)

    def held_by_mine(self) -> set[str]:
        """Every text A's reads answer now, and every text of A's own event log (a correlation
        id is chosen by the client: A may have put one of B's on its own events, and a trace by
        it then rightly finds A's)."""
        answered = {leaf for read in self.mine.reads for _, leaf in walk(read.send(self.api, A).body)
                    if isinstance(leaf, str)}  # fmt: skip
        logged = {leaf for event in self.api.app.store.events.list(A, limit=10_000)
                  for _, leaf in walk(event) if isinstance(leaf, str)}  # fmt: skip
        return answered | logged

    def read_theirs(self) -> list[Answer]:
        return [read.send(self.api, B) for read in self.theirs.reads]


@pytest.fixture(scope="module")
def tenants(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tenants]:
    """Both tenants given data through the API, on a frozen clock: B's reads then change only
    if B's data does."""
    clock = FrozenClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    for api in world(tmp_path_factory.mktemp("isolation"), clock):
        both = Tenants(api, mine=seed(api, A), theirs=seed(api, B, copies=2))
        assert both.secret, (
            f"B has no ids of its own: no operation accepted a generated body ({both.theirs})"
        )
        both.baseline = both.read_theirs()
        yield both


@pytest.mark.slow
@pytest.mark.parametrize("operation", operations(), ids=str)
def test_operation_keeps_tenants_apart(tenants: Tenants, operation: Operation) -> None:
    problems: dict[str, str] = {}
    held = tenants.held_by_mine()

    @settings(PROFILE, max_examples=ATTEMPTS, phases=[Phase.generate])  # problems are collected
    @given(data=st.data())
    def attempt(data: st.DataObject) -> None:
        draft = data.draw(drafts(operation, None, A), label="request")
        shapes = random.Random(data.draw(st.integers(0, 2**64), label="seed of the random ids"))
        ids = _with_query_ids(draft, data)
        theirs = {slot: data.draw(st.sampled_from(tenants.candidates(slot.name, held)), label=str(slot.pointer))
                  for slot in ids.id_slots()}  # fmt: skip
        controls = [
            {v: _same_shape(v, shapes, tenants.secret) for v in theirs.values()} for _ in "12"
        ]
        _compare(tenants, ids, theirs, controls, problems)
        if named := draft.tenant_slots():
            nowhere = [{B: _nowhere(shapes)} for _ in "12"]
            _compare(tenants, draft, dict.fromkeys(named, B), nowhere, problems)

    attempt()
    after = tenants.read_theirs()
    for read, before, now in zip(tenants.theirs.reads, tenants.baseline, after, strict=True):
        if now != before:
            problems[f"write {read}"] = (f"B's {read} changed after A's requests to {operation}:\n"
                                         f"  before: {before}\n  after:  {now}")  # fmt: skip
    tenants.baseline = after
    assert not problems, f"{operation} crosses tenants:\n\n" + "\n\n".join(problems.values())


def _with_query_ids(draft: Draft, data: st.DataObject) -> Draft:
    """``draft`` with some of the ``*_id`` query parameters it left out (placeholders the
    caller fills with B's ids): a filter by another tenant's record must find nothing."""
    absent = [p["name"] for p in draft.operation.parameters("query")
              if is_id_key(p["name"]) and p["name"] not in draft.query]  # fmt: skip
    added = {n: "x" for n in absent if data.draw(st.booleans(), label=f"send {n}")}
    return Draft(draft.operation, draft.path, {**draft.query, **added}, draft.body)


def _compare(tenants: Tenants, draft: Draft, theirs: dict[Slot, str],
             controls: list[dict[str, str]], problems: dict[str, str]) -> None:  # fmt: skip
    """Send ``draft`` with B's values in their slots, and between two sends with each of B's
    values replaced by its control; record what gives B away."""
    fillings = [{slot: control[value] for slot, value in theirs.items()} for control in controls]
    fillings.insert(1, theirs)
    sent = [draft.filled(values) for values in fillings] if theirs else [draft]
    answers = [request.send(tenants.api, A) for request in sent]
    for request, answer in zip(sent, answers, strict=True):
        hidden = tenants.secret - (tenants.told & tenants.offered)
        for leak in _leaks(answer, hidden, _sent_strings(request)):
            problems.setdefault(
                f"read {leak}", f"A's {request}\n  answered {answer}\n  which carries {leak}"
            )
        if answer.ok:
            tenants.told |= _sent_strings(request)
    if not theirs:
        return
    flat = [_flat(answer, list(dict.fromkeys(values.values())))
            for answer, values in zip(answers, fillings, strict=True)]  # fmt: skip
    noise = {
        k
        for k in flat[0].keys() | flat[2].keys()
        if flat[0].get(k, MISSING) != flat[2].get(k, MISSING)
    }
    if not any(_alike(flat[1], control, noise) for control in (flat[0], flat[2])):
        what = "tenant" if B in theirs.values() else "ids"
        problems.setdefault(f"exists {what}", (
            f"A's request naming B's {what} is not answered as one naming unknown ones:\n"
            f"  {sent[1]}\n    answered {answers[1]}\n  {sent[0]}\n    answered {answers[0]}\n"
            f"  {sent[2]}\n    answered {answers[2]}"))  # fmt: skip


def _leaks(answer: Answer, secret: set[str], sent: set[str]) -> Iterator[str]:
    """What a 2xx answer to A shows of B: B's tenant id, or a private id A did not send."""
    if not answer.ok:
        return
    for pointer, leaf in walk(answer.body):
        if leaf == B and (pointer[-1:] == ("tenant_id",) or B not in sent):
            yield f"B's tenant id at {pointer_text(pointer)}"
        elif isinstance(leaf, str) and leaf in secret and leaf not in sent:
            yield f"B's id {leaf!r} at {pointer_text(pointer)}"


def _flat(answer: Answer, values: list[str]) -> dict[str, Any]:
    """The answer as pointer → leaf, each of the values sent replaced by its number (an error
    may quote what it was given)."""
    marks = {value: f"<value {i}>" for i, value in enumerate(values)}

    def mark(leaf: Any) -> Any:
        if not isinstance(leaf, str):
            return leaf
        if leaf in marks:
            return marks[leaf]
        for value, placeholder in marks.items():
            if len(value) >= 4:
                leaf = leaf.replace(value, placeholder)
        return leaf

    flat = {pointer_text(p): mark(leaf) for p, leaf in walk(answer.body)}
    flat["status"] = answer.status
    return flat


def _alike(answer: dict[str, Any], control: dict[str, Any], noise: set[str]) -> bool:
    keep = (answer.keys() | control.keys()) - noise
    return all(answer.get(k, MISSING) == control.get(k, MISSING) for k in keep)


def _same_shape(value: str, rnd: random.Random, avoid: set[str]) -> str:
    """A random id shaped like ``value``: a UUID for a UUID, else each digit, hex digit or
    letter replaced by a random one of its kind, a leading word and separator (``cus_``) kept
    (an id with nothing to replace gets random digits after it)."""
    for _ in range(100):
        if UUID.fullmatch(value):
            made = str(_uuid4(rnd))
        else:
            prefix = re.match(r"^[A-Za-z]+[_-]", value)
            head, rest = (prefix.group(0), value[prefix.end() :]) if prefix else ("", value)
            hexadecimal = all(c in string.hexdigits for c in rest)
            made = head + "".join(_like(c, rnd, hexadecimal) for c in rest)
        if made != value and made not in avoid:
            return made
    return f"{value}{rnd.randrange(10**9)}"


def _like(c: str, rnd: random.Random, hexadecimal: bool) -> str:
    if c in string.digits:
        return rnd.choice(string.digits)
    if hexadecimal and c in string.hexdigits:
        return rnd.choice(
            string.hexdigits.lower() if c.islower() else string.hexdigits.upper()[:16]
        )
    if c in string.ascii_lowercase:
        return rnd.choice(string.ascii_lowercase)
    if c in string.ascii_uppercase:
        return rnd.choice(string.ascii_uppercase)
    return c


def _uuid4(rnd: random.Random) -> Any:
    import uuid

    return uuid.UUID(int=rnd.getrandbits(128), version=4)


def _nowhere(rnd: random.Random) -> str:
    """A tenant id shaped like B's that names no tenant."""
    while True:
        made = "".join(rnd.choice(string.ascii_lowercase) for _ in B)
        if made not in (A, B):
            return made


def _sent_strings(draft: Draft) -> set[str]:
    values = {str(v) for v in (*draft.path.values(), *draft.query.values())}
    return values | {leaf for _, leaf in walk(draft.body) if isinstance(leaf, str)}
