"""The token format: a recognisable prefix, 32 random bytes, and a checksum that refuses any
single mistyped character before a lookup; every header refused with an AuthenticationError."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matrix.errors import AuthenticationError
from matrix.tokens import (
    ADMIN_PREFIX,
    TENANT_PREFIX,
    TokenIdentity,
    bearer_token,
    check_token,
    make_token,
)

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def test_made_tokens_pass_their_own_check_and_differ() -> None:
    tokens = {make_token(TENANT_PREFIX) for _ in range(200)} | {make_token(ADMIN_PREFIX)}
    assert len(tokens) == 201
    for token in tokens:
        check_token(token)
        assert len(token) == 53 and token[:4] in (TENANT_PREFIX, ADMIN_PREFIX)


@given(position=st.integers(min_value=4, max_value=52), replacement=st.sampled_from(ALPHABET))
def test_any_single_mistyped_character_is_refused(position: int, replacement: str) -> None:
    token = make_token(TENANT_PREFIX)
    typo = token[:position] + replacement + token[position + 1 :]
    if typo == token:
        return
    with pytest.raises(AuthenticationError) as info:
        check_token(typo)
    assert info.value.code == "bad_checksum"


@given(
    st.one_of(st.text(max_size=80), st.text(min_size=12, max_size=60).map("Bearer mxt_".__add__))
)
def test_any_header_is_parsed_or_refused_with_an_authentication_error(header: str) -> None:
    try:
        check_token(bearer_token(header))
    except AuthenticationError as exc:
        assert exc.code in ("missing_token", "malformed_token", "bad_checksum")
        given = header.strip().partition(" ")[2].strip()
        assert len(given) < 12 or given not in str(exc)  # the message never repeats the token


def test_a_cut_or_lengthened_token_is_malformed() -> None:
    token = make_token(TENANT_PREFIX)
    for bad in (token[:-1], token + "a", token[1:], token.lower().replace("mxt_", "MXT_")):
        with pytest.raises(AuthenticationError) as info:
            check_token(bad)
        assert info.value.code == "malformed_token"


def test_refusals_carry_the_challenge_of_a_401() -> None:
    from matrix.tokens import REFUSAL_CODES

    missing = AuthenticationError("no token", code="missing_token")
    assert missing.www_authenticate == 'Bearer realm="matrix"'
    for code in REFUSAL_CODES[1:]:
        refused = AuthenticationError("bad", code=code)
        assert refused.www_authenticate == 'Bearer realm="matrix", error="invalid_token"'


@given(st.text(max_size=40))
def test_a_tenant_token_allows_only_its_own_tenant_whatever_is_asked(asked: str) -> None:
    identity = TokenIdentity(token_id="t", tenant_id="açaí", admin=False, name="n", expires_at=None)
    assert identity.allows(asked) is (asked == "açaí")
