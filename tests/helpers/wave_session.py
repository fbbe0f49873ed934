"""A stored session with waveforms, written straight into a store: 1 Hz vital signs, an
alarm log of many short episodes and synthetic waves (sines, a pure function of time, so
a test knows every sample's value) until the simulator sends real ones."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import numpy as np

from vitalsdash import channels
from vitalsdash.store import Store, TickWrite
from vitalsdash.waves import WaveSegment

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
CONDITIONS = (("HR_HI", "HR", 118.0, 110.0), ("SPO2_LO", "SPO2", 88.0, 90.0),
              ("SYS_HI", "NIBP_SYS", 171.0, 160.0))  # fmt: skip


def wave_values(wave: str, t: np.ndarray) -> np.ndarray:
    """The synthetic wave at session times ``t`` (within the registry's wave_range)."""
    if wave == "ECG_II":
        return 0.5 + 0.6 * np.sin(2 * np.pi * 1.2 * t) + 0.2 * np.sin(2 * np.pi * 5.0 * t)
    if wave == "PLETH":
        return 0.5 + 0.45 * np.sin(2 * np.pi * 1.2 * t)
    return 20.0 + 18.0 * np.sin(2 * np.pi * 0.25 * t)


def segment(wave: str, t0_s: float, seconds: float) -> WaveSegment:
    rate = channels.get(wave).sample_rate_hz
    t = t0_s + np.arange(round(seconds * rate)) / rate
    return WaveSegment(wave, rate, float(t0_s), wave_values(wave, t).astype(np.float32))


def new_session(store: Store, label: str = "Chair 1") -> int:
    return store.create_session("chair1", label=label, scenario=None, seed=None,
                                protocol=None, alarm_profile="ketamine-infusion",
                                patient={"age_years": 50}, started_wall=T0)  # fmt: skip


def alarm_onsets(hours: float, n_alarms: int) -> list[float]:
    """Evenly spread onsets (whole seconds), the first after 2 minutes."""
    span = hours * 3600 - 240
    return [float(120 + int(k * span / n_alarms)) for k in range(n_alarms)]


def write_session(
    store: Store,
    *,
    hours: float = 6.0,
    n_alarms: int = 60,
    waves: bool = True,
    missing: Iterable[tuple[float, float]] = (),
    tick_s: int = 10,
    label: str = "Chair 1",
) -> int:
    """A session of ``hours`` with ``n_alarms`` episodes (HR high, SpO2 low, systolic high
    in turn, each 30 s) and, with ``waves``, every registered wave written ``tick_s``
    seconds a tick, except in the ``missing`` (from, to) stretches (whole ticks)."""
    sid = new_session(store, label)
    end = int(hours * 3600)
    gaps = list(missing)
    onsets = alarm_onsets(hours, n_alarms)
    events = []
    for k, t in enumerate(onsets):
        cond, _, value, limit = CONDITIONS[k % len(CONDITIONS)]
        base = {"session_id": sid, "condition": cond, "priority": "MEDIUM",
                "priority_base": "MEDIUM", "limit_value": limit, "actor": "system"}  # fmt: skip
        events.append({**base, "t_s": t, "event": "active", "value": value, "detail": {}})
        events.append({**base, "t_s": t + 30, "event": "normal", "value": limit, "detail": {}})
    events.sort(key=lambda r: r["t_s"])
    for t0 in range(0, end, tick_s):
        tick = TickWrite()
        for t in range(t0, min(t0 + tick_s, end)):
            tick.samples += [(sid, float(t), "HR", 80.0), (sid, float(t), "SPO2", 97.0)]
        while events and events[0]["t_s"] < t0 + tick_s:
            tick.alarm_events.append(events.pop(0))
        if waves and not any(a <= t0 < b for a, b in gaps):
            tick.waves += [(sid, segment(c.id, t0, tick_s)) for c in channels.waves()]
        tick.session_updates[sid] = {"last_t_s": float(min(t0 + tick_s, end)),
                                     "phase": "infusion"}  # fmt: skip
        store.write_tick(tick)
    store.write_tick(TickWrite(session_updates={sid: {"status": "ended"}}))
    return sid
