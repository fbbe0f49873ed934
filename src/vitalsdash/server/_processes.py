"""The two processes of the scaled-out set-up (docs/scaling.md).

``vitalsdash runtime`` is the one writer, as in ``vitalsdash run`` but without a web
server: it ticks, stores, receives HL7 and publishes what it did to Redis
(``vitalsdash.bus.Publisher``), and answers the commands that come back the same way.
``vitalsdash web`` is gunicorn with several worker processes, each with its own
``vitalsdash.bus.RemoteRuntime`` standing in for the runtime, so pages, the API and push
streams run as they do in one process. Redis, gunicorn and the bus are imported only
here (gunicorn in ``_workers``) and only when one of these starts: ``vitalsdash run``
needs none of them.
"""

from __future__ import annotations

import signal
import sys
import threading
from dataclasses import dataclass
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from vitalsdash.config import ClinicConfig, load_clinic
from vitalsdash.errors import VitalsdashError
from vitalsdash.server._serve import (
    DEFAULT_DB,
    EXIT_REFUSED,
    HTTP_THREADS,
    ServeOptions,
    build_runtime,
    freeze_startup_heap,
    login_required_for,
    print_access,
    refuse_open_network,
)
from vitalsdash.store import Store

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
REDIS_SCHEMES = ("redis", "rediss", "unix")
MAX_WORKERS = 64
"""More worker processes than this on one machine is a typing mistake, not a plan."""
WORKER_GRACE_S = 10
"""On SIGTERM a worker stops accepting, ends its push streams and has this long to finish
the requests it is serving (gunicorn's graceful timeout)."""
CLUSTER_EXTRA = "pip install 'vitalsdash[cluster]'"


class ClusterSetupError(VitalsdashError, RuntimeError):
    """A part the scaled-out set-up needs is not installed; the message says which."""


@dataclass
class RuntimeOptions:
    db: str | None = None
    redis: str = DEFAULT_REDIS_URL
    clinic: str | None = None
    speed: float | None = None
    mllp_port: int | None = None
    host: str = "127.0.0.1"


@dataclass
class WebOptions:
    db: str | None = None
    redis: str = DEFAULT_REDIS_URL
    clinic: str | None = None
    host: str = "127.0.0.1"
    port: int = 8050
    workers: int = 4
    require_login: bool = False


def load_bus() -> ModuleType:
    """``vitalsdash.bus``, or a clear error naming what is missing."""
    try:
        import vitalsdash.bus as bus
    except ImportError as exc:
        missing = exc.name or ""
        if missing == "redis" or missing.startswith("redis."):
            raise ClusterSetupError(f"the Redis client is not installed: {CLUSTER_EXTRA}") from None
        if missing.startswith("vitalsdash.bus") or missing == "vitalsdash":
            raise ClusterSetupError(
                "this installation has no message bus, which the runtime and web processes "
                "talk through: update vitalsdash, or run the clinic as one process with "
                "`vitalsdash run`"
            ) from None
        raise
    return bus


def load_workers() -> ModuleType:
    """The gunicorn application's module, or a clear error when gunicorn is missing."""
    try:
        from vitalsdash.server import _workers
    except ImportError as exc:
        if (exc.name or "").partition(".")[0] == "gunicorn":
            raise ClusterSetupError(
                f"the web server gunicorn is not installed: {CLUSTER_EXTRA}"
            ) from None
        raise
    return _workers


def shown_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (for logs and messages)."""
    if "://" not in url:
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{hostport}"))


# --- vitalsdash runtime ------------------------------------------------------------------


def run_runtime(opts: RuntimeOptions) -> int:
    """Build the runtime on ``opts.db``, publish it to Redis, optionally receive HL7, and
    run until SIGTERM or SIGINT; then stop in order (HL7 in, ticks, publishing, store)."""
    bus = load_bus()
    runtime = build_runtime(ServeOptions(db=opts.db, speed=opts.speed, clinic=opts.clinic))
    publisher = None
    gateway = None
    stop = threading.Event()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def _on_signal(*_: object) -> None:
        stop.set()

    try:
        for sig in previous:
            signal.signal(sig, _on_signal)
        publisher = bus.Publisher(runtime, opts.redis)
        publisher.start()  # before the first tick, so that every tick is published
        runtime.add_health_check("redis", publisher.health)
        freeze_startup_heap()
        runtime.run_in_thread()
        if opts.mllp_port is not None:
            from vitalsdash.adapters.hl7 import Hl7Gateway

            gateway = Hl7Gateway.for_runtime(runtime, opts.host, opts.mllp_port).start()
            runtime.add_health_check("hl7_listener", gateway.health)
            print(f"receiving HL7 (MLLP) on {opts.host}:{gateway.port}", flush=True)
        clinic_now = runtime.views()
        print(f"runtime ready: {len(clinic_now.beds)} beds, x{clinic_now.speed:g}, "
              f"publishing to {shown_url(opts.redis)}, "
              f"storing in {shown_url(opts.db or str(DEFAULT_DB))}  "
              "Training tool - not a medical device.", flush=True)  # fmt: skip
        while not stop.wait(1.0):
            pass
    finally:
        for sig in previous:  # a second signal must not interrupt the cleanup
            signal.signal(sig, signal.SIG_IGN)
        if gateway is not None:
            gateway.stop()
        runtime.stop()  # the last tick is published before the publisher stops
        if publisher is not None:
            publisher.stop()
        runtime.store.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("runtime stopped", flush=True)
    return 0


# --- vitalsdash web ----------------------------------------------------------------------


def serve_web(opts: WebOptions) -> int:
    """The dashboard and the API in ``opts.workers`` gunicorn worker processes.

    The master checks what it can before any worker starts (the clinic file, the login
    refusal, that the bus and gunicorn are installed), builds nothing else and starts no
    thread: each worker builds its own app after the fork (``preload_app`` off)."""
    clinic = load_clinic(opts.clinic)
    require_login = login_required_for(opts.host, opts.require_login or clinic.clinic.require_login)
    db = opts.db or str(DEFAULT_DB)
    if require_login:
        with Store(db) as store:
            why = refuse_open_network(opts.host, store)
        if why is not None:
            print(f"error: {why}", file=sys.stderr, flush=True)
            return EXIT_REFUSED
    load_bus()
    threads = HTTP_THREADS + clinic.clinic.push_streams_max
    app = load_workers().WebApplication(opts, clinic, db, require_login, threads, _ready)
    try:
        app.run()
    except SystemExit as exc:  # gunicorn's master leaves through sys.exit
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def build_web_app(opts: WebOptions, clinic: ClinicConfig, db: str, require_login: bool
                  ) -> tuple[Any, Any]:  # fmt: skip
    """One worker's WSGI app and the ``RemoteRuntime`` it reads: what ``create_wsgi_app``
    builds for the dashboard, with views and the live feed from Redis and history from
    ``db``, and failed sign-ins counted in the same Redis, so that every worker sees
    them. Called once in each worker process, after the fork."""
    from vitalsdash.server._serve import create_wsgi_app

    runtime = load_bus().RemoteRuntime(opts.redis, Store(db), clinic)
    app = create_wsgi_app(runtime, headless=False, bind_host=opts.host,
                          require_login=require_login, limits_redis=opts.redis)  # fmt: skip
    return app, runtime


def _ready(opts: WebOptions, require_login: bool, allowed_hosts: tuple[str, ...]) -> None:
    host = f"[{opts.host}]" if ":" in opts.host else opts.host
    print(f"vitalsdash (dashboard, {opts.workers} workers) on http://{host}:{opts.port}  "
          f"reading {shown_url(opts.redis)}  "
          "Training tool - not a medical device. Ctrl+C to stop.", flush=True)  # fmt: skip
    print_access(opts.host, require_login, allowed_hosts)
