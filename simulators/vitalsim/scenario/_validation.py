"""The strict base of every scenario table, and the helpers that word its errors.

Every mistake in a scenario file must come out as ``KEY: REASON`` with the TOML key path,
so the checks here build pydantic errors by hand (``_error``/``_raise``) at the exact key,
and an unknown key suggests the one that was probably meant (often the same words with
the unit left off or wrong: ``dose_mg`` for ``dose_mg_per_kg``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError


def _error(loc: Sequence[str | int], message: str, value: Any) -> InitErrorDetails:
    """One validation problem at ``loc`` (relative to the model being validated).

    ``value`` is shown as "(got ...)" unless it is a dict; pass ``{}`` to show nothing.
    """
    return InitErrorDetails(
        type=PydanticCustomError("scenario", message), loc=tuple(loc), input=value
    )


def _raise(errors: list[InitErrorDetails], title: str = "scenario") -> None:
    """Raise ``errors`` from inside a validator; pydantic nests them under the caller's key."""
    if errors:
        raise ValidationError.from_exception_data(title, errors)


_UNIT_SUFFIXES = (
    ("_mg_per_kg_h", "mg/kg/h"),
    ("_mg_per_kg", "mg/kg"),
    ("_l_min", "L/min"),
    ("_per_min", "per minute"),
    ("_per_h", "per hour"),
    ("_min", "minutes"),
    ("_mmhg", "mmHg"),
    ("_bpm", "beats per minute"),
    ("_pct", "%"),
    ("_kg", "kg"),
    ("_mcg", "micrograms"),
    ("_mg", "mg"),
    ("_years", "years"),
    ("_s", "seconds"),
    ("_h", "hours"),
)


def _unit_of(key: str) -> str | None:
    return next((unit for suffix, unit in _UNIT_SUFFIXES if key.endswith(suffix)), None)


def _suggest(key: str, allowed: Iterable[str]) -> str:
    """A reason for an unknown key, suggesting the key that was probably meant: one that
    starts with the same words (a wrong or missing unit suffix), else a close spelling."""
    allowed = sorted(allowed)
    words = key.split("_")
    best, best_shared = None, 0
    for name in allowed:
        shared = 0
        for a, b in zip(words, name.split("_"), strict=False):
            if a != b:
                break
            shared += 1
        if shared > best_shared:
            best, best_shared = name, shared
    if best is None:
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        best = close[0] if close else None
    if best is None:
        return "unknown key; this table accepts: " + ", ".join(allowed)
    unit = _unit_of(best)
    if unit is not None and _unit_of(key) != unit:
        return f"unknown key; did you mean {best!r}? (in {unit}: the unit is part of the key)"
    return f"unknown key; did you mean {best!r}?"


class _Model(BaseModel):
    """Strict, closed TOML tables: no coercion from strings, no unknown keys."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            allowed = cls.model_fields.keys()
            _raise(
                [
                    _error((key,), _suggest(str(key), allowed), {})
                    for key in data
                    if key not in allowed
                ]
            )
        return data


def _one_or_more(value: Any) -> Any:
    """Accept a single string where a list of strings is expected."""
    return [value] if isinstance(value, str) else value


def _check_names(value: Any, known: Sequence[str], what: str) -> list[str]:
    """Validate one name or a list of names against ``known``, with precise locations."""
    single = isinstance(value, str)
    items = _one_or_more(value)
    if not isinstance(items, list) or not items:
        raise PydanticCustomError(
            "names", f"give an {what} or a non-empty list of them; known: " + ", ".join(known)
        )
    errors = []
    for i, item in enumerate(items):
        loc = () if single else (i,)
        if not isinstance(item, str):
            errors.append(_error(loc, f"must be a quoted {what}", item))
        elif item not in known:
            close = difflib.get_close_matches(item, known, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            errors.append(_error(loc, f"unknown {what}; {hint}known: " + ", ".join(known), item))
    _raise(errors)
    return list(items)


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
"""A short free text: trimmed, 1 to 200 characters."""
