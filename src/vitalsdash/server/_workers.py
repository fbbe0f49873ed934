"""gunicorn for ``vitalsdash web``, driven from Python so that the web tier is one command.

Threaded workers (``gthread``): an open push stream holds a thread for as long as its page
is open, so each worker has the thread pool ``vitalsdash run`` has (``HTTP_THREADS``) plus
one thread per stream it may hold. ``preload_app`` stays off: the Dash app may be built
once per process and the ``RemoteRuntime`` holds connections and threads, so each worker
builds its own after the fork, and the master, which forks, has started no thread (nor
gunicorn's control socket, which would be one).
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication

from vitalsdash.config import ClinicConfig
from vitalsdash.server._processes import WORKER_GRACE_S, WebOptions, build_web_app
from vitalsdash.server._serve import freeze_startup_heap

GC_THRESHOLDS = (10_000, 20, 100)
"""The cyclic collector's thresholds in a worker (CPython's: 700, 10, 10). Every push
stream allocates on every tick; a young-generation collection every 700 allocations
stops all of a worker's streams many times a second. Under the scale-out benchmark's
load the raised thresholds gave a steadier latency tail (docs/benchmarks.md)."""


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def gunicorn_settings(opts: WebOptions, clinic: ClinicConfig, threads: int) -> dict[str, Any]:
    """What ``vitalsdash web`` sets of gunicorn's configuration, the clinic's HTTP limits
    where gunicorn has the same knob."""
    c = clinic.clinic
    return {
        "bind": [bind_address(opts.host, opts.port)],
        "workers": opts.workers,
        "worker_class": "gthread",
        "threads": threads,
        "preload_app": False,
        "worker_connections": c.http_max_connections,
        "keepalive": c.http_idle_timeout_s,
        "graceful_timeout": WORKER_GRACE_S,
        "proc_name": "vitalsdash-web",
        "accesslog": None,
        "errorlog": "-",
        # waitress in `vitalsdash run` trusts no proxy's headers: neither does this
        "forwarded_allow_ips": "",
        "secure_scheme_headers": {},
        "control_socket_disable": True,  # a thread in the master and a shared socket path
    }


class WebApplication(BaseApplication):
    """The gunicorn application (``.run()`` runs the master until SIGTERM or SIGINT)."""

    def __init__(self, opts: WebOptions, clinic: ClinicConfig, db: str, require_login: bool,
                 threads: int, on_ready: Callable[..., None] | None = None) -> None:  # fmt: skip
        self.opts, self.clinic, self.db = opts, clinic, db
        self.require_login = require_login
        self.threads = threads
        self.on_ready = on_ready
        self.wsgi_app: Any = None
        self.runtime: Any = None
        super().__init__()

    def load_config(self) -> None:
        for key, value in gunicorn_settings(self.opts, self.clinic, self.threads).items():
            if key in self.cfg.settings:  # older gunicorns lack the newest settings
                self.cfg.set(key, value)
        self.cfg.set("when_ready", self._when_ready)
        self.cfg.set("post_worker_init", _post_worker_init)
        self.cfg.set("worker_exit", _worker_exit)

    def load(self) -> Any:
        """In each worker, after the fork: build its app, then take what exists by now
        out of the cyclic collector's care, as ``http_server`` does for one process."""
        self.wsgi_app, self.runtime = build_web_app(self.opts, self.clinic, self.db,
                                                    self.require_login)  # fmt: skip
        freeze_startup_heap(GC_THRESHOLDS)
        return self.wsgi_app

    def end_streams(self) -> None:
        """Let open push streams end at their next wake-up (a tick), without waiting."""
        from vitalsdash.ui.live.stream import hub_of

        hub = hub_of(self.wsgi_app) if self.wsgi_app is not None else None
        if hub is not None:
            hub.close(timeout_s=0)

    def _when_ready(self, _server: Any) -> None:
        if self.on_ready is not None:
            self.on_ready(self.opts, self.require_login, self.clinic.clinic.allowed_hosts)


def _post_worker_init(worker: Any) -> None:
    """A worker told to stop (SIGTERM) ends its push streams first: otherwise each would
    hold its thread, and the worker, until the graceful timeout."""
    graceful = worker.handle_exit

    def _on_term(sig: int, frame: Any) -> None:
        worker.app.end_streams()
        graceful(sig, frame)

    signal.signal(signal.SIGTERM, _on_term)
    signal.siginterrupt(signal.SIGTERM, False)  # as gunicorn has it: requests go on


def _worker_exit(_server: Any, worker: Any) -> None:
    app = worker.app
    app.end_streams()
    if app.runtime is not None:
        stop = getattr(app.runtime, "stop", None)  # its tick watcher and Redis connections
        if callable(stop):
            stop()
        app.runtime.store.close()
