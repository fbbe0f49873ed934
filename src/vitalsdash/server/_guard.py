"""WSGI middleware at the HTTP edge: which Host names are answered, and framing headers.

DNS rebinding: a page from ``rebind.example`` whose name later resolves to 127.0.0.1 is,
for the browser, same-origin with this server, so it could read ``/api/beds`` and POST
actions. The browser still sends ``Host: rebind.example``, so a request whose Host is not
one of ours (loopback names, the address the server binds to, and the clinic's
``allowed_hosts``) is refused before the app sees it: 421 JSON under ``/api``, a short
plain page otherwise. Clickjacking: every response forbids framing by any origin.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
WILDCARD_HOSTS = frozenset({"0.0.0.0", "[::]"})
"""Bind addresses that mean "every interface": never a name to answer to (pages on other
sites can send requests to http://0.0.0.0:port, which reach this machine)."""
SECURITY_HEADERS = (
    ("Content-Security-Policy", "frame-ancestors 'none'"),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),  # not "no-referrer": browsers then send
    # "Origin: null" on their own form posts, which the cross-site check must refuse
)
_HEADER_NAMES = frozenset(name.lower() for name, _ in SECURITY_HEADERS)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def host_name(header: str) -> str | None:
    """The name in a Host header, lower case, without port or final dot (None if malformed):
    ``Example.org:8050`` -> ``example.org``, ``[::1]:8050`` -> ``[::1]``."""
    text = header.strip().lower()
    if text.startswith("["):
        end = text.find("]")
        if end < 0 or (text[end + 1 :] and not _is_port(text[end + 1 :])):
            return None
        return text[: end + 1]
    name, colon, port = text.partition(":")
    if colon and not port.isdigit():
        return None
    name = name.rstrip(".")
    return name or None


def _is_port(text: str) -> bool:
    return text.startswith(":") and text[1:].isdigit()


def allowed_host_names(*extra: str | None) -> frozenset[str]:
    """Loopback names plus ``extra`` (the bind address, configured names) as compared."""
    names = set(LOOPBACK_HOSTS)
    for host in extra:
        if not host:
            continue
        if ":" in host and not host.startswith("["):  # a bare IPv6 address (--host ::1)
            host = f"[{host}]"
        name = host_name(host)
        if name and name not in WILDCARD_HOSTS:
            names.add(name)
    return frozenset(names)


class HostGuard:
    """Wraps a WSGI app: refuses foreign Host names, adds the framing headers."""

    def __init__(self, app: WsgiApp, allowed: Iterable[str]) -> None:
        self.app = app
        self.allowed = frozenset(allowed)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        def secured(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            kept = [(k, v) for k, v in headers if k.lower() not in _HEADER_NAMES]
            return start_response(status, kept + list(SECURITY_HEADERS), exc_info)

        name = host_name(environ.get("HTTP_HOST", ""))
        if name in self.allowed:
            return self.app(environ, secured)
        return self._refuse(environ, secured, environ.get("HTTP_HOST", ""))

    @staticmethod
    def _refuse(environ: dict[str, Any], start_response: Callable[..., Any], host: str):
        shown = host[:100].encode("ascii", "backslashreplace").decode()
        message = (
            f"this server does not answer to the host name {shown!r}: open it by an "
            "address it is configured for (allowed_hosts in the clinic file)"
        )
        path = environ.get("PATH_INFO", "")
        if path == "/api" or path.startswith("/api/"):
            body = json.dumps({"error": "misdirected_request", "message": message}).encode()
            ctype = "application/json"
        else:
            body = f"421 Misdirected Request: {message}\n".encode()
            ctype = "text/plain; charset=utf-8"
        start_response("421 Misdirected Request",
                       [("Content-Type", ctype), ("Content-Length", str(len(body)))])  # fmt: skip
        return [body]


def install(flask_app: Any, *extra_hosts: str | None) -> HostGuard:
    """Guard ``flask_app`` (its ``wsgi_app``, so the Flask object, its extensions and test
    client stay as they are); ``extra_hosts`` are names allowed besides loopback."""
    guard = HostGuard(flask_app.wsgi_app, allowed_host_names(*extra_hosts))
    flask_app.wsgi_app = guard
    return guard
