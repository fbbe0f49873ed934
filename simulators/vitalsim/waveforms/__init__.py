"""Live waveforms of the virtual patient: ECG II (250 Hz), pleth (125 Hz), CO2 (25 Hz).

Drawn beat by beat and breath by breath from the numerics the engine computes, so they
agree with them: the R waves follow the HR channel, each pleth pulse follows its R wave
after the pulse transit time, the capnogram breathes the breaths and its plateau reaches
the EtCO2. Everything is causal and keyed: generating [a, b) then [b, c) gives the very
samples of [a, c), and the same seed gives the same waves.

    >>> state = wave_state(seed, patient_id)
    >>> chunk, state = generate_waves(wave_inputs(engine_chunk, 0), state)
    >>> chunk["ECG_II"].values     # float32 mV, sample k at k / 250 s

See docs/simulator.md, "Waveforms".
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vitalsim.waveforms import _capno, _ecg, _pleth, _timing
from vitalsim.waveforms._draws import traits
from vitalsim.waveforms._model import (
    CO2_HZ,
    DEFAULT_ETCO2_MMHG,
    ECG_HZ,
    PLETH_HZ,
    WAVE_RATES_HZ,
    Wave,
    WaveChunk,
    WaveInputs,
    WaveState,
    concat_waves,
    empty_chunk,
    wave_state,
)

__all__ = [
    "WAVE_RATES_HZ",
    "Wave",
    "WaveChunk",
    "WaveInputs",
    "WaveState",
    "concat_waves",
    "generate_waves",
    "wave_inputs",
    "wave_state",
]

PIECE_S = 600
"""Longer inputs are drawn this many seconds at a time (memory; the samples are the same)."""
DEFAULT_HR_BPM = 70.0


def wave_inputs(chunk: Any, patient: int = 0) -> WaveInputs:
    """The inputs of patient ``patient`` (its position in the chunk) from an engine chunk:
    the HR channel and the qualities as measured, the true BP and RR, and the breaths and
    EtCO2 when the sensors give them (else breaths from the RR and a plateau at 38 mmHg)."""
    m = chunk.measured[patient]
    n = chunk.t_s.size
    t0 = int(chunk.t_s[0]) if n else 0
    etco2 = getattr(m, "etco2_mmhg", None)
    ends = getattr(m, "breath_end_s", None)
    if ends is not None:  # the breaths of these seconds
        ends = np.asarray(ends, dtype=np.float64)
        ends = ends[(ends >= t0) & (ends < t0 + n)]
    # Motion makes the HR channel spike, not the heart: under an artefact the beats keep
    # the last rate measured well (NaN holds it) and the ECG shows the noise instead.
    hr = np.where(np.asarray(m.hr_q) == 0, m.hr, np.nan)
    return WaveInputs(
        t0_s=t0,
        hr_bpm=hr,
        ecg_quality=m.hr_q,
        spo2_quality=m.spo2_q,
        sbp_mmhg=chunk.truth["sbp"][patient],
        dbp_mmhg=chunk.truth["dbp"][patient],
        rr_per_min=chunk.truth["rr"][patient],
        breath_end_s=ends,
        etco2_mmhg=np.full(n, DEFAULT_ETCO2_MMHG) if etco2 is None else etco2,
    )


def generate_waves(inputs: WaveInputs, state: WaveState) -> tuple[WaveChunk, WaveState]:
    """The waves of ``inputs``' seconds, and the state to continue from at their end.

    ``state`` is :func:`wave_state` for the first chunk, then what the previous call
    returned; a chunk must start where the previous one ended (ValueError otherwise)."""
    if state.t_s is not None and inputs.t0_s != state.t_s:
        raise ValueError(
            f"the waveforms continue from second {state.t_s}, but these inputs start at "
            f"second {inputs.t0_s}"
        )
    t0, t1 = inputs.t0_s, inputs.t1_s
    if t1 == t0:
        return empty_chunk(t0), state
    if t1 - t0 > PIECE_S:
        parts = []
        for a in range(t0, t1, PIECE_S):
            part, state = _generate(inputs.between(a, min(a + PIECE_S, t1)), state)
            parts.append(part)
        return concat_waves(parts), state
    return _generate(inputs, state)


def _generate(inp: WaveInputs, st: WaveState) -> tuple[WaveChunk, WaveState]:
    t0, t1 = inp.t0_s, inp.t1_s
    seed, patient = st.seed, st.patient
    hr, hr_last = _timing.held(inp.hr_bpm, st.hr_bpm, DEFAULT_HR_BPM)
    hr = np.minimum(np.maximum(hr, _timing.HR_RANGE_BPM[0]), _timing.HR_RANGE_BPM[1])
    etco2, etco2_last = _timing.held(inp.etco2_mmhg, st.etco2_mmhg, DEFAULT_ETCO2_MMHG)
    breaths, count = _timing.breaths(inp, st)
    tr = traits(seed, patient)
    beats, last_beat = _timing.beats(inp, st, tr, hr, breaths)
    n_s = t1 - t0
    ecg_q, spo2_q = inp.ecg_quality, inp.spo2_quality
    start = float(t0)
    waves = {
        "ECG_II": Wave(ECG_HZ, start, _ecg.render(seed, patient, t0, n_s, beats, ecg_q, tr,
                                                  bool(ecg_q.any()))),
        "PLETH": Wave(PLETH_HZ, start, _pleth.render(seed, patient, t0, n_s, beats, spo2_q,
                                                     bool(spo2_q.any()))),
        "CO2": Wave(CO2_HZ, start, _capno.render(t0, n_s, breaths, etco2)),
    }  # fmt: skip
    kept = beats[-_timing.KEEP_BEATS :].tolist()
    new = WaveState(
        seed, patient, t1, last_beat, tuple(map(tuple, kept)),
        tuple(map(tuple, breaths[-2:].tolist())), count, hr_last, etco2_last,
    )  # fmt: skip
    return WaveChunk(t0, t1, waves), new
