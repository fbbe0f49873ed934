"""Waveform speed: ECG II (250 Hz), pleth (125 Hz) and CO2 (25 Hz) for one patient.

Targets: the waves well under 100 microseconds per patient-second; a live step with the
waves (1 s at a time, as a monitor advances) at most 200 microseconds per patient-second
in total. Prints figures; asserts nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import best_of
from vitalsim.engine import Cohort, LiveSimulation, ScheduledAction, run_batch
from vitalsim.patient import sample_population
from vitalsim.scenario import NibpSettings
from vitalsim.waveforms import generate_waves, wave_inputs, wave_state

HOURS = 1
INFUSION = ScheduledAction(
    600, "start_infusion", {"rate_mg_per_kg_h": 0.5, "dose_mg_per_kg": 2.0}, "system"
)


def generation() -> None:
    """The waves alone, from a batch run's numerics: in 10-min pieces and 1 s at a time."""
    cohort = Cohort.build(sample_population(1, 21), 21, NibpSettings())
    duration = HOURS * 3600
    inputs = wave_inputs(run_batch(cohort, duration, [INFUSION]), 0)

    def whole() -> None:
        generate_waves(inputs, wave_state(21, 0))

    seconds = best_of(whole)
    print(
        f"waves, {HOURS} h at once (10-min pieces): {seconds / duration * 1e6:.1f} us per "
        "patient-second (target well under 100 us)"
    )
    ones = [inputs.between(s, s + 1) for s in range(600)]

    def one_by_one() -> None:
        state = wave_state(21, 0)
        for part in ones:
            _, state = generate_waves(part, state)

    seconds = best_of(one_by_one)
    print(f"waves, 1 s at a time: {seconds / len(ones) * 1e6:.1f} us per patient-second")


def live() -> None:
    """A live patient stepped 1 s at a time, rows included, with and without the waves."""
    steps = HOURS * 3600
    profile = sample_population(1, 12)[0]

    def run(waveforms: bool) -> None:
        sim = LiveSimulation(profile, 12, NibpSettings(), waveforms=waveforms)
        for s in range(steps):
            if s == 600:
                sim.apply("start_infusion", "system", rate_mg_per_kg_h=0.5, dose_mg_per_kg=2.0)
            sim.advance(1)
            sim.take_waveforms()

    without = best_of(lambda: run(False)) / steps * 1e6
    with_waves = best_of(lambda: run(True)) / steps * 1e6
    print(
        f"live step, 1 s at a time: {without:.1f} us per patient-second without waves, "
        f"{with_waves:.1f} us with them (target <= 200 us)"
    )


if __name__ == "__main__":
    generation()
    live()
