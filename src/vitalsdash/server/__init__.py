"""Start the clinic: store, feed, runtime thread, and the web server on 127.0.0.1.

The runtime is created here (not at import time), so reloaders and test fixtures do not
start it twice. With ``headless`` only the JSON API is served.

The HTTP server is waitress, one process with a thread pool, because the runtime lives in
this process's memory. Per request it costs about a third of werkzeug's development server
(``benchmarks/bench_ui_load.py``), which matters when every open page polls once a second.
"""

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
    "ServeOptions",
    "build_runtime",
    "create_wsgi_app",
    "http_server",
    "serve",
]
