"""Write a simulated session as a recording: the contract other tools read.

Samples in long format (``t, channel, value, quality, true_value``) and a sidecar of what
happened (``t, kind, source, detail``): phases, scripted events, actions and device notes.
CSV or Parquet by the file's suffix; the same inputs give byte-identical files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vitalsim.engine import SimSample
from vitalsim.symptoms import NOTE_KIND, NOTE_SOURCE
from vitalsim.waveforms import WaveChunk

SAMPLE_COLUMNS = ("t", "channel", "value", "quality", "true_value")
EVENT_COLUMNS = ("t", "kind", "source", "detail")
SUFFIXES = (".csv", ".parquet")
WAVEFORM_COLUMNS = ("t", "ECG_II", "PLETH", "CO2")
NOTE_SOURCES = {NOTE_KIND: NOTE_SOURCE}
"""A note's source in the sidecar when it is not a device's: the patient's cues."""


class RecordingFormatError(ValueError):
    """The output path has a suffix we cannot write."""


def events_path(path: str | Path) -> Path:
    """The sidecar next to a recording: ``run.csv`` -> ``run.events.csv``."""
    p = Path(path)
    return p.with_name(p.stem + ".events" + p.suffix)


def samples_frame(samples: Iterable[SimSample]) -> pd.DataFrame:
    rows = list(samples)
    df = pd.DataFrame(rows, columns=list(SAMPLE_COLUMNS))
    df["t"] = df["t"].astype(float)
    df["value"] = df["value"].astype(float).round(3)
    df["true_value"] = df["true_value"].astype(float).round(3)
    return df


def phase_changes(t_s: np.ndarray, phases: Sequence[str]) -> list[tuple[float, str]]:
    out: list[tuple[float, str]] = []
    for t, ph in zip(t_s.tolist(), phases, strict=True):
        if not out or out[-1][1] != ph:
            out.append((float(t), ph))
    return out


def events_frame(
    phases: Iterable[tuple[float, str]],
    scenario_events: Iterable[Any] = (),
    notes: Iterable[tuple[float, str, dict]] = (),
) -> pd.DataFrame:
    """One table of phases, scripted events and the engine's notes, in time order."""
    rows: list[tuple[float, str, str, str]] = []
    rows += [(t, "phase", "protocol", json.dumps({"phase": ph})) for t, ph in phases]
    for ev in scenario_events:
        detail = ev.model_dump(mode="json", exclude={"at", "kind"})
        detail["end_s"] = ev.end_s
        rows.append((float(ev.at_s), ev.kind, "scenario", json.dumps(detail, sort_keys=True)))
    for t, kind, detail in notes:
        source = "action" if "actor" in detail else NOTE_SOURCES.get(kind, "device")
        rows.append((float(t), kind, source, json.dumps(detail, sort_keys=True)))
    rows.sort(key=lambda r: r[0])  # stable: phases first at equal times
    return pd.DataFrame(rows, columns=list(EVENT_COLUMNS))


def write_frame(df: pd.DataFrame, path: Path) -> None:
    if check_suffix(path).suffix == ".csv":
        df.to_csv(path, index=False, float_format="%.10g", lineterminator="\n")
    else:
        df.to_parquet(path, index=False)


def check_suffix(path: str | Path) -> Path:
    p = Path(path)
    if p.suffix not in SUFFIXES:
        raise RecordingFormatError(
            f"{p}: cannot write {p.suffix or 'a file without suffix'}; use .csv or .parquet"
        )
    return p


def write_recording(path: str | Path, samples: pd.DataFrame, events: pd.DataFrame) -> Path:
    """Write samples to ``path`` and events beside it; returns the events path."""
    p = check_suffix(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    write_frame(samples, p)
    ev = events_path(p)
    write_frame(events, ev)
    return ev


def waveform_frame(waves: WaveChunk) -> pd.DataFrame:
    """One row per sample time of any wave (the union of their grids: the ECG's, as the
    other rates divide it), ``t`` in seconds; NaN where a wave has no sample at ``t`` or
    no signal (lead or probe off)."""
    rate = max(w.sample_rate_hz for w in waves.waves.values())
    n = (waves.t1_s - waves.t0_s) * rate
    frame = {"t": (waves.t0_s * rate + np.arange(n, dtype=np.float64)) / rate}
    for name in WAVEFORM_COLUMNS[1:]:
        w = waves.waves[name]
        col = np.full(n, np.nan, dtype=np.float32)
        col[:: rate // w.sample_rate_hz] = w.values
        frame[name] = col
    return pd.DataFrame(frame)


def write_waveforms(path: str | Path, waves: WaveChunk) -> None:
    """The waves as Parquet (:func:`waveform_frame`); RecordingFormatError for another suffix."""
    p = check_waveform_suffix(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    waveform_frame(waves).to_parquet(p, index=False)


def check_waveform_suffix(path: str | Path) -> Path:
    p = Path(path)
    if p.suffix != ".parquet":
        raise RecordingFormatError(
            f"{p}: waveforms are written as Parquet; give a file name ending in .parquet"
        )
    return p
