"""Where vitalsdash finds its configuration: the one lookup every loader uses.

Files are looked up in ``config/`` under the current directory first (an operator's own
clinic, scenarios, protocols and alarm profiles), then in the configuration that ships with
vitalsdash: the repository's ``config/`` in a checkout, or the copy packed into the wheel
(``vitalsdash/_config``) when installed. A name found in both comes from the current
directory.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

__all__ = ["config_dirs", "config_root", "shipped_config"]

_PACKAGE = Path(__file__).resolve().parent


@cache
def shipped_config() -> Path:
    """The configuration that ships with vitalsdash: the checkout's, else the wheel's."""
    checkout = _PACKAGE.parents[1] / "config"  # src/vitalsdash/ -> repository
    if (checkout / "clinic.toml").is_file():
        return checkout
    return _PACKAGE / "_config"


def config_dirs(folder: str = "", cwd: Path | None = None) -> list[Path]:
    """``config/<folder>`` under ``cwd`` (default: the current directory), then the shipped
    one; the same directory is listed once."""
    out: list[Path] = []
    for root in ((cwd or Path.cwd()) / "config", shipped_config()):
        d = root / folder if folder else root
        if all(not _same(d, o) for o in out):
            out.append(d)
    return out


def catalogue(folder: str, cwd: Path | None = None) -> dict[str, Path]:
    """The ``*.toml`` files of ``config/<folder>`` by name, sorted; a name found in more
    than one of :func:`config_dirs` comes from the first."""
    found: dict[str, Path] = {}
    for d in config_dirs(folder, cwd):
        for p in sorted(d.glob("*.toml")) if d.is_dir() else ():
            found.setdefault(p.stem, p)
    return dict(sorted(found.items()))


def config_root(cwd: Path | None = None) -> Path:
    """``config/`` under the current directory if there is one, else the shipped one."""
    here = (cwd or Path.cwd()) / "config"
    return here if here.is_dir() else shipped_config()


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return a == b
