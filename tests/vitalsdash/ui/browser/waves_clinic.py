"""Serve a clinic that runs in real time at x1, for the sweep's browser tests and benchmark.

Run as a script (``python waves_clinic.py DB [--push] [--synthetic] [--beds N]``): the
Dash app registers its callbacks once per process, and the browser tests' shared clinic
(a manual clock at x60) already holds that app. Here the runtime's own tick thread moves
every chair one simulated second per wall second, as a clinic at x1 does, from 10 min
in (the infusions just started). ``--synthetic`` gives the simulator made-up waves
(tests/helpers/synthetic_waves.py), for a simulator that makes none of its own. Chairs
whose scenario is the artefact-heavy one have their ECG leads off. Prints the port, then
serves until killed.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "helpers"))

import synthetic_waves
from infusion_start import start_all

from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.server import _guard as _http_guard
from vitalsdash.store import Store

SCENARIOS = ("uneventful-depression", "hypertensive-responder", "artefact-heavy")
LEADS_OFF = "artefact-heavy"


def clinic(push: bool, beds: int) -> ClinicConfig:
    chairs = [BedConfig(id=f"chair{i}", label=f"Chair {i}", scenario=SCENARIOS[(i - 1) % 3],
                        seed=10 + i) for i in range(1, beds + 1)]  # fmt: skip
    section = ClinicSection(name="Sweep clinic", speed=1, live_updates="push" if push else "poll")
    return ClinicConfig(clinic=section, beds=chairs)


def main() -> None:
    from vitalsdash.ui.app import create_app

    parser = argparse.ArgumentParser()
    parser.add_argument("db", type=Path)
    parser.add_argument("--push", action="store_true")
    parser.add_argument("--synthetic", action="store_true")
    parser.add_argument("--beds", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    if args.synthetic:
        synthetic_waves.install()
    synthetic_waves.leads_off(lambda s: s.scenario.path is not None
                              and s.scenario.path.stem == LEADS_OFF)  # fmt: skip
    store = Store(args.db)
    runtime = Runtime(clinic(args.push, args.beds), store, Feed(store))
    runtime.start()
    runtime.advance(600)  # the end of the baselines: the nurses start every infusion
    start_all(runtime)
    for _ in range(20):  # some waves in the feed before the first page opens
        runtime.advance(1)
    app = create_app(runtime)
    _http_guard.install(app.server, "127.0.0.1")
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    runtime.run_in_thread()
    print(server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
