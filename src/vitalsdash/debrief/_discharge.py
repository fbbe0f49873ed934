"""The discharge decision against readiness, and the phases of a session.

Private to :mod:`vitalsdash.debrief`. Readiness is judged exactly as the runtime judges it
(:func:`vitalsdash.protocol.discharge_readiness`), from what was known just before the
decision: samples, charted alertness and alarms showing (active or latched) at that time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from vitalsdash.debrief._episodes import Episode
from vitalsdash.debrief._types import END_ACTIONS, Action, Observation, SessionEvent
from vitalsdash.model import Channel, Phase, Quality, Sample
from vitalsdash.protocol import (
    NIBP_CHANNELS,
    READINESS_CHANNELS,
    Baseline,
    Criterion,
    Latest,
    ProtocolConfig,
    Readiness,
    alertness_counts,
    alertness_for_discharge,
    baseline_from,
    clean_value,
    discharge_readiness,
    latest_of,
    nibp_readings,
)

_PHASES = {p.value for p in Phase}
NO_BASELINE = Baseline(None, None, None, None, None, 0)


@dataclass(frozen=True, slots=True)
class PhaseSpan:
    phase: str
    start_t_s: float
    end_t_s: float


def _phase_of(detail: Any) -> str | None:
    if isinstance(detail, Mapping):
        p = str(detail.get("phase", "")).lower()
        return p if p in _PHASES else None
    return None


def phase_changes(
    session_events: Sequence[SessionEvent], alarm_events: Sequence[Mapping[str, Any]] = ()
) -> list[tuple[float, str]]:
    """(time, phase) changes: the session's phase events (source and protocol; an export's
    ``protocol_phase`` rows too), else the alarm log's ``set_phase``; the session starts in
    the baseline phase."""
    out: list[tuple[float, str]] = []
    for ev in sorted(session_events, key=lambda e: e.t_s):
        p = _phase_of(ev.detail) if ev.kind in ("phase", "protocol_phase") else None
        if p is not None:
            out.append((ev.t_s, p))
    if not out:
        for r in alarm_events:
            if r["event"] == "set_phase":
                p = _phase_of({"phase": (r.get("detail") or {}).get("after")})
                if p is not None:
                    out.append((float(r["t_s"]), p))
    if not out or out[0][0] > 0:
        out.insert(0, (0.0, Phase.BASELINE.value))
    merged: list[tuple[float, str]] = []
    for t, p in sorted(out, key=lambda x: x[0]):
        if merged and merged[-1][1] == p:
            continue
        if merged and merged[-1][0] == t:
            merged[-1] = (t, p)
        else:
            merged.append((t, p))
    return merged


def phase_spans(changes: Sequence[tuple[float, str]], end_t_s: float) -> list[PhaseSpan]:
    spans = []
    for i, (t, p) in enumerate(changes):
        t1 = changes[i + 1][0] if i + 1 < len(changes) else end_t_s
        if t1 > t or (i + 1 == len(changes) and t1 >= t):
            spans.append(PhaseSpan(p, t, max(t, t1)))
    return spans


def infusion_times(changes: Sequence[tuple[float, str]]) -> tuple[float | None, float | None]:
    """When the infusion started and when it ended (the first observation after it)."""
    start = next((t for t, p in changes if p == Phase.INFUSION.value), None)
    if start is None:
        return None, None
    end = next((t for t, p in changes if p == Phase.OBSERVATION.value and t >= start), None)
    return start, end


@dataclass(frozen=True, slots=True)
class DischargeDecision:
    """Whether (and when) the session was ended, and whether the patient was ready then.

    ``ready``/``missing``/``criteria`` are the readiness at ``evaluated_t_s``: the decision
    time, or the end of the session when nobody ended it. ``first_ready_t_s`` is the first
    second readiness was met (None if never, or no protocol to judge by). ``kind`` is the
    deciding action (``discharge``, or ``end_session``: ended without a discharge), ``note``
    the discharge note, ``discharged_at`` the wall-clock time of a stored discharge.
    """

    decided: bool
    t_s: float | None
    actor: str | None
    evaluated_t_s: float
    ready: bool | None
    missing: tuple[str, ...]
    criteria: tuple[Criterion, ...]
    first_ready_t_s: float | None
    protocol: str | None
    kind: str | None = None
    note: str | None = None
    discharged_at: datetime | None = None

    @property
    def discharged(self) -> bool:
        """The patient was discharged (a ``discharge`` action), not only the session ended."""
        return self.decided and self.kind == "discharge"

    def lines(self, clock: Callable[[float], str]) -> list[str]:
        """The decision in sentences (``clock`` formats a session time): who discharged the
        patient, when and with what note, or that the patient was never discharged."""
        if self.discharged and self.t_s is not None:
            wall = self.discharged_at
            at = "" if wall is None else f" ({wall.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC)"
            out = [f"Discharged by {self.actor} at {clock(self.t_s)}{at}."]
            if self.note:
                out.append(f"Discharge note: {self.note}")
            return out
        out = []
        if self.decided and self.t_s is not None:
            out.append(f"Session ended by {self.actor} at {clock(self.t_s)}.")
        out.append("The patient was never discharged.")
        return out

    @property
    def verdict(self) -> str:
        if self.ready is None:
            return "readiness unknown (no protocol)"
        if not self.decided:
            return "no discharge decision" + (
                " (ready at the end)" if self.ready else " (not ready at the end)"
            )
        if self.ready:
            return "discharged when ready"
        return "discharged before readiness was met"

    @property
    def early_by_s(self) -> float | None:
        """How long before readiness the patient was discharged (None if not early)."""
        if not self.decided or self.ready or self.t_s is None:
            return None
        if self.first_ready_t_s is None or self.first_ready_t_s <= self.t_s:
            return None
        return self.first_ready_t_s - self.t_s


class ReadinessJudge:
    """Readiness at any time of a finished session, from its record (fast repeated calls)."""

    def __init__(
        self,
        cfg: ProtocolConfig,
        samples: pd.DataFrame,
        episodes: Sequence[Episode],
        observations: Sequence[Observation],
        changes: Sequence[tuple[float, str]],
        alarm_words: Mapping[str, str] | None = None,
    ) -> None:
        self.cfg = cfg
        self.alarm_words = dict(alarm_words or {})  # condition -> the nurse's words
        self.episodes = list(episodes)
        self.infusion_start_s, self.infusion_end_s = infusion_times(changes)
        tcol = "t_s" if "t_s" in samples.columns else "t"
        df = samples[[tcol, "channel", "value", "quality"]]
        self.baseline = NO_BASELINE
        if self.infusion_start_s is not None:
            before = df[df[tcol] < self.infusion_start_s]
            self.baseline = baseline_from(_samples(before, tcol))
        nibp = df[df["channel"].isin([str(c) for c in NIBP_CHANNELS])]
        self.readings = nibp_readings(_samples(nibp, tcol))
        self.reading_t = np.array([r.t_s for r in self.readings], dtype=float)
        # per channel: clean samples (t, value) and the times of lost (invalid) ones
        self.cont: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for ch in map(str, READINESS_CHANNELS):
            g = df[df["channel"] == ch]
            t = g[tcol].to_numpy(dtype=float)
            v = g["value"].to_numpy(dtype=float)
            q = g["quality"].to_numpy()
            ok = (q == "ok") & ~np.isnan(v)
            lost = (q == "invalid") | np.isnan(v)
            self.cont[ch] = (t[ok], v[ok], t[lost])
        self.alertness = sorted(
            (o.t_s, float(o.value))
            for o in observations
            if o.kind == "alertness" and o.value is not None
        )

    def latest(self, t_s: float) -> Latest:
        """What was known just before ``t_s`` (samples at earlier times)."""
        i = int(np.searchsorted(self.reading_t, t_s, "left")) - 1
        r = self.readings[i] if i >= 0 else None
        vals: dict[str, float | None] = {}
        for ch, (t, v, lost) in self.cont.items():
            k = int(np.searchsorted(t, t_s, "left")) - 1
            j = int(np.searchsorted(lost, t_s, "left")) - 1
            clean = (float(t[k]), float(v[k])) if k >= 0 else None
            vals[ch] = clean_value(clean, float(lost[j]) if j >= 0 else None, t_s)
        return latest_of({} if r is None else r.by_channel(), vals)

    def alertness_at(self, t_s: float) -> tuple[float | None, bool]:
        """The last alertness charted up to ``t_s`` that counts for discharge (charted after
        the infusion ended: ``protocol.alertness_for_discharge``), and whether one charted
        too early was all there was."""
        charted = [(t, v) for t, v in self.alertness if t <= t_s]
        return alertness_for_discharge(charted, self.infusion_end_s)

    def at(self, t_s: float) -> Readiness:
        active = [e.condition for e in self.episodes if e.showing_at(t_s)]
        score, early = self.alertness_at(t_s)
        return discharge_readiness(
            self.cfg,
            self.baseline,
            self.latest(t_s),
            t_s,
            self.infusion_end_s,
            active,
            score,
            alertness_early=early,
            alarm_words=self.alarm_words,
        )

    def first_ready(self, end_t_s: float) -> float | None:
        """The first whole second at which readiness was met, or None."""
        if self.infusion_end_s is None:
            return None
        t0 = self.infusion_end_s + self.cfg.observation.min_minutes * 60.0
        need = self.cfg.discharge.alertness_min_score
        charted = [
            t for t, v in self.alertness if v >= need and alertness_counts(t, self.infusion_end_s)
        ]
        if not charted:
            return None  # alertness never charted high enough: never ready
        t = float(math.ceil(max(t0, charted[0])))
        while t <= end_t_s:
            if self.at(t).ready:
                return t
            # no readiness while an alarm shows: skip to the second after it stops showing
            showing = [e.visible_until_s for e in self.episodes if e.showing_at(t)]
            t = max(t + 1.0, float(math.floor(max(showing, default=t))) + 1.0)
        return None


def _samples(df: pd.DataFrame, tcol: str) -> list[Sample]:
    qs = {q.value: q for q in Quality}
    chans = {c.value: c for c in Channel}
    return [
        Sample(float(t), chans[ch], float(v), qs.get(q, Quality.OK))
        for t, ch, v, q in zip(
            df[tcol].tolist(),
            df["channel"].tolist(),
            df["value"].tolist(),
            df["quality"].tolist(),
            strict=True,
        )
        if ch in chans
    ]


def discharge_decision(
    cfg: ProtocolConfig | None,
    samples: pd.DataFrame,
    episodes: Sequence[Episode],
    actions: Sequence[Action],
    observations: Sequence[Observation],
    changes: Sequence[tuple[float, str]],
    end_t_s: float,
    discharged_at: datetime | None = None,
    alarm_words: Mapping[str, str] | None = None,
) -> DischargeDecision:
    """The first ``end_session``/``discharge`` action carried out, judged against readiness;
    ``discharged_at``: the stored wall-clock time of the discharge, if any."""
    end = next(
        (a for a in sorted(actions, key=lambda a: a.t_s) if a.kind in END_ACTIONS and a.done),
        None,
    )
    t_eval = end.t_s if end is not None else end_t_s
    kind = None if end is None else end.kind
    note = None if end is None or kind != "discharge" else end.params.get("note")
    wall = discharged_at if kind == "discharge" else None
    if cfg is None:
        return DischargeDecision(
            end is not None,
            None if end is None else end.t_s,
            None if end is None else end.actor,
            t_eval,
            None,
            (),
            (),
            None,
            None,
            kind,
            note,
            wall,
        )
    judge = ReadinessJudge(cfg, samples, episodes, observations, changes, alarm_words)
    r = judge.at(t_eval)
    return DischargeDecision(
        decided=end is not None,
        t_s=None if end is None else end.t_s,
        actor=None if end is None else end.actor,
        evaluated_t_s=t_eval,
        ready=r.ready,
        missing=tuple(r.missing),
        criteria=tuple(r.criteria),
        first_ready_t_s=judge.first_ready(end_t_s),
        protocol=cfg.name,
        kind=kind,
        note=note,
        discharged_at=wall,
    )
