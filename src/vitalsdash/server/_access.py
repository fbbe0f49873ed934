"""Who is asking, and may they: the server side of logins for every route and callback.

One ``before_request`` hook decides every request before a view runs:

1. A state-changing request (POST, PUT, PATCH, DELETE) sent by a browser from another
   site is refused, logins or not: its ``Origin`` must be this server's own ``Host`` (the
   Host itself is checked by the HTTP edge, ``_guard``), and without an Origin a
   ``Sec-Fetch-Site`` other than same-origin is refused. Scripts (no Origin, no
   Sec-Fetch-Site) are not browsers a page can steer.
2. In login mode, anything but the sign-in pages, the token route, health and static
   assets needs a person: pages redirect to the sign-in page, everything else answers
   401 JSON.
3. What the person may reach is looked up in ``vitalsdash.access`` (the role matrix):
   pages by path, API and stream routes by prefix, Dash callbacks by the module that
   registered them (the pages' router by the path it is asked to render). Anything not
   classified here is refused, so a new route is closed until someone says who may use it.

Actions are authorised again where they are carried out (the runtime checks the actor
against the matrix and a trainee's chairs), with the actor taken from the login.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, redirect, request

from vitalsdash.access import Principal, allowed, page_capability
from vitalsdash.principal import EXTENSION, AccessPolicy, current_principal
from vitalsdash.server._guard import host_name

__all__ = ["install_guard"]

PUBLIC = "public"
"""No login needed: the sign-in pages, the token route, health, static files."""
ANYONE = "anyone"
"""Any signed-in person (an API path that does not exist answers its 404 to them)."""
UNKNOWN_PAGE = "see_hidden"
"""An address no page answers (or an odd spelling of one, ``//instructor``): passed on to
Dash's "page not found" only for those who may see everything; others get a 404."""
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Callbacks by the module that registered them (longest prefix wins). The pages' router
# (registered by Dash itself) is decided by the path it renders.
CALLBACK_CAPABILITIES: tuple[tuple[str, str], ...] = (
    ("vitalsdash.ui.instructor", "instructor_console"),
    ("vitalsdash.ui.pages.instructor", "instructor_console"),
    ("vitalsdash.ui.review", "review"),
    ("vitalsdash.ui.pages.review", "review"),
    ("vitalsdash.ui.settings", "settings"),
    ("vitalsdash.ui.pages.settings", "settings"),
    ("vitalsdash.ui.classroom", "class_results"),
    ("vitalsdash.ui.pages.classroom", "class_results"),  # the class code, chairs
    ("vitalsdash.ui.live", "monitor"),
    ("vitalsdash.ui.widgets", "monitor"),
    ("vitalsdash.ui.pages.bedside", "monitor"),
    ("vitalsdash.ui.pages.central", "monitor"),
    ("vitalsdash.ui.pages.not_found_404", "monitor"),
    ("vitalsdash.ui.app", "monitor"),
)

# Routes that are not pages, by path prefix (first match wins).
ROUTE_CAPABILITIES: tuple[tuple[str, str], ...] = (
    ("/login", PUBLIC),
    ("/join", PUBLIC),
    ("/logout", PUBLIC),
    ("/api/token", PUBLIC),
    ("/api/health", PUBLIC),
    ("/assets/", PUBLIC),
    ("/_favicon.ico", PUBLIC),
    ("/favicon.ico", PUBLIC),
    ("/api/beds/", ANYONE),  # actions: the runtime checks the matrix for the actor
    ("/api/beds", "monitor"),
    ("/api/clinic/", ANYONE),
    ("/api/sessions", "history"),
    ("/api/patients", "history"),
    ("/api/", ANYONE),
    ("/api", ANYONE),
    ("/_vitals/", "monitor"),
    ("/_dash-update-component", "callback"),
    ("/_dash-", "monitor"),
    ("/_reload-hash", "monitor"),
    ("/class/", "class_results"),
    ("/results/me", "own_results"),  # the page and its CSV
    ("/results/", "class_results"),  # any trainee's: the instructor's
)


def _route_capability(path: str) -> str | None:
    for prefix, capability in ROUTE_CAPABILITIES:
        if path == prefix.rstrip("/") or path.startswith(prefix):
            return capability
    return page_capability(path)


def _is_json_route(path: str) -> bool:
    return path.startswith(("/api", "/_dash-", "/_vitals/", "/_reload-hash"))


def _refuse(status: int, code: str, message: str) -> Response:
    if _is_json_route(request.path) or request.path.endswith(".csv"):
        body = json.dumps({"error": code, "message": message})
        response = Response(body, status=status, mimetype="application/json")
    else:
        response = Response(_refusal_page(status, message), status=status,
                            mimetype="text/html")  # fmt: skip
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="vitalsdash"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _refusal_page(status: int, message: str) -> str:
    from html import escape

    title = {401: "Please sign in", 403: "Not for this account"}.get(status, "Refused")
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{title} · vitalsdash</title>"
        '<link rel=icon href="/_favicon.ico">'
        '<link rel=stylesheet href="/assets/vendor/bootstrap-cyborg.min.css">'
        '<link rel=stylesheet href="/assets/monitor.css">'
        '<link rel=stylesheet href="/assets/console.css"></head>'
        '<body class="access-page"><main class="access-box">'
        f"<h1>{title}</h1><p class=access-why>{escape(message)}</p>"
        '<p><a href="/">Central station</a> · <a href="/login">Sign in as someone else</a>'
        "</p><p class=notice>Training tool — not a medical device</p></main></body></html>"
    )


def cross_site_reason() -> str | None:
    """Why this state-changing request looks sent by another site's page (None: it
    does not)."""
    origin = request.headers.get("Origin")
    host = request.headers.get("Host", "")
    if origin is not None:
        parts = urlsplit(origin) if origin != "null" else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            return f"it came from a page with no usable origin ({origin[:80]!r})"
        if parts.netloc.lower() != host.strip().lower() or host_name(host) is None:
            return f"it came from another site ({origin[:80]})"
        return None
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return f"the browser says it came from a {site} page"
    return None


def _guard(policy: AccessPolicy) -> Callable[[], Response | None]:
    def check() -> Response | None:
        path = request.path
        if request.method in UNSAFE_METHODS:
            why = cross_site_reason()
            if why is not None:
                return _refuse(403, "cross_site_request", f"Refused: {why}. Nothing was "
                               "changed. Use the dashboard's own pages.")  # fmt: skip
        capability = _route_capability(path)
        if capability == PUBLIC:
            return None
        who = current_principal()
        if who is None:
            if _is_json_route(path) or request.method != "GET" or path.endswith(".csv"):
                return _refuse(401, "unauthorized", "Sign in first: POST your name and "
                               "password (or the class code and your name) to /api/token "
                               "and send the token as 'Authorization: Bearer TOKEN'; in a "
                               "browser, open /login.")  # fmt: skip
            return redirect(f"/login?next={_next_of(request.full_path)}", code=302)
        if capability == "callback":
            capability = _callback_capability(policy)
        if who.open_demo or capability == ANYONE:
            return None
        if capability is None:  # an address that is no page (or an odd spelling of one)
            if who.may(UNKNOWN_PAGE):
                return None  # Dash answers its "page not found"
            return _refuse(404, "not_found", "There is no page at this address.")
        if who.may(capability):
            return None
        return _refuse(403, "forbidden", _not_for(who, capability))

    return check


def _callback_capability(policy: AccessPolicy) -> str:
    body = request.get_json(silent=True)
    output = body.get("output") if isinstance(body, dict) else None
    if not isinstance(output, str):
        return "nothing"  # refused: not a callback request
    capability = policy.callback_capability(output)
    if capability == "router":
        path = _router_path(body)
        return page_capability(path) or UNKNOWN_PAGE if path is not None else "nothing"
    return capability or "nothing"


def _router_path(body: dict[str, Any]) -> str | None:
    for item in body.get("inputs") or []:
        if isinstance(item, dict) and item.get("property") == "pathname":
            value = item.get("value")
            return value if isinstance(value, str) else None
    return None


_CAPABILITY_WORDS = {
    "instructor_console": "The instructor console is for instructors",
    "review": "Debrief reviews and reports are for instructors",
    "settings": "Alarm settings are for instructors and trainees",
    "class_results": "The class results are for instructors",
    "own_results": "This page shows a trainee's own results",
    "history": "Session records are for instructors and trainees",
    "see_hidden": "The patient's hidden state is for instructors",
}


def _not_for(who: Principal, capability: str) -> str:
    what = _CAPABILITY_WORDS.get(capability, "This is not open to your account")
    return f"{what}: you are signed in as {who.name} ({who.role})."


def _next_of(full_path: str) -> str:
    from urllib.parse import quote

    path = full_path.rstrip("?")
    return quote(path if safe_next(path) else "/", safe="")


def safe_next(target: str | None) -> bool:
    """A place on this server to go back to after signing in (never another site)."""
    return (
        isinstance(target, str)
        and target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and len(target) <= 400
        and all(32 < ord(c) < 127 for c in target)
    )


def allowed_for(who: Principal | None, capability: str) -> bool:
    """For pages that show or hide parts by role (None: nobody signed in)."""
    return who is not None and (who.open_demo or allowed(who.role, capability))


def install_guard(app: Flask, policy: AccessPolicy) -> AccessPolicy:
    policy.callback_modules = CALLBACK_CAPABILITIES
    app.extensions[EXTENSION] = policy
    app.before_request(_guard(policy))
    return policy
