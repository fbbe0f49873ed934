"""Plain data that crosses the seam: frozen dataclasses that go to JSON and back unchanged.

Views and commands are made of str, int, float, bool, None, tuples, read-only mappings
with str keys, and other such dataclasses, so a page in another process could read them
(docs/architecture.md, "The seam"). ``to_dict`` gives JSON-ready data; ``from_dict``
rebuilds the value from it, guided by the field types.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeVar

T = TypeVar("T", bound="Plain")
EMPTY: Mapping[str, Any] = MappingProxyType({})
_HINTS: dict[type, dict[str, Any]] = {}


class Plain:
    """Base of the seam's values: ``to_dict`` / ``from_dict`` through JSON."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _dump(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls: type[T], data: Mapping[str, Any]) -> T:
        hints = _hints(cls)
        kwargs = {
            f.name: _load(hints[f.name], data[f.name])
            for f in dataclasses.fields(cls)  # type: ignore[arg-type]
            if f.name in data
        }
        return cls(**kwargs)


def empty() -> Mapping[str, Any]:
    """The empty read-only mapping (a default for mapping fields)."""
    return EMPTY


def frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """A read-only copy of a mapping (views never change once built)."""
    return MappingProxyType(dict(mapping)) if mapping else EMPTY


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def _dump(v: Any) -> Any:
    if isinstance(v, Plain):
        return v.to_dict()
    if isinstance(v, Mapping):
        return {str(k): _dump(x) for k, x in v.items()}
    if isinstance(v, tuple | list):
        return [_dump(x) for x in v]
    return v


def _load(tp: Any, raw: Any) -> Any:
    if tp is Any:
        return raw
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = typing.get_args(tp)
        if raw is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _load(inner, raw)
    if isinstance(tp, type) and issubclass(tp, Plain):
        return tp.from_dict(raw)
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_load(args[0], x) for x in raw)
        return tuple(_load(a, x) for a, x in zip(args, raw, strict=True))
    if origin in (Mapping, dict, typing.Mapping):
        _, value = typing.get_args(tp)
        return frozen({str(k): _load(value, x) for k, x in raw.items()})
    if tp is float and isinstance(raw, int) and not isinstance(raw, bool):
        return float(raw)
    return raw
