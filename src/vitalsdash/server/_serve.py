"""Start the clinic: store, feed, runtime thread, and the web server on 127.0.0.1.

The runtime is created here (not at import time), so reloaders and test fixtures do not
start it twice. With ``headless`` only the JSON API is served.

The HTTP server is waitress, one process with a thread pool, because the runtime lives in
this process's memory. Per request it costs about a third of werkzeug's development server
(``benchmarks/bench_ui_load.py``), which matters when every open page polls once a second.
"""

from __future__ import annotations

import gc
import logging
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vitalsdash.config import ClinicConfig, ClinicSection, load_clinic
from vitalsdash.feed import Feed
from vitalsdash.principal import AccessPolicy
from vitalsdash.runtime import Runtime
from vitalsdash.server import _guard as _http_guard
from vitalsdash.server._access import install_guard
from vitalsdash.server._http import create_http_server
from vitalsdash.server._login import install_login
from vitalsdash.store import Store

log = logging.getLogger(__name__)
DEFAULT_DB = Path("var") / "vitalsdash.sqlite"
EXIT_REFUSED = 2
"""``vitalsdash run`` refused to start (like a usage error: nothing was started)."""
HTTP_THREADS = 8
"""A page opens with a handful of parallel requests; ticks are short. An open push stream
holds a thread of its own (waiting, not spinning): they come on top."""


@dataclass
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8050
    db: str | None = None
    speed: float | None = None
    clinic: str | None = None
    headless: bool = False
    mllp_port: int | None = None
    require_login: bool = False


def build_runtime(opts: ServeOptions) -> Runtime:
    clinic: ClinicConfig = load_clinic(opts.clinic)
    if opts.speed is not None:
        clinic = clinic.model_copy(
            update={"clinic": clinic.clinic.model_copy(update={"speed": opts.speed})}
        )
    store = Store(opts.db or str(DEFAULT_DB))
    runtime = Runtime(clinic, store, Feed(store))
    runtime.start()
    return runtime


def create_wsgi_app(runtime: Runtime, headless: bool, bind_host: str | None = None,
                    require_login: bool = False, limits_redis: str | None = None):  # fmt: skip
    """The Flask app (API only, or the dashboard's server), answering only to loopback
    names, ``bind_host`` and the clinic's ``allowed_hosts`` (``_http_guard``), with
    logins required when ``require_login`` (``_access``, ``_login``; failed sign-ins
    counted in ``limits_redis`` when given, else in this process's memory)."""
    dash_app = None
    if headless:
        from vitalsdash.api import create_server

        app = create_server(runtime)
    else:
        from vitalsdash.ui.app import create_app

        dash_app = create_app(runtime)
        app = dash_app.server
    install_access(app, runtime, require_login, dash_app, limits_redis=limits_redis)
    _http_guard.install(app, bind_host, *runtime.clinic.clinic.allowed_hosts)
    return app


def install_access(app: Any, runtime: Runtime, require_login: bool, dash_app: Any = None,
                   *, limits_redis: str | None = None) -> AccessPolicy:  # fmt: skip
    """Logins and the role matrix on ``app`` (``require_login`` may be changed later on
    the returned policy: tests of both modes share one app). ``limits_redis``: the Redis
    all web workers count failed sign-ins in (None: this process's memory)."""
    policy = install_guard(app, AccessPolicy(require_login=require_login, dash_app=dash_app))
    install_login(app, runtime, policy, cookie_secure=runtime.clinic.clinic.session_cookie_secure,
                  limits_redis=limits_redis)  # fmt: skip
    return policy


def print_access(host: str, require_login: bool, allowed_hosts: tuple[str, ...]) -> None:
    """Say at start-up who may come in: logins or the open demo, and the host names."""
    if require_login:
        print("logins required: instructors and observers sign in at /login, trainees "
              "join at /join with the class code (docs/security.md)", flush=True)  # fmt: skip
    else:
        print("open demo: no logins, for this computer only", flush=True)
    if not is_loopback(host):
        names = sorted(_http_guard.allowed_host_names(host, *allowed_hosts))
        print(f"answering to the host names {', '.join(names)} only; add the names "
              "browsers use to allowed_hosts in the clinic file", flush=True)  # fmt: skip


def is_loopback(host: str) -> bool:
    return host in _http_guard.LOOPBACK_HOSTS | {"::1"}


def login_required_for(host: str, require_login: bool) -> bool:
    """Logins are on when asked for, and always when the server listens beyond loopback."""
    return require_login or not is_loopback(host)


def refuse_open_network(host: str, store: Store) -> str | None:
    """Why the server must not start with logins on (None: it may): nobody could sign
    in without an instructor account."""
    if store.has_accounts():
        return None
    where = "with logins" if is_loopback(host) else "on " + host
    return (f"refusing to start {where}: there is no instructor account, so anyone on the "
            "network could run the clinic (or nobody could sign in). Create one first:\n"
            "  vitalsdash users add NAME --role instructor\n"
            "or leave out --host to keep the open demo on this computer (127.0.0.1).")  # fmt: skip


def http_server(
    app: Any, host: str, port: int, stream_threads: int = 0, limits: ClinicSection | None = None
) -> Any:
    """waitress serving the WSGI ``app`` (not yet running: ``.run()``; ``.effective_port``)
    with the connection limit and timeouts of ``limits`` (``_http_server``).

    Call it once the clinic and the app are built: what exists by then (imported modules,
    the Dash app, the runtime: ~190,000 objects, against ~5,000 more after 6 hours of a
    16-chair clinic) lives as long as the process, so it leaves the cyclic garbage
    collector's care (``gc.freeze``). Full collections, which the collector starts by
    itself and which hold the GIL, then scan only what was created later: they took ~110 ms
    each, and one or two fell inside every 6-hour bedside backfill (in process 387 -> 200 ms
    median; its server wait in benchmarks/bench_ui_open.py ~490 -> ~290 ms). Objects
    created later are collected as before.
    """
    c = limits or ClinicSection()
    server = create_http_server(app, host, port, threads=HTTP_THREADS + stream_threads,
                                max_connections=c.http_max_connections,
                                receive_timeout_s=c.http_receive_timeout_s,
                                idle_timeout_s=c.http_idle_timeout_s,
                                ident="vitalsdash", clear_untrusted_proxy_headers=True)  # fmt: skip
    freeze_startup_heap()
    return server


def freeze_startup_heap(thresholds: tuple[int, int, int] | None = None) -> None:
    """What a process built to serve (modules, the app, the runtime) lives as long as it:
    take it out of the cyclic collector's care (``http_server``), after freeing start-up
    garbage. ``thresholds``: the collector's, for a process that allocates on every tick.
    In the scaled-out runtime, full collections of the start-up objects took ~100 ms every
    ~10 s and held the ticks (docs/benchmarks.md, "Scale-out")."""
    gc.collect()
    gc.freeze()
    if thresholds is not None:
        gc.set_threshold(*thresholds)


def serve(opts: ServeOptions) -> int:
    asked = opts.require_login or load_clinic(opts.clinic).clinic.require_login
    require_login = login_required_for(opts.host, asked)
    if require_login:
        with Store(opts.db or str(DEFAULT_DB)) as store:
            why = refuse_open_network(opts.host, store)
        if why is not None:
            print(f"error: {why}", file=sys.stderr, flush=True)
            return EXIT_REFUSED
    runtime = build_runtime(opts)
    app = create_wsgi_app(runtime, opts.headless, opts.host, require_login)
    streams = None
    if not opts.headless:
        from vitalsdash.ui.live.stream import hub_of

        streams = hub_of(app)
    server = http_server(app, opts.host, opts.port, streams.max_streams if streams else 0,
                         runtime.clinic.clinic)  # fmt: skip
    runtime.run_in_thread()
    gateway = None
    if opts.mllp_port is not None:
        from vitalsdash.adapters.hl7 import Hl7Gateway

        gateway = Hl7Gateway.for_runtime(runtime, opts.host, opts.mllp_port).start()
        runtime.add_health_check("hl7_listener", gateway.health)
        print(f"receiving HL7 (MLLP) on {opts.host}:{gateway.port}", flush=True)

    def _shutdown(*_: object) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):  # once: nothing may interrupt the cleanup
            signal.signal(sig, signal.SIG_IGN)
        raise KeyboardInterrupt  # ends server.run() in the main thread, which then cleans up

    signal.signal(signal.SIGINT, _shutdown)
    signal.signal(signal.SIGTERM, _shutdown)
    mode = "API only" if opts.headless else "dashboard"
    clinic_now = runtime.views()
    print(f"vitalsdash ({mode}) on http://{opts.host}:{server.effective_port}  "
          f"[{len(clinic_now.beds)} beds, x{clinic_now.speed:g}]  "
          "Training tool - not a medical device. Ctrl+C to stop.", flush=True)  # fmt: skip
    print_access(opts.host, require_login, runtime.clinic.clinic.allowed_hosts)
    try:
        server.run()
    except KeyboardInterrupt:
        pass  # a second signal while run() was already stopping
    finally:
        if streams is not None:
            streams.close()  # before the server, which waits for its threads
        server.close()
        if gateway is not None:
            gateway.stop()
        runtime.stop()
        runtime.store.close()
    return 0
