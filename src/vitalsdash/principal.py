"""The person behind the current web request, and how the server admits people.

Below the API and the web server (both ask it), above the domain's ``vitalsdash.access``:
``current_principal()`` is the one answer to "who is asking" for every route, Dash
callback and API view. ``vitalsdash.server`` installs the policy and the guard that uses
it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, g, has_request_context
from flask_login import current_user

from vitalsdash.access import OPEN_DEMO, Principal

__all__ = ["AccessPolicy", "current_principal", "policy_of"]

EXTENSION = "vitalsdash_access"
PAGES_ROUTER_MODULE = "dash.dash"
"""Where Dash defines the pages' router callback (decided by the path it renders)."""
CLIENTSIDE = "clientside"
_UNSET = object()


@dataclass
class AccessPolicy:
    """How this server admits people. ``require_login`` False is the open demo on
    loopback: nobody signs in and the person at the computer may do everything."""

    require_login: bool = False
    dash_app: Any = None  # the Dash app, whose callbacks are classified on first use
    _callback_caps: dict[str, str] = field(default_factory=dict)

    callback_modules: tuple[tuple[str, str], ...] = ()
    """(module prefix, capability) of the Dash callbacks (the guard gives them)."""

    def callback_capability(self, output: str) -> str | None:
        """What the callback answering ``output`` needs (None: no such callback)."""
        if output not in self._callback_caps and self.dash_app is not None:
            # Dash adds callbacks as it sets up (the pages' router on the first request)
            self._callback_caps = _classify(self.dash_app.callback_map, self.callback_modules)
        return self._callback_caps.get(output)


def _classify(callback_map: dict[str, Any], modules: tuple[tuple[str, str], ...]
              ) -> dict[str, str]:  # fmt: skip
    out: dict[str, str] = {}
    for output, entry in callback_map.items():
        if entry.get("callback") is None:  # runs in the browser: never asked of the server
            out[output] = CLIENTSIDE
            continue
        module = _module_of(entry.get("callback"))
        if module == PAGES_ROUTER_MODULE:
            out[output] = "router"
            continue
        best = ""
        for prefix, capability in modules:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
                best, out[output] = prefix, capability
    return out


def _module_of(func: Any) -> str:
    while hasattr(func, "__wrapped__"):
        func = func.__wrapped__
    return str(getattr(func, "__module__", "") or "")


def policy_of(app: Flask) -> AccessPolicy | None:
    return app.extensions.get(EXTENSION)


def current_principal() -> Principal | None:
    """The person behind this request: ``OPEN_DEMO`` in the open demo (and outside a
    request, as in unit tests of callbacks), their ``Principal`` when signed in, None
    when logins are on and nobody is signed in."""
    if not has_request_context():
        return OPEN_DEMO
    cached = g.get("vitalsdash_principal", _UNSET)
    if cached is not _UNSET:
        return cached
    policy = policy_of(current_app)
    if policy is None or not policy.require_login:
        who: Principal | None = OPEN_DEMO
    else:
        user = current_user
        who = user.principal if user is not None and user.is_authenticated else None
    g.vitalsdash_principal = who
    return who
