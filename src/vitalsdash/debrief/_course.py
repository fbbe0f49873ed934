"""A patient's course of sessions, side by side: what the blood pressure and the
symptoms did in each session, so an educator sees dissociation fade over the course
while the blood pressure response does not (docs/debrief.md, "A course of sessions").

Per session, from its record: its date, the baseline (mean of the valid cuff readings
before the infusion started), the highest valid cuff reading from the infusion start on
(by systolic, with its diastolic) and the rise over the baseline, the highest clean heart
rate from the start on, the highest dissociation and nausea a person charted, and the
highest dissociation the simulated patient felt (hidden truth: the simulator's model on
the session's stored effect-site concentrations).
"""

from __future__ import annotations

import logging
import math
import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vitalsdash.adapters.simulator import FELT_FROM_CHANNEL, felt_dissociation_peak
from vitalsdash.catalogue import scenario_named
from vitalsdash.debrief._discharge import _samples, infusion_times, phase_changes
from vitalsdash.debrief._types import SessionEvent
from vitalsdash.model import Quality
from vitalsdash.protocol import HEART_RATE, NIBP_CHANNELS, nibp_readings
from vitalsdash.store import Store

log = logging.getLogger(__name__)

CHANNELS = (*NIBP_CHANNELS, HEART_RATE, FELT_FROM_CHANNEL)
"""What the table reads of each session: the cuff, the heart rate, the effect site."""


@dataclass(frozen=True, slots=True)
class CourseSession:
    """One session of a course as the course table shows it (None: nothing to show)."""

    number: int
    session_id: int
    started_wall: datetime | None
    status: str
    baseline_sys: float | None = None
    baseline_dia: float | None = None
    peak_sys: float | None = None
    peak_dia: float | None = None
    peak_heart_rate: float | None = None
    charted_dissociation: float | None = None
    charted_nausea: float | None = None
    felt_dissociation: float | None = None

    @property
    def rise_sys(self) -> float | None:
        """The highest systolic reading minus the baseline's (mmHg)."""
        if self.peak_sys is None or self.baseline_sys is None:
            return None
        return self.peak_sys - self.baseline_sys


@dataclass(frozen=True, slots=True)
class Course:
    """A named virtual patient and its sessions, by session number."""

    patient_id: int
    name: str
    scenario: str
    seed: int
    planned: int
    sessions: tuple[CourseSession, ...]
    current: int | None = None  # the session id the course is shown for


def _max(values: Any) -> float | None:
    vals = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    return max(vals) if vals else None


def _session(store: Store, c: dict[str, Any], scenario: Any, seed: int) -> CourseSession:
    sid, number = int(c["session_id"]), int(c["session_number"])
    df = store.samples(sid, channels=CHANNELS)
    phases = [r for r in store.session_events(sid) if r["kind"] in ("phase", "protocol_phase")]
    events = [SessionEvent(float(r["t_s"]), str(r["kind"]), str(r["source"]),
                           dict(r["detail"] or {})) for r in phases]  # fmt: skip
    start, _ = infusion_times(phase_changes(events))
    samples = _samples(df[df["channel"] != FELT_FROM_CHANNEL], "t_s")
    readings = nibp_readings(samples)
    before = [r for r in readings if start is None or r.t_s < start]
    after = [r for r in readings if start is not None and r.t_s >= start]
    peak = max(after, key=lambda r: r.sys_mmhg, default=None)
    rate = _max(x.value for x in samples if x.channel == HEART_RATE and x.quality is Quality.OK
                and start is not None and x.t_s >= start)  # fmt: skip
    charted = {
        kind: _max(o["value"] for o in store.observations(sid) if o["kind"] == kind)
        for kind in ("dissociation", "nausea")
    }
    felt = None
    ce = df[df["channel"] == FELT_FROM_CHANNEL]["value"].dropna().to_numpy()
    if scenario is not None and ce.size:
        felt = felt_dissociation_peak(scenario, seed, number, ce)
    return CourseSession(
        number, sid, c.get("started_wall"), str(c.get("status") or ""),
        statistics.fmean(r.sys_mmhg for r in before) if before else None,
        statistics.fmean(r.dia_mmhg for r in before) if before else None,
        None if peak is None else peak.sys_mmhg, None if peak is None else peak.dia_mmhg,
        rate, charted["dissociation"], charted["nausea"], felt,
    )  # fmt: skip


def course_summary(store: Store, patient_id: int, current: int | None = None) -> Course | None:
    """The course of patient ``patient_id`` (None: no such patient)."""
    row = store.patient(patient_id)
    if row is None:
        return None
    try:
        scenario = scenario_named(row["scenario"])
    except Exception as exc:  # a scenario file since removed or broken: no hidden truth
        log.warning("patient %s: scenario %s cannot be read: %s", patient_id, row["scenario"], exc)
        scenario = None
    sessions = tuple(_session(store, c, scenario, int(row["seed"]))
                     for c in store.course(patient_id))  # fmt: skip
    return Course(int(row["id"]), str(row["name"]), str(row["scenario"]), int(row["seed"]),
                  int(row["sessions_planned"]), sessions, current)  # fmt: skip


def course_for_session(store: Store, session_id: int) -> Course | None:
    """The course the session ``session_id`` is part of (None: a session of no course)."""
    found = store.course_of(session_id)
    if found is None:
        return None
    return course_summary(store, int(found["patient_id"]), current=int(session_id))
