"""Start the clinic: store, feed, runtime thread, and the web server on 127.0.0.1.

- ``_serve``: builds the runtime and the WSGI app (dashboard and JSON API, or the API alone
  with ``headless``) and runs them;
- ``_http``: waitress with a connection limit and receive and idle timeouts;
- ``_guard``: the HTTP edge (which Host names are answered, security headers);
- ``_access``: who is asking and whether they may (every route and Dash callback,
  cross-site requests refused);
- ``_login``: signing in (Flask-Login sessions, bearer tokens, rate limits).

docs/security.md says what the edge refuses and why.
"""

from vitalsdash.principal import AccessPolicy, current_principal, policy_of
from vitalsdash.server._serve import (
    DEFAULT_DB,
    HTTP_THREADS,
    ServeOptions,
    build_runtime,
    create_wsgi_app,
    http_server,
    serve,
)

__all__ = [
    "DEFAULT_DB",
    "HTTP_THREADS",
    "AccessPolicy",
    "ServeOptions",
    "build_runtime",
    "create_wsgi_app",
    "current_principal",
    "http_server",
    "policy_of",
    "serve",
]
