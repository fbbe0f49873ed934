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
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

T = TypeVar("T", bound="Plain")
EMPTY: Mapping[str, Any] = MappingProxyType({})
Loader = Callable[[Any], Any]
_FIELDS: dict[type, list[tuple[str, Loader]]] = {}
_LOADERS: dict[Any, Loader] = {}


class Plain:
    """Base of the seam's values: ``to_dict`` / ``from_dict`` through JSON."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _dump(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls: type[T], data: Mapping[str, Any]) -> T:
        return cls(**{name: load(data[name]) for name, load in _fields(cls) if name in data})


def empty() -> Mapping[str, Any]:
    """The empty read-only mapping (a default for mapping fields)."""
    return EMPTY


def frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """A read-only copy of a mapping (views never change once built)."""
    return MappingProxyType(dict(mapping)) if mapping else EMPTY


def _fields(cls: type) -> list[tuple[str, Loader]]:
    """Each field's name and loader, worked out once per class: every web worker decodes
    every bed's view on every tick."""
    fields = _FIELDS.get(cls)
    if fields is None:
        hints = typing.get_type_hints(cls)
        fields = _FIELDS[cls] = [(f.name, _loader(hints[f.name]))
                                 for f in dataclasses.fields(cls)]  # type: ignore[arg-type]  # fmt: skip
    return fields


def _dump(v: Any) -> Any:
    if isinstance(v, Plain):
        return v.to_dict()
    if isinstance(v, Mapping):
        return {str(k): _dump(x) for k, x in v.items()}
    if isinstance(v, tuple | list):
        return [_dump(x) for x in v]
    return v


def _same(raw: Any) -> Any:
    return raw


def _loader(tp: Any) -> Loader:
    """A function from JSON data to a value of type ``tp`` (cached per type)."""
    fn = _LOADERS.get(tp)
    if fn is None:
        fn = _LOADERS[tp] = _make_loader(tp)
    return fn


def _make_loader(tp: Any) -> Loader:
    if tp is Any:
        return _same
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = typing.get_args(tp)
        (inner,) = [a for a in args if a is not type(None)]
        load_inner = _loader(inner)
        if type(None) not in args:
            return load_inner
        return lambda raw: None if raw is None else load_inner(raw)
    if isinstance(tp, type) and issubclass(tp, Plain):
        return tp.from_dict
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            item = _loader(args[0])
            return tuple if item is _same else lambda raw: tuple(item(x) for x in raw)
        items = [_loader(a) for a in args]
        return lambda raw: tuple(f(x) for f, x in zip(items, raw, strict=True))
    if origin in (Mapping, dict, typing.Mapping):
        value = _loader(typing.get_args(tp)[1])
        return lambda raw: frozen({str(k): value(x) for k, x in raw.items()})
    if tp is float:
        return lambda raw: float(raw) if isinstance(raw, int) and not isinstance(raw, bool) else raw
    return _same
