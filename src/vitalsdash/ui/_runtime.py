"""Where callbacks find the runtime: ``create_app`` sets it once per process."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vitalsdash.runtime import Runtime

_runtime: Runtime | None = None


def set_runtime(runtime: Runtime) -> None:
    global _runtime
    _runtime = runtime


def get_runtime() -> Runtime:
    if _runtime is None:
        raise RuntimeError("no runtime: create the app with vitalsdash.ui.app.create_app(runtime)")
    return _runtime
