"""The debrief report of a 6-hour session (targets: <= 3 s and <= 2 MB).

Prints figures, asserts nothing. Two 6-hour sessions of the chronic-pain scenario:
- a recording from `vitalsim run chronic-pain-4h --duration-min 360`, evaluated through the
  alarm engine with an actions file (what `vitalsdash report RECORDING` does);
- a live session run by the runtime on a manual clock into a temporary SQLite store, with
  trainee actions and charted observations (what `vitalsdash report SESSION_ID` does);
and, for the waveform strips at the alarm onsets, stored 6-hour sessions with full
waveforms (ECG II, pleth, CO2: bench_store's synthetic waves with sensor noise, until the
simulator sends real ones) and 60, then 300 alarm episodes (the report then shows a fair
share of the strips). Timed (best of 3): reading the session, the metrics, the HTML
(timeline downsampled to min/max per bucket, plotly.js's basic bundle inlined once, the
strips read from the store) and writing the file. Sizes in bytes; 2 MB is taken as
2,000,000 bytes, of which plotly.js is ~1.2 MB.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import redirect_stderr
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np

from _common import best_of
from bench_store import WAVE_RATES, synthetic_waves
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.debrief import compute_debrief, session_from_recording, session_from_store
from vitalsdash.report import render_report, write_report
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store, TickWrite
from vitalsdash.waves import WaveSegment
from vitalsim.cli import main as vitalsim

MINUTES = 360
SCENARIO = "chronic-pain-4h"


def live_session(db: Path) -> int:
    """Six hours of the scenario through the runtime, with a few trainee actions."""
    store = Store(db)
    clinic = ClinicConfig(
        clinic=ClinicSection(speed=120),
        beds=[BedConfig(id="c1", scenario=SCENARIO, seed=2024, protocol="chronic-pain-4h")],
    )
    rt = Runtime(clinic, store, clock=ManualClock())
    rt.start()
    done = 0
    for t, kind, params in [
        (1900, "reassure", {}),
        (2900, "chart", {"kind": "dissociation", "value": 4}),
        (7000, "give_antiemetic", {"dose_mg": 4}),
        (7010, "chart", {"kind": "note", "text": "nausea, ondansetron 4 mg"}),
        (17000, "chart", {"kind": "alertness", "value": 9}),
        (MINUTES * 60 - 10, "end_session", {}),
    ]:
        rt.advance(t - done)
        done = t
        signals = rt.bed_summary("c1")["session"]["alarms"]
        for a in signals:
            if not a["acknowledged"]:
                rt.submit("c1", "acknowledge", {"condition": a["condition"]})
        rt.submit("c1", kind, params, "instructor" if kind == "end_session" else "trainee")
    sid = rt.beds["c1"].session.session_id
    store.close()
    return sid


def wave_session(store: Store, alarms: int) -> int:
    """Six hours stored with HR and SpO2 every second, ``alarms`` 30-s episodes (HR high,
    SpO2 low, systolic high in turn) and every second of the three waves."""
    sid = store.create_session("c1", label="Chair 1", scenario=None, seed=None,
                               protocol=None, alarm_profile="ketamine-infusion",
                               patient={}, started_wall=datetime.now(UTC))  # fmt: skip
    end, tick_s = MINUTES * 60, 10
    block = synthetic_waves(7)
    rows = [("HR_HI", 118.0, 110.0), ("SPO2_LO", 88.0, 90.0), ("SYS_HI", 171.0, 160.0)]
    events = []
    for k in range(alarms):
        cond, value, limit = rows[k % 3]
        t = 120.0 + int(k * (end - 240) / alarms)
        base = {"session_id": sid, "condition": cond, "priority": "MEDIUM", "actor": "system",
                "limit_value": limit, "detail": {}}  # fmt: skip
        events += [{**base, "t_s": t, "event": "active", "value": value},
                   {**base, "t_s": t + 30, "event": "normal", "value": limit}]  # fmt: skip
    events.sort(key=lambda r: r["t_s"])
    for t0 in range(0, end, tick_s):
        tick = TickWrite()
        for t in range(t0, t0 + tick_s):
            tick.samples += [(sid, float(t), "HR", 80.0), (sid, float(t), "SPO2", 97.0)]
        while events and events[0]["t_s"] < t0 + tick_s:
            tick.alarm_events.append(events.pop(0))
        i0 = t0 % 60
        for w, r in WAVE_RATES.items():
            values = np.roll(block[w], -i0 * r)[: tick_s * r]
            tick.waves.append((sid, WaveSegment(w, r, float(t0), values)))
        tick.session_updates[sid] = {"last_t_s": float(t0 + tick_s)}
        store.write_tick(tick)
    return sid


def measure(label: str, load: Callable[[], object], out: Path) -> None:
    data = load()
    t_load = best_of(load)
    t_metrics = best_of(lambda: compute_debrief(data))
    debrief = compute_debrief(data)
    t_html = best_of(lambda: render_report(data, debrief))
    t_all = best_of(lambda: write_report(load(), out))
    text = out.read_text(encoding="utf-8")
    size = out.stat().st_size
    bundle = len(text.split("<script>", 1)[1].split("</script>", 1)[0].encode())
    strips = text.split('id="strips-data">', 1)[1].split("</script>", 1)[0] if (
        'id="strips-data"' in text) else ""  # fmt: skip
    shown = text.count('<figure class="strip')
    n = len(data.samples)
    print(
        f"{label}: {n:,} samples, {len(debrief.episodes)} episodes, "
        f"{len(debrief.suppressed)} suppressed, {len(data.actions)} actions"
    )
    print(
        f"  read {t_load:.2f} s, metrics {t_metrics:.2f} s, HTML {t_html:.2f} s; "
        f"end to end (read + metrics + HTML + write) {t_all:.2f} s  [target <= 3 s]"
    )
    print(
        f"  report {size:,} bytes = {size / 1e6:.2f} MB  [target <= 2 MB]; plotly.js "
        f"{bundle:,} bytes; {shown} strips ({len(strips):,} bytes of strip data), the rest "
        f"{size - bundle - len(strips):,}"
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        tmp_path = Path(tmp)
        rec = tmp_path / "six-hours.csv"
        actions = tmp_path / "actions.csv"
        actions.write_text(
            "t,action,actor,target,value,text\n"
            "1900,reassure,trainee,,,\n"
            "7000,give_antiemetic,trainee,ondansetron,4,\n"
            "7010,chart,trainee,note,,nausea\n"
            "17000,chart,trainee,alertness,9,\n"
            f"{MINUTES * 60 - 10},end_session,trainee,,,\n"
        )
        t0 = time.perf_counter()
        with redirect_stderr(StringIO()):
            vitalsim(
                [
                    "run",
                    SCENARIO,
                    "--seed",
                    "2024",
                    "--duration-min",
                    str(MINUTES),
                    "--out",
                    str(rec),
                ]
            )
        print(
            f"(vitalsim run {SCENARIO} --duration-min {MINUTES}: {time.perf_counter() - t0:.1f} s)"
        )
        measure(
            f"recording, {MINUTES} min",
            lambda: session_from_recording(rec, actions=actions, scenario=SCENARIO),
            tmp_path / "recording.html",
        )
        db = tmp_path / "store.sqlite"
        t0 = time.perf_counter()
        sid = live_session(db)
        print(
            f"(runtime, {MINUTES} simulated minutes into SQLite: {time.perf_counter() - t0:.1f} s)"
        )

        def from_store() -> object:
            with Store(db) as store:
                return session_from_store(store, sid)

        measure(f"stored session, {MINUTES} min", from_store, tmp_path / "store.html")

        for alarms in (60, 300):
            db = tmp_path / f"waves-{alarms}.sqlite"
            t0 = time.perf_counter()
            with Store(db) as store:
                wid = wave_session(store, alarms)
            took, mb = time.perf_counter() - t0, db.stat().st_size / 1e6
            print(f"(a {MINUTES}-min session with waveforms and {alarms} alarms stored: "
                  f"{took:.1f} s, {mb:.1f} MB)")  # fmt: skip
            with Store(db) as store:
                measure(
                    f"stored session with waveforms, {MINUTES} min, {alarms} alarms",
                    lambda store=store, wid=wid: session_from_store(store, wid),
                    tmp_path / f"waves-{alarms}.html",
                )


if __name__ == "__main__":
    main()
