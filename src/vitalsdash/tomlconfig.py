"""Load vitalsdash's TOML files into pydantic models, every failure one readable ConfigError.

People edit these files by hand, so an error names the file, the key and the reason and
never surfaces as a traceback. Only regular files are read (a FIFO or a device would block
or never end) and at most ``MAX_TOML_BYTES`` of them.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from vitalsdash.errors import ConfigError

__all__ = [
    "MAX_SHOWN_CHARS",
    "MAX_TOML_BYTES",
    "MISSING",
    "ConfigError",
    "key_path",
    "load_toml_model",
    "problems_from",
    "read_toml",
    "shown",
]

M = TypeVar("M", bound=BaseModel)
MAX_TOML_BYTES = 256 * 1024
"""No configuration file is larger; a bigger one is a mistake (or /dev/zero), not config."""
MAX_SHOWN_CHARS = 80
"""A rejected value is echoed this long at most: enough to recognise, never a flood."""


def key_path(loc: Sequence[str | int]) -> str:
    """Render a pydantic location as a TOML key path; array indices are 1-based, as people count."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            part = part if len(part) <= MAX_SHOWN_CHARS else f"{part[:40]}…"  # a key is input too
            out += f".{part}" if out else str(part)
    return out or "(top level)"


MISSING = "required key is missing"


def _n(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


_WORDS: dict[str, Callable[[dict[str, Any]], str]] = {
    "greater_than": lambda c: f"must be more than {_n(c['gt'])}",
    "greater_than_equal": lambda c: f"must be at least {_n(c['ge'])}",
    "less_than": lambda c: f"must be less than {_n(c['lt'])}",
    "less_than_equal": lambda c: f"must be at most {_n(c['le'])}",
    "multiple_of": lambda c: f"must be a multiple of {_n(c['multiple_of'])}",
    "finite_number": lambda c: "must be a finite number",
    "float_type": lambda c: "must be a number",
    "float_parsing": lambda c: "must be a number",
    "int_type": lambda c: "must be a whole number",
    "int_parsing": lambda c: "must be a whole number",
    "int_from_float": lambda c: "must be a whole number",
    "bool_type": lambda c: "must be true or false",
    "bool_parsing": lambda c: "must be true or false",
    "string_type": lambda c: "must be text",
    "string_too_short": lambda c: f"must be at least {c['min_length']} characters",
    "string_too_long": lambda c: f"must be at most {c['max_length']} characters",
    "too_short": lambda c: f"must have at least {c['min_length']} items",
    "too_long": lambda c: f"must have at most {c['max_length']} items",
    "literal_error": lambda c: f"must be {c['expected']}",
    "enum": lambda c: f"must be {c['expected']}",
    "list_type": lambda c: "must be a list",
    "dict_type": lambda c: "must be a table of keys and values",
    "model_type": lambda c: "must be a table of keys and values",
}
"""pydantic's error types in plain words ("must be at most 3"), the one place they are
worded: config files, API answers and the toasts all read ``problems_from``."""


def _got(value: Any) -> str:
    """A rejected value as people write it: 5 rather than 5.0, text quoted, cut short."""
    if isinstance(value, float):
        return f"{value:g}"
    return shown(value)


def _reason(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return "unknown key (check its spelling and its unit suffix)"
    if kind == "missing":
        return MISSING
    words = _WORDS.get(kind)
    try:
        msg = words(err.get("ctx") or {}) if words is not None else None
    except KeyError:  # a context without the expected key: pydantic's own words
        msg = None
    if msg is None:
        msg = str(err.get("msg", "invalid value"))
        msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if (
        "input" in err
        and kind not in ("model_type", "dict_type")
        and not isinstance(err["input"], dict)
    ):
        msg += f" (got {_got(err['input'])})"
    return msg


def problems_from(err: ValidationError) -> list[tuple[str, str]]:
    return [(key_path(e["loc"]), _reason(e)) for e in err.errors()]


def shown(value: Any, limit: int = MAX_SHOWN_CHARS) -> str:
    """``repr(value)``, cut to ``limit`` characters with the full length said."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[: limit - 1]}… ({len(text)} characters)"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _read_capped(path: Path) -> bytes:
    """The file's bytes: a regular file of at most MAX_TOML_BYTES, read no further.

    A FIFO or a device would block the reader or never end, so it is refused before it
    is opened; O_NONBLOCK and a second check on the open file close the race."""
    too_big = f"larger than the {MAX_TOML_BYTES // 1024} KiB limit for configuration files"
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise ConfigError(path, [("(file)", "no such file")]) from None
    except OSError as exc:
        raise ConfigError(path, [("(file)", f"cannot be read: {exc}")]) from None
    if not stat.S_ISREG(mode):
        raise ConfigError(path, [("(file)", f"is {_kind(mode)}, not a regular file")])
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise ConfigError(path, [("(file)", f"cannot be read: {exc}")]) from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError(path, [("(file)", f"is {_kind(st.st_mode)}, not a regular file")])
        if st.st_size > MAX_TOML_BYTES:
            raise ConfigError(path, [("(file)", f"{st.st_size} bytes, {too_big}")])
        data = f.read(MAX_TOML_BYTES + 1)
    if len(data) > MAX_TOML_BYTES:  # it grew while we read
        raise ConfigError(path, [("(file)", too_big)])
    return data


def read_toml(path: str | Path) -> dict[str, Any]:
    """A TOML file as a dict; a non-regular or oversized file is a ConfigError."""
    path = Path(path)
    data = _read_capped(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(path, [("(file)", f"cannot be read: {exc}")]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [("(syntax)", f"not valid TOML: {exc}")]) from None


def load_toml_model(path: str | Path, model: type[M], context: dict[str, Any] | None = None) -> M:
    """Read ``path`` and validate it as ``model``; raise ConfigError on any problem."""
    data = read_toml(path)
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise ConfigError(path, problems_from(exc)) from None
