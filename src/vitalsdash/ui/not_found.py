"""Unknown pages answer HTTP 404: Dash serves its app shell for any address, with 200.

The page a browser shows stays the same (Dash renders the "Page not found" page, or the
bedside's "No such chair"); only the status changes, so a bookmark checker, a proxy or a
script can tell a real page from a typo. What counts as a page:

- a registered page's path (``/``, ``/instructor``, ``/settings``, ``/review``), with or
  without a final slash;
- a page template whose variables name something that exists: ``/bed/<bed_id>`` for a bed
  of the clinic, ``/review/<session_id>`` for a session in the store, ``/results/<user_id>``
  for a trainee (``me``: whoever asks).

Assets, the JSON API, the push streams and Dash's own routes (``/_dash-*``) are not
pages and are left alone. Two aliases a person may type redirect to the page they mean:
``/central`` to the central station (``/``) and ``/bedside/<bed_id>`` to ``/bed/<bed_id>``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import dash
from flask import Response, redirect, request

from vitalsdash.api import store_unavailable_response
from vitalsdash.classroom import trainee_name
from vitalsdash.runtime import Runtime
from vitalsdash.store import StoreUnavailableError

__all__ = ["ALIASES", "install", "is_page"]

ALIASES: dict[str, str] = {"central": "", "bedside/<bed_id>": "bed/<bed_id>"}
"""Addresses a person may type -> the page's own ("" is the central station)."""


def _exists(runtime: Runtime) -> dict[str, Callable[[dict[str, str]], bool]]:
    """Per page module with a path template: does what its variables name exist?"""

    def bed(v: dict[str, str]) -> bool:
        return runtime.view(v.get("bed_id", "")) is not None

    def session(v: dict[str, str]) -> bool:
        text = v.get("session_id", "")
        return text.isdigit() and len(text) < 19 and runtime.store.session(int(text)) is not None

    def trainee(v: dict[str, str]) -> bool:
        text = v.get("user_id", "")
        if text == "me":
            return True
        return (text.isdigit() and len(text) < 19
                and trainee_name(runtime.store, int(text)) is not None)  # fmt: skip

    return {"vitalsdash.ui.pages.bedside": bed, "vitalsdash.ui.pages.review": session,
            "vitalsdash.ui.pages.classroom_results": trainee}  # fmt: skip


def _match(template: str, path: str) -> dict[str, str] | None:
    """The variables of ``template`` ("bed/<bed_id>") in ``path`` ("bed/chair1"), or None."""
    want, got = template.strip("/").split("/"), path.strip("/").split("/")
    if len(want) != len(got):
        return None
    found: dict[str, str] = {}
    for w, g in zip(want, got, strict=True):
        if w.startswith("<") and w.endswith(">"):
            if not g:
                return None
            found[w[1:-1]] = g
        elif w != g:
            return None
    return found


def is_page(path: str, runtime: Runtime) -> bool:
    """Whether ``path`` (relative to the app's prefix, e.g. "bed/chair1") is a page."""
    exists = _exists(runtime)
    for page in dash.page_registry.values():
        if page["module"].endswith("not_found_404"):
            continue  # the not-found page itself is no page to find
        template = page.get("path_template")
        if template:
            found = _match(template, path)
            if found is not None:
                check = exists.get(page["module"])
                return check is None or check(found)
        elif path.strip("/") == str(page["path"]).strip("/"):
            return True
    return False


def _alias(path: str) -> str | None:
    for template, target in ALIASES.items():
        found = _match(template, path)
        if found is not None:
            for name, value in found.items():
                target = target.replace(f"<{name}>", quote(value, safe=""))
            return target
    return None


def install(app: dash.Dash, runtime: Runtime) -> None:
    """Answer 404 for the app shell of an unknown address; redirect the aliases."""
    server = app.server
    prefix = app.config.routes_pathname_prefix or "/"
    shell_rules = {prefix, f"{prefix}<path:path>"}

    def _shell() -> bool:
        rule = request.url_rule
        return rule is not None and rule.rule in shell_rules

    @server.before_request
    def _aliases() -> Any:
        if request.method in ("GET", "HEAD") and _shell():
            target = _alias((request.view_args or {}).get("path", ""))
            if target is not None:
                return redirect(app.config.requests_pathname_prefix + target, code=302)
        return None

    @server.after_request
    def _status(response: Response) -> Response:
        shell = response.status_code == 200 and request.method in ("GET", "HEAD") and _shell()
        try:
            if shell and not is_page((request.view_args or {}).get("path", ""), runtime):
                response.status_code = 404
        except StoreUnavailableError as exc:  # past the view: Flask's handlers do not reach
            return store_unavailable_response(exc)
        return response
