"""Dashboard costs through Dash's own endpoint: bytes and server time per tick.

Posts to ``/_dash-update-component`` with ``app.server.test_client()`` exactly as the
browser does (see dash-notes "Measuring"), carrying the cursor and shown values forward
from each response. Targets: a bedside tick <= 2 KB and <= 2 ms of server time;
a central-station tick for 16 chairs <= 10 KB; a 6-hour session's bedside view opens in
<= 2 s. Prints figures; asserts nothing.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store
from vitalsdash.ui.app import create_app

CHAIRS = 16
SCENARIOS = ("uneventful-depression", "hypertensive-responder", "artefact-heavy",
             "vasovagal-observation", "desaturation-cosedative", "chronic-pain-4h")  # fmt: skip
TICKS = 60


def clinic(chairs: int = CHAIRS) -> ClinicConfig:
    """The shipped scenarios in turn, seeds 100.. (bench_ui_open.py uses it too)."""
    beds = []
    for i in range(chairs):
        scenario = SCENARIOS[i % len(SCENARIOS)]
        protocol = "chronic-pain-4h" if scenario == "chronic-pain-4h" else "depression-40min"
        beds.append(BedConfig(id=f"chair{i + 1}", label=f"Chair {i + 1}", scenario=scenario,
                              seed=100 + i, protocol=protocol))  # fmt: skip
    return ClinicConfig(clinic=ClinicSection(name="Benchmark clinic"), beds=beds)


class Endpoint:
    """One callback of the app, called the way dash-renderer calls it."""

    def __init__(self, app: Any, contains: str) -> None:
        self.client = app.server.test_client()
        self.client.get("/_dash-dependencies")  # Dash registers its callbacks on first use
        self.key = next(k for k in app.callback_map if contains in k)
        self.cb = app.callback_map[self.key]
        self.outputs = [p.rsplit(".", 1) for p in self.key.strip(".").split("...")]

    def post(self, inputs: list[dict], state: list[dict], outputs: list[Any]
             ) -> tuple[dict[str, Any], int, float, float]:  # fmt: skip
        """(response, bytes, wall ms, CPU ms of this thread)."""
        body = {"output": self.key, "outputs": outputs, "inputs": inputs, "state": state,
                "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"]}  # fmt: skip
        w0, c0 = time.perf_counter(), time.thread_time()
        r = self.client.post("/_dash-update-component", json=body)
        c1, w1 = time.thread_time(), time.perf_counter()
        data = r.get_data()
        assert r.status_code in (200, 204), (r.status_code, data[:300])
        resp = json.loads(data) if r.status_code == 200 else {"response": {}}
        return resp, len(data), (w1 - w0) * 1e3, (c1 - c0) * 1e3


def _ticks(call: Any, rt: Runtime, ticks: int, step_s: int) -> dict[str, Any]:
    """The page opened (``call(0)``), then ``ticks`` ticks with ``step_s`` simulated between."""
    opened = call(0)
    sizes, walls, cpus = [], [], []
    for n in range(1, ticks + 1):
        rt.advance(step_s)
        size, wall, cpu = call(n)
        sizes.append(size)
        walls.append(wall)
        cpus.append(cpu)
    return {"open": opened, "sizes": sizes, "walls": walls, "cpus": cpus}


def _out(cid: str, prop: str) -> dict[str, Any]:
    return {"id": cid, "property": prop}


def bedside(app: Any, rt: Runtime, bed: str, ticks: int, step_s: int) -> dict[str, Any]:
    ep = Endpoint(app, "bed-trends.figure")
    outputs = [_out(cid, prop) for cid, prop in ep.outputs]
    cursor = None

    def call(n: int) -> tuple[int, float, float]:
        nonlocal cursor
        inputs = [{"id": "bed-interval", "property": "n_intervals", "value": n},
                  {"id": "bed-refresh", "property": "data", "value": 0}]  # fmt: skip
        state = [{"id": "bed-cursor", "property": "data", "value": cursor},
                 {"id": "bed-id", "property": "data", "value": bed},
                 {"id": "bed-push", "property": "data", "value": None}]  # fmt: skip
        resp, size, wall, cpu = ep.post(inputs, state, outputs)
        got = resp.get("response", {}).get("bed-cursor", {})
        if "data" in got:
            cursor = got["data"]
        return size, wall, cpu

    return _ticks(call, rt, ticks, step_s)


def central(app: Any, rt: Runtime, ticks: int, step_s: int) -> dict[str, Any]:
    ep = Endpoint(app, "central-cursor.data")
    beds = list(rt.beds)
    outputs: list[Any] = []
    for cid, prop in ep.outputs:
        if cid.startswith("{"):
            part = json.loads(cid)["type"]
            outputs.append([_out({"bed": b, "type": part}, prop) for b in beds])
        else:
            outputs.append(_out(cid, prop))
    shown: dict[str, Any] = {}
    cursor = None

    def call(n: int) -> tuple[int, float, float]:
        nonlocal cursor
        state: list[Any] = [
            {"id": "central-cursor", "property": "data", "value": cursor},
            {"id": "central-audio", "property": "data-audio", "value": shown.get("audio")},
            {"id": "central-speed", "property": "children", "value": shown.get("speed")},
        ]
        for s in ep.cb["state"][3:]:
            part = json.loads(s["id"])["type"] if s["id"].startswith("{") else s["id"]
            state.append(
                [
                    {
                        "id": {"bed": b, "type": part},
                        "property": s["property"],
                        "value": shown.get(f"{part}.{s['property']}.{b}"),
                    }
                    for b in beds
                ]
            )
        inputs = [{"id": "central-interval", "property": "n_intervals", "value": n}]
        resp, size, wall, cpu = ep.post(inputs, state, outputs)
        for cid, props in resp.get("response", {}).items():
            for prop, value in props.items():
                if cid == "central-cursor":
                    cursor = value
                elif cid.startswith("{"):
                    i = json.loads(cid)
                    shown[f"{i['type']}.{prop}.{i['bed']}"] = value
        return size, wall, cpu

    return _ticks(call, rt, ticks, step_s)


def advance(rt: Runtime, seconds: int, step: int = 60) -> None:
    """Simulate in runtime-sized ticks (x120 at 0.5 s), so the live feed holds the recent
    history as it does in a running clinic (one huge tick would leave it to the store)."""
    while seconds > 0:
        rt.advance(min(step, seconds))
        seconds -= step


def _p(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def report(name: str, r: dict[str, Any]) -> None:
    size, wall, cpu = r["open"]
    print(f"  {name:<34} open: {size / 1024:8.1f} KB {wall:8.1f} ms wall {cpu:8.1f} ms CPU")
    s, w, c = r["sizes"], r["walls"], r["cpus"]
    print(f"  {'':<34} tick: {statistics.median(s):8.0f} B median, {max(s):6.0f} B max; "
          f"{statistics.median(w):.2f} ms wall median (p90 {_p(w, 0.9):.2f}); "
          f"{statistics.median(c):.2f} ms CPU median (p90 {_p(c, 0.9):.2f})")  # fmt: skip


def main() -> None:
    tmp = tempfile.mkdtemp(prefix="bench-ui-")
    store = Store(str(Path(tmp) / "ui.sqlite"))
    rt = Runtime(clinic(), store, Feed(store), clock=ManualClock())
    rt.start()
    app = create_app(rt)
    print(f"vitalsdash UI benchmark: {CHAIRS} chairs, ticks through app.server.test_client()")
    t0 = time.perf_counter()
    advance(rt, 2400)
    print(f"  (setup: 40 min simulated in {time.perf_counter() - t0:.1f} s)")
    report("bedside chair2 @40 min, x1", bedside(app, rt, "chair2", TICKS, 1))
    report("bedside chair2 @41 min, x60", bedside(app, rt, "chair2", 20, 60))
    report(f"central {CHAIRS} chairs, x1", central(app, rt, TICKS, 1))
    report(f"central {CHAIRS} chairs, x60", central(app, rt, 20, 60))
    t0 = time.perf_counter()
    advance(rt, 6 * 3600 - int(rt.beds["chair1"].session.t_s))
    print(f"  (setup: to 6 h simulated in {time.perf_counter() - t0:.1f} s)")
    report("bedside chair6 @6 h (4 h protocol), x1", bedside(app, rt, "chair6", TICKS, 1))
    report("bedside chair2 @6 h, x1", bedside(app, rt, "chair2", 20, 1))
    report(f"central {CHAIRS} chairs @6 h, x1", central(app, rt, 20, 1))
    store.close()


if __name__ == "__main__":
    main()
