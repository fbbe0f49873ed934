"""Passwords, tokens and class codes: hashes that verify only the right password, tokens
kept as digests, class codes a trainee can read off the board."""

from __future__ import annotations

import hashlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vitalsdash.access import (
    CLASS_CODE_ALPHABET,
    MAX_PASSWORD_CHARS,
    MIN_PASSWORD_CHARS,
    hash_password,
    new_class_code,
    new_token,
    read_class_code,
    token_digest,
    verify_password,
)

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def stored() -> str:
    return hash_password("correct horse battery")


def test_a_password_verifies_against_its_hash(stored: str) -> None:
    assert stored.startswith("$argon2id$")
    assert "correct horse battery" not in stored
    assert verify_password(stored, "correct horse battery")


@pytest.mark.parametrize(
    "guess",
    ["correct horse batter", "Correct horse battery", "correct horse battery ", "", "x" * 10_000],
)
def test_a_wrong_password_does_not(stored: str, guess: str) -> None:
    assert not verify_password(stored, guess)


def test_the_same_password_hashes_differently_each_time(stored: str) -> None:
    again = hash_password("correct horse battery")
    assert again != stored  # salted
    assert verify_password(again, "correct horse battery")


@pytest.mark.parametrize("broken", ["", "plain text", "$argon2id$v=19$m=1,t=1,p=1$xx$yy", None, 5])
def test_a_broken_hash_is_just_no(broken: object) -> None:
    assert not verify_password(broken, "correct horse battery")  # type: ignore[arg-type]
    assert not verify_password("correct horse battery", None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("password", "words"),
    [
        ("x" * (MIN_PASSWORD_CHARS - 1), f"at least {MIN_PASSWORD_CHARS} characters"),
        ("x" * (MAX_PASSWORD_CHARS + 1), f"at most {MAX_PASSWORD_CHARS} characters"),
        ("two\nlines here", "one line"),
        ("broken \ud800 char", "cannot hold"),
        (12345678, "text"),
    ],
)
def test_a_password_that_cannot_be_set_is_refused_in_words(password: object, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        hash_password(password)  # type: ignore[arg-type]


def test_a_token_is_handed_out_and_its_digest_kept() -> None:
    token, digest = new_token()
    assert len(token) >= 43
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert digest == token_digest(token) == hashlib.sha256(token.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert token not in digest


def test_tokens_are_new_every_time() -> None:
    tokens = [new_token() for _ in range(500)]
    assert len({t for t, _ in tokens}) == len({d for _, d in tokens}) == 500


@given(st.text(max_size=60))
def test_any_token_given_has_a_digest(token: str) -> None:
    assert re.fullmatch(r"[0-9a-f]{64}", token_digest(token))


def test_the_alphabet_has_no_look_alikes() -> None:
    assert not set("0O1IL") & set(CLASS_CODE_ALPHABET)
    assert len(set(CLASS_CODE_ALPHABET)) == len(CLASS_CODE_ALPHABET) >= 30


def test_a_class_code_reads_off_a_board() -> None:
    for _ in range(50):
        code = new_class_code()
        assert len(code) == 6
        assert set(code) <= set(CLASS_CODE_ALPHABET)
        assert read_class_code(code) == code
        assert read_class_code(f" {code[:3].lower()}-{code[3:].lower()} ") == code


def test_class_codes_differ() -> None:
    codes = {new_class_code() for _ in range(1000)}
    assert len(codes) > 990  # 31**6 codes: a repeat in a thousand is rare, not impossible


@given(st.text(max_size=30))
def test_a_typed_class_code_is_a_code_or_none(typed: str) -> None:
    code = read_class_code(typed)
    if code is not None:
        assert len(code) == 6
        assert set(code) <= set(CLASS_CODE_ALPHABET)


@pytest.mark.parametrize("typed", ["", "ABCDE", "ABCDEFG", "ABCDE0", "abcde1", "ABC\x00EF", None])
def test_what_cannot_be_a_code_is_none(typed: object) -> None:
    assert read_class_code(typed) is None  # type: ignore[arg-type]
