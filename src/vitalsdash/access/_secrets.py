"""Passwords, API tokens and class codes: what the store keeps is never what opens a door.

- A password is kept as an argon2id hash (argon2-cffi's defaults): a stolen database
  does not give the passwords away, and checking one guess is slow on purpose.
- An API token is handed out once; the store keeps its SHA-256 digest. A token is 32
  random bytes, so a fast hash is enough (nothing to guess), and a lookup by digest
  needs no slow hashing per request.
- A class code is typed by trainees from the board: six characters from an alphabet
  without the look-alikes 0/O and 1/I/L, drawn with the ``secrets`` module.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error

__all__ = [
    "CLASS_CODE_ALPHABET",
    "CLASS_CODE_CHARS",
    "MAX_PASSWORD_CHARS",
    "MIN_PASSWORD_CHARS",
    "hash_password",
    "new_class_code",
    "new_token",
    "read_class_code",
    "token_digest",
    "verify_password",
]

MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 256
"""Longer than any pass phrase; a cap so a request cannot make us hash megabytes."""
CLASS_CODE_CHARS = 6
CLASS_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
"""Upper-case letters and digits without 0, O, 1, I and L (read off a board, typed)."""

_HASHER = PasswordHasher()


def _password_problem(password: object) -> str | None:
    if not isinstance(password, str):
        return "A password is text."
    if len(password) < MIN_PASSWORD_CHARS:
        return f"A password needs at least {MIN_PASSWORD_CHARS} characters."
    if len(password) > MAX_PASSWORD_CHARS:
        return f"A password can be at most {MAX_PASSWORD_CHARS} characters."
    if any(c in password for c in "\x00\n\r"):
        return "A password is one line of text."
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        return "A password cannot hold that character; type it again."
    return None


def hash_password(password: str) -> str:
    """The hash to store for ``password``; ValueError (in words) for one too short or too
    long to accept."""
    why = _password_problem(password)
    if why:
        raise ValueError(why)
    return _HASHER.hash(password)


def verify_password(hash: str, password: str) -> bool:
    """Whether ``password`` matches the stored ``hash``. Never raises: a wrong password,
    a broken hash or a password no one could have set are all simply False."""
    if not isinstance(hash, str) or not isinstance(password, str):
        return False
    if len(password) > MAX_PASSWORD_CHARS:
        return False
    try:
        return _HASHER.verify(hash, password)
    except (Argon2Error, ValueError):  # a mismatch, or a hash that is no argon2 hash
        return False


def token_digest(token: str) -> str:
    """What the store keeps for ``token``: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> tuple[str, str]:
    """A new API token: (the token to hand out once, its digest to store)."""
    token = secrets.token_urlsafe(32)
    return token, token_digest(token)


def new_class_code() -> str:
    """A new class code, e.g. "K7QX2M"."""
    return "".join(secrets.choice(CLASS_CODE_ALPHABET) for _ in range(CLASS_CODE_CHARS))


def read_class_code(typed: str) -> str | None:
    """A class code as a trainee typed it ("k7q x2m", "K7Q-X2M") in its stored form, or
    None if it cannot be one (then it matches no code; no need to ask the store)."""
    if not isinstance(typed, str) or len(typed) > 4 * CLASS_CODE_CHARS:
        return None
    code = "".join(c for c in typed.upper() if c not in " -\t")
    if len(code) != CLASS_CODE_CHARS or any(c not in CLASS_CODE_ALPHABET for c in code):
        return None
    return code
