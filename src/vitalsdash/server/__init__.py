"""Start the clinic: store, feed, runtime thread, and the web server on 127.0.0.1.

- ``_serve``: builds the runtime and the WSGI app (dashboard and JSON API, or the API alone
  with ``headless``) and runs them;
- ``_http``: waitress with a connection limit and receive and idle timeouts;
- ``_guard``: the HTTP edge (which Host names are answered, security headers);
- ``_access``: who is asking and whether they may (every route and Dash callback,
  cross-site requests refused);
- ``_login``: signing in (Flask-Login sessions, bearer tokens, rate limits);
- ``_processes``: the scaled-out set-up's two processes, ``vitalsdash runtime`` (the one
  writer, publishing to Redis) and ``vitalsdash web`` (gunicorn workers, ``_workers``),
  docs/scaling.md.

docs/security.md says what the edge refuses and why.
"""

from vitalsdash.principal import AccessPolicy, current_principal, policy_of
from vitalsdash.server._processes import (
    DEFAULT_REDIS_URL,
    MAX_WORKERS,
    REDIS_SCHEMES,
    ClusterSetupError,
    RuntimeOptions,
    WebOptions,
    load_bus,
    run_runtime,
    serve_web,
    shown_url,
)
from vitalsdash.server._serve import (
    DEFAULT_DB,
    EXIT_REFUSED,
    HTTP_THREADS,
    ServeOptions,
    build_runtime,
    create_wsgi_app,
    http_server,
    login_required_for,
    refuse_open_network,
    serve,
)

__all__ = [
    "DEFAULT_DB",
    "DEFAULT_REDIS_URL",
    "EXIT_REFUSED",
    "HTTP_THREADS",
    "MAX_WORKERS",
    "REDIS_SCHEMES",
    "AccessPolicy",
    "ClusterSetupError",
    "RuntimeOptions",
    "ServeOptions",
    "WebOptions",
    "build_runtime",
    "create_wsgi_app",
    "current_principal",
    "http_server",
    "load_bus",
    "login_required_for",
    "policy_of",
    "refuse_open_network",
    "run_runtime",
    "serve",
    "serve_web",
    "shown_url",
]
