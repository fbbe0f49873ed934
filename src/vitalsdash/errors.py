"""The one base class of vitalsdash's errors, and the error of a configuration file.

Every error vitalsdash raises on purpose derives from :class:`VitalsdashError`, so a caller
(the command line, the HTTP layer) can tell "we refused this, with a reason" from a bug.
Each subclass also keeps the built-in base it had (``ValueError``, ``RuntimeError``...), so
code that catches those still does.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

__all__ = ["ConfigError", "VitalsdashError"]


class VitalsdashError(Exception):
    """Something vitalsdash refused or could not do, said in words a person can act on."""


class ConfigError(VitalsdashError, ValueError):
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
