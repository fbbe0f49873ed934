"""Alarm replay throughput on a 24-hour recording (target: >= 200,000 samples/s end to end).

Prints figures, asserts nothing. The recording is synthetic, in the `vitalsim run` format
(HR, SpO2, pump and concentrations every second, RR every 5 s, NIBP every 10 min), with
noise, motion artefacts, a probe-off and tachycardia episodes so the slow paths run too.
Timed: the whole `vitalsdash alarms replay` command (read, evaluate, write the log), in
process and as a subprocess (including interpreter start-up), and the evaluation alone.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd

HOURS = 24


def synthetic_recording(path: Path, hours: int = HOURS, seed: int = 1) -> int:
    rng = np.random.default_rng(seed)
    t = np.arange(hours * 3600, dtype=float)
    n = t.size
    hr = 72 + 6 * np.sin(t / 900) + rng.normal(0, 1.5, n)
    spo2 = 97 + rng.normal(0, 0.6, n)
    q_spo2 = np.full(n, "ok", dtype=object)
    q_hr = np.full(n, "ok", dtype=object)
    for start in rng.integers(0, n - 60, size=hours * 4):  # motion dips, ~4 per hour
        d = int(rng.integers(5, 30))
        spo2[start : start + d] = rng.uniform(80, 90)
        hr[start : start + d] += rng.uniform(20, 50)
        q_spo2[start : start + d] = "artefact"
        q_hr[start : start + d] = "artefact"
    for start in rng.integers(0, n - 600, size=hours // 2):  # real tachycardia episodes
        hr[start : start + 300] += 55
    off = slice(5 * 3600, 5 * 3600 + 90)  # probe off for 90 s
    spo2[off] = np.nan
    q_spo2[off] = "invalid"
    hr, spo2 = np.round(hr), np.round(np.clip(spo2, 50, 100))
    pump = np.where((t >= 600) & (t < 600 + 4 * 3600), 0.75, 0.0)
    frames = [
        pd.DataFrame({"t": t, "channel": "HR", "value": hr, "quality": q_hr}),
        pd.DataFrame({"t": t, "channel": "SPO2", "value": spo2, "quality": q_spo2}),
        pd.DataFrame({"t": t, "channel": "PUMP_RATE", "value": pump, "quality": "ok"}),
        pd.DataFrame({"t": t, "channel": "KET_CP", "value": pump * 200, "quality": "ok"}),
        pd.DataFrame({"t": t, "channel": "KET_CE", "value": pump * 180, "quality": "ok"}),
    ]
    rr_t = t[::5]
    rr = np.round(14 + rng.normal(0, 1, rr_t.size))
    frames.append(pd.DataFrame({"t": rr_t, "channel": "RR", "value": rr, "quality": "ok"}))
    bp_t = t[40::600]
    sys_ = np.round(125 + rng.normal(0, 12, bp_t.size))
    dia = np.round(80 + rng.normal(0, 8, bp_t.size))
    for ch, v in (
        ("NIBP_SYS", sys_),
        ("NIBP_DIA", dia),
        ("NIBP_MAP", np.round(dia + (sys_ - dia) / 3)),
    ):
        frames.append(pd.DataFrame({"t": bp_t, "channel": ch, "value": v, "quality": "ok"}))
    df = pd.concat(frames, ignore_index=True)
    df["true_value"] = df["value"]
    order = {
        c: i
        for i, c in enumerate(
            [
                "HR",
                "SPO2",
                "RR",
                "NIBP_SYS",
                "NIBP_DIA",
                "NIBP_MAP",
                "PUMP_RATE",
                "KET_CP",
                "KET_CE",
            ]
        )
    }
    df["_k"] = df["channel"].map(order)
    df = df.sort_values(["t", "_k"], kind="stable").drop(columns="_k")
    if path.suffix == ".parquet":
        df.to_parquet(path, index=False)
    else:
        df.to_csv(path, index=False)
    return len(df)


def _best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def bench(tmpdir: Path, suffix: str) -> None:
    from vitalsdash.alarms import load_profile
    from vitalsdash.alarms.replay import replay
    from vitalsdash.cli import main as cli
    from vitalsdash.recording import read_recording

    rec = tmpdir / f"rec{suffix}"
    rows = synthetic_recording(rec)
    out = tmpdir / "log.csv"
    args = ["alarms", "replay", str(rec), "--profile", "ketamine-infusion", "--out", str(out),
            "--no-progress"]  # fmt: skip

    def whole() -> None:
        with redirect_stdout(StringIO()):
            assert cli(args) == 0

    t_cli = _best(whole)
    df = read_recording(rec)
    profile = load_profile("ketamine-infusion")
    t_read = _best(lambda: read_recording(rec))
    t_eval = _best(lambda: replay(df, profile))
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "vitalsdash.cli", *args], check=True, capture_output=True)
    t_proc = time.perf_counter() - t0
    events = len(out.read_text().splitlines()) - 1
    size = rec.stat().st_size / 1e6
    print(f"\n{suffix[1:]}: {rows:,} rows ({size:.1f} MB), {events:,} log events")
    print(f"  whole command, in process : {t_cli:6.2f} s  {rows / t_cli:>10,.0f} samples/s")
    print(f"  whole command, subprocess : {t_proc:6.2f} s  {rows / t_proc:>10,.0f} samples/s")
    print(f"  read + validate only      : {t_read:6.2f} s  {rows / t_read:>10,.0f} samples/s")
    print(f"  evaluate only             : {t_eval:6.2f} s  {rows / t_eval:>10,.0f} samples/s"
          f"  ({t_eval / rows * 1e6:.2f} us/sample)")  # fmt: skip


def main() -> None:
    version = sys.version.split()[0]
    print(f"alarm replay benchmark: {HOURS} h synthetic recording, Python {version}")
    with tempfile.TemporaryDirectory() as tmp:
        for suffix in (".csv", ".parquet"):
            bench(Path(tmp), suffix)
    print("\ntarget: >= 200,000 samples/s for the whole command")


if __name__ == "__main__":
    main()
