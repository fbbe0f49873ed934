"""The debrief report of a 6-hour session (targets: <= 3 s and <= 5 MB).

Prints figures, asserts nothing. Two 6-hour sessions of the chronic-pain scenario:
- a recording from `vitalsim run chronic-pain-4h --duration-min 360`, evaluated through the
  alarm engine with an actions file (what `vitalsdash report RECORDING` does);
- a live session run by the runtime on a manual clock into a temporary SQLite store, with
  trainee actions and charted observations (what `vitalsdash report SESSION_ID` does).
Timed (best of 3): reading the session, the metrics, the HTML (timeline downsampled to
min/max per bucket, plotly.js inlined once) and writing the file. Sizes in bytes; 5 MB is
taken as 5,000,000 bytes, of which plotly.js alone is ~4.8 MB.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import redirect_stderr
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from plotly.offline import get_plotlyjs

from _common import best_of
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.debrief import compute_debrief, session_from_recording, session_from_store
from vitalsdash.report import render_report, write_report
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store
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
        rt.submit("c1", kind, params)
    sid = rt.beds["c1"].session.session_id
    store.close()
    return sid


def measure(label: str, load: Callable[[], object], out: Path) -> None:
    data = load()
    t_load = best_of(load)
    t_metrics = best_of(lambda: compute_debrief(data))
    debrief = compute_debrief(data)
    t_html = best_of(lambda: render_report(data, debrief))
    t_all = best_of(lambda: write_report(load(), out))
    size = out.stat().st_size
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
        f"  report {size:,} bytes = {size / 1e6:.2f} MB  [target <= 5 MB]; plotly.js "
        f"{len(get_plotlyjs().encode()):,} bytes, the rest {size - len(get_plotlyjs()):,}"
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


if __name__ == "__main__":
    main()
