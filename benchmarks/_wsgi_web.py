"""The product's Flask code without the dashboard and the access layers, for
``bench_cluster.py --web flask-bare``: the JSON API (``vitalsdash.api.create_server``)
and the bedside push stream (``ui/live/stream.install``) on one ``RemoteRuntime``, under
gunicorn's threaded workers as ``vitalsdash web`` runs them.

It serves the benchmark's two endpoints with the same code as the product but without
the Host check, the access guard, Flask-Login and Flask-Limiter, which the ASGI app of
``_asgi_web.py`` lacks too: the two together tell the web server's share of the cost
from the product's per-request layers. Settings: VITALSDASH_BENCH_REDIS,
VITALSDASH_BENCH_DB, VITALSDASH_BENCH_CLINIC.
"""

from __future__ import annotations

import os
from typing import Any

from vitalsdash.api import create_server
from vitalsdash.bus import RemoteRuntime
from vitalsdash.config import load_clinic
from vitalsdash.store import Store
from vitalsdash.ui.live import stream


def create_app() -> Any:
    runtime = RemoteRuntime(os.environ["VITALSDASH_BENCH_REDIS"],
                            Store(os.environ["VITALSDASH_BENCH_DB"]),
                            load_clinic(os.environ.get("VITALSDASH_BENCH_CLINIC")))  # fmt: skip
    app = create_server(runtime)
    stream.install(app, runtime)
    return app
