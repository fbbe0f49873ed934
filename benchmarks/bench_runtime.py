"""The runtime: CPU per bed-second at x60 and resident memory over 8 simulated hours.

Figures: 32 simulator beds at x60 on a manual clock (one tick = one wall second
= 60 simulated seconds): process CPU time per bed-second (CPU / (beds x simulated s)),
and how it splits between the simulator, the alarm engine, the store's write and the
feed; then resident memory (RSS) for 8 simulated hours at x120 (ticks of 60 s, as
``vitalsdash run --speed 120`` does) for the default 4-bed clinic and for 32 beds, each in
a fresh process, with what the runtime holds at the end. Target: growth < 20 MB from
warm-up (1 h) to the end. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_runtime.py            # everything (~3 min)
    .venv/bin/python benchmarks/bench_runtime.py --cpu      # CPU only
    .venv/bin/python benchmarks/bench_runtime.py --memory 32
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from vitalsdash.adapters import SimulatorSource
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection, load_clinic
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime, _bed
from vitalsdash.store import Store
from vitalsim import _rng, sensors

SCENARIOS = (
    "uneventful-depression",
    "hypertensive-responder",
    "artefact-heavy",
    "vasovagal-observation",
    "desaturation-cosedative",
)


def clinic_of(beds: int, speed: float, tick_s: float = 1.0) -> ClinicConfig:
    if beds == 4:  # the demo clinic `make run` starts (chair4 on the 4-hour protocol)
        c = load_clinic()
        return c.model_copy(update={"clinic": c.clinic.model_copy(update={"speed": speed})})
    return ClinicConfig(
        clinic=ClinicSection(speed=speed, tick_s=tick_s),
        beds=[
            BedConfig(id=f"chair{i + 1:02d}", scenario=SCENARIOS[i % len(SCENARIOS)], seed=100 + i)
            for i in range(beds)
        ],
    )


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Timers:
    """Wall time spent in a few hot functions, by name (single-threaded: perf_counter)."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)

    def wrap(self, owner: Any, attr: str, name: str) -> None:
        fn: Callable[..., Any] = getattr(owner, attr)
        spent = self.spent

        def timed(*args: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kw)
            finally:
                spent[name] += time.perf_counter() - t0

        setattr(owner, attr, timed)


def cpu(beds: int = 32, hours: float = 2.0, speed: int = 60) -> None:
    with tempfile.TemporaryDirectory() as d:
        store = Store(Path(d) / "bench.sqlite")
        feed = Feed(store)
        clock = ManualClock()
        rt = Runtime(clinic_of(beds, speed), store, feed, clock=clock)
        rt.start()
        timers = Timers()
        timers.wrap(store, "write_tick", "store write")
        timers.wrap(feed, "append", "feed append")
        timers.wrap(SimulatorSource, "advance", "simulator")
        timers.wrap(_bed, "step", "alarm engine")
        ticks = int(hours * 3600 / speed)
        tick_wall = []
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(ticks):
            t = time.perf_counter()
            clock.advance(1.0)  # one wall second
            rt.tick()
            tick_wall.append(time.perf_counter() - t)
        cpu_s, wall_s = time.process_time() - c0, time.perf_counter() - w0
        bed_s = beds * ticks * speed
        rows = sum(
            len(store.samples(b.session.session_id))
            for b in rt.beds.values()
            if b.session is not None
        )
        store.close()
    tick_wall.sort()
    print(
        f"runtime CPU, {beds} simulator beds at x{speed}, {hours:g} simulated h "
        f"({ticks} ticks of {speed} s, {bed_s:,} bed-seconds, {rows:,} samples stored):"
    )
    print(
        f"  {cpu_s / bed_s * 1e6:.1f} us CPU per bed-second; a tick of {beds} beds x {speed} s "
        f"takes median {tick_wall[len(tick_wall) // 2] * 1e3:.0f} ms, max "
        f"{tick_wall[-1] * 1e3:.0f} ms of its 1000 ms: {cpu_s / ticks * 100:.0f}% of one core"
    )
    other = wall_s - sum(timers.spent.values())
    parts = {**timers.spent, "phases, readiness, bookkeeping": other}
    print(
        "  where the time goes: "
        + ", ".join(
            f"{k} {v / wall_s * 100:.0f}%" for k, v in sorted(parts.items(), key=lambda kv: -kv[1])
        )
    )
    print(
        f"  store write share: {timers.spent['store write'] / wall_s * 100:.0f}% "
        f"({timers.spent['store write'] / ticks * 1e3:.1f} ms per tick)"
    )


def held(rt: Runtime) -> str:
    """What the runtime keeps in memory that could grow with session time."""
    sessions = [b.session for b in rt.beds.values() if b.session is not None]
    sim_log = sum(
        len(getattr(s.source, "sim", None).log)
        for s in sessions
        if getattr(s.source, "sim", None) is not None
    )
    engine_log = sum(len(s.engine.log) for s in sessions)
    baseline = sum(len(s.baseline_samples) for s in sessions)
    rings = sum(rt.feed.ring_size(s.session_id) for s in sessions)
    events = sum(len(r.rows) for sf in rt.feed._sessions.values() for r in sf.events.values())
    noise, motion = _rng._noise_block.cache_info(), sensors._motion_candidates.cache_info()
    return (
        f"feed rings {rt.feed.nbytes() / 2**20:.1f} MB ({rings:,} samples) + {events:,} "
        f"event rows; alarm engine logs {engine_log} events; baseline samples {baseline}; "
        f"simulator logs {sim_log} notes, noise-block cache {noise.currsize}/"
        f"{noise.maxsize} (62 KB each), motion cache {motion.currsize}/{motion.maxsize}"
    )


def memory(beds: int, hours: int = 8, speed: int = 120, warm_h: int = 1) -> None:
    """One process: ``hours`` simulated hours at x``speed``, RSS every hour."""
    tick_s = 0.5  # the demo clinic's: 60 simulated seconds per tick at x120
    step = int(speed * tick_s)
    with tempfile.TemporaryDirectory() as d:
        store = Store(Path(d) / "mem.sqlite")
        clock = ManualClock()
        rt = Runtime(clinic_of(beds, speed, tick_s), store, Feed(store), clock=clock)
        rt.start()
        per_hour = 3600 // step
        curve = []
        t0 = time.perf_counter()
        for _ in range(hours):
            for _tick in range(per_hour):
                clock.advance(tick_s)
                rt.tick()
            gc.collect()
            curve.append(rss_mb())
        wall = time.perf_counter() - t0
        at_end = held(rt)
        store.close()
    warm = curve[warm_h - 1]
    print(
        f"memory, {beds} beds at x{speed} for {hours} simulated h ({step} s ticks, "
        f"{wall:.0f} s wall): RSS "
        + ", ".join(f"{h + 1} h {v:.0f}" for h, v in enumerate(curve))
        + " MB"
    )
    print(
        f"  growth after warm-up ({warm_h} h -> {hours} h): {curve[-1] - warm:+.1f} MB "
        f"(target < 20 MB); 2 h (feed horizon full) -> {hours} h: "
        f"{curve[-1] - curve[min(1, hours - 1)]:+.1f} MB"
    )
    print(f"  held at the end: {at_end}")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cpu", action="store_true", help="only the CPU figures")
    p.add_argument("--memory", type=int, metavar="BEDS", help="only the memory run, in-process")
    p.add_argument("--hours", type=int, default=8)
    args = p.parse_args(argv)
    if args.memory:
        memory(args.memory, args.hours)
        return
    cpu()
    if args.cpu:
        return
    for beds in (4, 32):  # each in a fresh process: RSS is not shared between the runs
        subprocess.run(
            [sys.executable, __file__, "--memory", str(beds), "--hours", str(args.hours)],
            check=True,
        )


if __name__ == "__main__":
    main()
