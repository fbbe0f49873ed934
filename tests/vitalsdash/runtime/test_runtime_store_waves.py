"""The runtime stores every second of a bed's waveforms with its samples: a bed the store
refuses holds its waves with its other rows and stores them, once, when the store takes
them again; a faulted bed says how many segments it dropped. From the test's start on,
the simulator's source is given synthetic waves (tests/helpers/wave_session.py), so what
is stored can be compared with what was sent; before it, the bed stored its real ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from test_store_faults import Clinic
from wave_session import segment, wave_values

from vitalsdash import channels

ECG = "ECG_II"


def tap_waves(source: Any, t_s: float) -> None:
    """Give ``source`` a ``waveforms()`` that returns every wave over the seconds its last
    ``advance`` read (as a source with waves does)."""
    real = source.advance
    state = {"t": float(t_s), "t1": float(t_s)}

    def advance(t1: float) -> Any:
        state["t1"] = float(t1)
        return real(t1)

    def waveforms() -> list[Any]:
        t, t1 = state["t"], state["t1"]
        state["t"] = t1
        return [segment(c.id, t, t1 - t) for c in channels.waves()] if t1 > t else []

    source.advance, source.waveforms = advance, waveforms


def test_a_held_beds_waves_are_stored_once_when_the_store_takes_them(tmp_path: Path) -> None:
    c = Clinic(str(tmp_path / "waves.sqlite"))
    try:
        bad, good = c.session("chair2"), c.session("chair1")
        start = float(bad.t_s)
        for s in (bad, good):
            tap_waves(s.source, s.t_s)
        c.run(5)
        c.faults.poisoned.add(bad.session_id)
        c.run(15)
        assert bad.pending.waves  # held with its samples, none stored
        held_until = float(bad.t_s)
        strip = c.store.wave_strip(bad.session_id, ECG, start, held_until + 1)
        assert strip is not None
        assert np.isnan(strip.values[-250:]).all()
        c.faults.poisoned.clear()
        c.run(10)
        assert not bad.pending.waves
        for s in (bad, good):
            strip = c.store.wave_strip(s.session_id, ECG, start, float(s.t_s))
            assert strip is not None
            assert np.isfinite(strip.values).all()  # every second, the held ones too
            t = strip.t0_s + np.arange(strip.values.size) / 250
            assert np.abs(strip.values - wave_values(ECG, t)).max() <= 0.0051
        spans = c.store.wave_spans(bad.session_id)
        assert spans[ECG] == (0.0, float(bad.t_s))  # the real waves before, then the test's
        feed_newest, segments = c.rt.feed.waves_since([bad.session_id])
        assert feed_newest > 0  # the live sweep got them once they were stored
        assert segments
    finally:
        c.store.close()


def test_a_faulted_bed_counts_the_waves_it_dropped(tmp_path: Path) -> None:
    c = Clinic(str(tmp_path / "fault.sqlite"), fault_after_s=10.0)
    try:
        bad = c.session("chair2")
        tap_waves(bad.source, bad.t_s)
        c.faults.poisoned.add(bad.session_id)
        c.run(15)
        assert bad.status == "interrupted"
        assert not bad.pending.waves
        (fault,) = [e for e in c.store.session_events(bad.session_id) if e["kind"] == "fault"]
        assert fault["detail"]["dropped"]["waves"] > 0
    finally:
        c.store.close()
