"""Load a TOML file into a pydantic model, turning every failure into one readable error.

Users edit these files by hand, so an error must name the file, the key and the reason,
and never surface as a traceback.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class ConfigError(ValueError):
    """A configuration file that cannot be used, with every problem found in it.

    ``problems`` is a list of ``(key, reason)``; ``str()`` gives one line per problem,
    each as ``FILE: KEY: REASON``.
    """

    def __init__(self, path: str | Path, problems: Sequence[tuple[str, str]]):
        self.path = str(path)
        self.problems = list(problems)
        super().__init__("\n".join(f"{self.path}: {key}: {why}" for key, why in self.problems))

    @property
    def key(self) -> str:
        return self.problems[0][0]

    @property
    def reason(self) -> str:
        return self.problems[0][1]


def key_path(loc: Sequence[str | int]) -> str:
    """Render a pydantic location as a TOML key path; array indices are 1-based, as people count."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _reason(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return "unknown key (check its spelling and its unit suffix)"
    if kind == "missing":
        return "required key is missing"
    msg = str(err.get("msg", "invalid value"))
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if (
        "input" in err
        and kind not in ("model_type", "dict_type")
        and not isinstance(err["input"], dict)
    ):
        msg += f" (got {err['input']!r})"
    return msg


def problems_from(err: ValidationError) -> list[tuple[str, str]]:
    return [(key_path(e["loc"]), _reason(e)) for e in err.errors()]


def read_toml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, [("(file)", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
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
