"""Start the clinic: store, feed, runtime thread, and the web server on 127.0.0.1.

The runtime is created here (not at import time), so reloaders and test fixtures do not
start it twice. With ``headless`` only the JSON API is served.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

from werkzeug.serving import make_server

from vitalsdash.config import ClinicConfig, load_clinic
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store

log = logging.getLogger(__name__)
DEFAULT_DB = Path("var") / "vitalsdash.sqlite"


@dataclass
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8050
    db: str | None = None
    speed: float | None = None
    clinic: str | None = None
    headless: bool = False
    mllp_port: int | None = None


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


def create_wsgi_app(runtime: Runtime, headless: bool):
    if headless:
        from vitalsdash.api import create_server

        return create_server(runtime)
    from vitalsdash.ui.app import create_app

    return create_app(runtime).server


def serve(opts: ServeOptions) -> int:
    runtime = build_runtime(opts)
    app = create_wsgi_app(runtime, opts.headless)
    server = make_server(opts.host, opts.port, app, threaded=True)
    runtime.run_in_thread()
    gateway = None
    if opts.mllp_port is not None:
        from vitalsdash.adapters.hl7 import Hl7Gateway

        gateway = Hl7Gateway(runtime.hl7_source_for, host=opts.host, port=opts.mllp_port).start()
        print(f"receiving HL7 (MLLP) on {opts.host}:{gateway.port}", flush=True)
    stop = threading.Event()

    def _shutdown(*_: object) -> None:
        stop.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, _shutdown)
    signal.signal(signal.SIGTERM, _shutdown)
    mode = "API only" if opts.headless else "dashboard"
    print(f"vitalsdash ({mode}) on http://{opts.host}:{server.server_port}  "
          f"[{len(runtime.beds)} beds, x{runtime.control.speed:g}]  "
          "Training tool - not a medical device. Ctrl+C to stop.", flush=True)  # fmt: skip
    try:
        server.serve_forever()
    finally:
        if gateway is not None:
            gateway.stop()
        runtime.stop()
        runtime.store.close()
    return 0
