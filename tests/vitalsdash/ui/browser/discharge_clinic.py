"""Serve a one-chair clinic whose patient has just come into observation, for the browser
test of discharge; the test moves its time on.

Run as a script (``python discharge_clinic.py DB PROTOCOL``): the Dash app registers its
callbacks once per process, and the browser tests' shared clinic already holds that app.
The protocol is a short one (5 min observation, see tests/helpers/discharge_helpers.py).
Prints the port, then reads commands on stdin, one a line, answering each on stdout:
``advance N`` (N simulated seconds on the manual clock) answers ``t T`` (the session time).
"""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path

from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "helpers"))
from discharge_helpers import reach_observation

from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.server import _guard as _http_guard
from vitalsdash.store import Store

BED = "disc1"


def main(db: Path, protocol: Path) -> None:
    from vitalsdash.ui.app import create_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    bed = BedConfig(id=BED, label="Discharge chair", scenario="uneventful-depression", seed=11,
                    protocol=str(protocol))  # fmt: skip
    store = Store(db)
    runtime = Runtime(ClinicConfig(clinic=ClinicSection(name="Discharge clinic"), beds=[bed]),
                      store, Feed(store), clock=ManualClock())  # fmt: skip
    runtime.start()
    reach_observation(runtime, BED)
    app = create_app(runtime)
    _http_guard.install(app.server, "127.0.0.1")
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_port, flush=True)
    for line in sys.stdin:
        words = line.split()
        if words[:1] == ["advance"]:
            runtime.advance(int(words[1]))
            view = runtime.view(BED)
            print(f"t {0 if view is None else view.t_s:g}", flush=True)
    server.shutdown()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
