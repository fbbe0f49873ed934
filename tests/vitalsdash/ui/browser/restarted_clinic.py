"""Serve a clinic that ran 10 minutes, died, and was started again 133 s later.

Run as a script (``python restarted_clinic.py DB``) by the browser test of the interruption
marker: the Dash app registers its callbacks once per process, and the browser tests'
shared clinic already holds that app. Prints the port, then serves until killed.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from werkzeug.serving import make_server

from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.server import _guard as _http_guard
from vitalsdash.store import Store

GAP_S = 133


class Wall:
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _clinic() -> ClinicConfig:
    bed = BedConfig(id="chair1", label="Chair 1", scenario="uneventful-depression", seed=11)
    return ClinicConfig(clinic=ClinicSection(resume_interrupted=True), beds=[bed])


def main(db: Path) -> None:
    from vitalsdash.ui.app import create_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    wall = Wall()
    store = Store(db)
    first = Runtime(_clinic(), store, Feed(store), clock=ManualClock(), wall=wall)
    first.start()
    first.advance(600)
    store.close()  # the crash: the session is still running in the store
    wall.now += timedelta(seconds=GAP_S)
    store = Store(db)
    runtime = Runtime(_clinic(), store, Feed(store), clock=ManualClock(), wall=wall)
    runtime.start()
    runtime.advance(120)
    app = create_app(runtime)
    _http_guard.install(app.server, "127.0.0.1")
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    print(server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
