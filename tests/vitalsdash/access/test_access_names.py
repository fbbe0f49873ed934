"""People's names as they sign up: one clean line, never an invisible or reversed one."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vitalsdash.access import MAX_USER_NAME_CHARS, check_user_name

pytestmark = pytest.mark.unit

INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn"}
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
        "\u2069", "\u200e", "\u200f", "\u061c"]  # fmt: skip


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Ana Lima", "Ana Lima"),
        ("  Ana   Lima ", "Ana Lima"),
        ("Ana\u00a0Lima", "Ana Lima"),
        ("Ine\u0302s Costa", "Inês Costa"),  # NFC: the same name typed two ways
        ("O'Brien-Ngũgĩ", "O'Brien-Ngũgĩ"),
        ("李小龍", "李小龍"),
        ("x" * MAX_USER_NAME_CHARS, "x" * MAX_USER_NAME_CHARS),
    ],
)
def test_a_name_comes_in_clean(typed: str, name: str) -> None:
    assert check_user_name(typed) == name


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("", "cannot be empty"),
        ("   ", "cannot be empty"),
        ("\u3000", "cannot be empty"),
        ("x" * (MAX_USER_NAME_CHARS + 1), f"at most {MAX_USER_NAME_CHARS} characters"),
        ("x" * 10_000, f"at most {MAX_USER_NAME_CHARS} characters"),
        ("Ana\nLima", "one line"),
        ("Ana\u2028Lima", "one line"),
        ("Ana\tLima", "control character \\(U\\+0009\\) at position 4"),
        ("Ana\x00", "control character"),
        ("Ana\x1b[2J", "control character"),
        ("Ana\u202eamiL", "invisible formatting character \\(U\\+202E\\)"),
        ("An\u200ba", "invisible formatting character"),
        ("Ana\ud800", "broken character"),
        ("Ana\ue000", "private-use character"),
        (None, "text"),
    ],
)
def test_a_name_that_cannot_be_is_refused_in_words(typed: object, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        check_user_name(typed)  # type: ignore[arg-type]


@given(st.text(max_size=80))
def test_an_accepted_name_is_one_clean_line(typed: str) -> None:
    try:
        name = check_user_name(typed)
    except ValueError as exc:
        why = str(exc)
    else:
        why = None
    if why is not None:
        assert why[:1].isupper()  # a sentence, not a traceback
        return
    assert 1 <= len(name) <= MAX_USER_NAME_CHARS
    assert name == name.strip()
    assert "  " not in name
    assert name == " ".join(name.split())
    assert name == unicodedata.normalize("NFC", name)
    assert not any(unicodedata.category(c) in INVISIBLE for c in name)
    assert not any(c in name for c in BIDI)
    assert check_user_name(name) == name  # clean stays clean


@given(st.text(max_size=30), st.sampled_from([*BIDI, "\x00", "\x7f", "\x9b", "\x1f", "\n"]),
       st.text(max_size=30))  # fmt: skip
def test_a_hidden_character_anywhere_is_refused(before: str, hidden: str, after: str) -> None:
    with pytest.raises(ValueError, match=r"character|one line|at most"):
        check_user_name(before + hidden + after)
