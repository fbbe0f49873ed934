"""Simulator speed: the batch API (32 patients x 6 h at 1 Hz, every channel) and a live step.

Targets (issue "virtual patient"): batch <= 1 s (>= 1,000,000 patient-seconds per second);
a live step <= 50 microseconds per patient-second. Prints figures; asserts nothing.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import best_of
from vitalsim.engine import Cohort, LiveSimulation, ScheduledAction, run_batch, samples_of
from vitalsim.patient import sample_population
from vitalsim.scenario import NibpSettings

N_PATIENTS, HOURS = 32, 6
INFUSION = ScheduledAction(
    600, "start_infusion", {"rate_mg_per_kg_h": 0.5, "dose_mg_per_kg": 2.0}, "system"
)


def batch() -> None:
    cohort = Cohort.build(sample_population(N_PATIENTS, 11), 11, NibpSettings())
    duration = HOURS * 3600
    seconds = best_of(lambda: run_batch(cohort, duration, [INFUSION]))
    rate = N_PATIENTS * duration / seconds
    print(
        f"batch: {N_PATIENTS} patients x {HOURS} h at 1 Hz, every channel: {seconds:.3f} s "
        f"({rate:,.0f} patient-seconds/s; target <= 1 s)"
    )


def live() -> None:
    steps = 3 * 3600
    profile = sample_population(1, 12)[0]

    def run() -> None:
        sim = LiveSimulation(profile, 12, NibpSettings())
        for s in range(steps):
            if s == 600:
                sim.apply("start_infusion", "system", rate_mg_per_kg_h=0.5, dose_mg_per_kg=2.0)
            sim.advance(1)

    seconds = best_of(run)
    print(
        f"live: 1 patient stepped 1 s at a time for {steps} s (rows included): "
        f"{seconds / steps * 1e6:.1f} us per patient-second (target <= 50 us)"
    )


def rows() -> None:
    cohort = Cohort.build(sample_population(1, 13), 13, NibpSettings())
    chunk = run_batch(cohort, HOURS * 3600, [INFUSION])
    t0 = time.perf_counter()
    n = len(samples_of(chunk))
    print(f"recording rows for one 6 h patient: {n:,} rows in {time.perf_counter() - t0:.3f} s")


if __name__ == "__main__":
    batch()
    live()
    rows()
