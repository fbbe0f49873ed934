"""Discharge readiness: each criterion checked and explained in words a nurse reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from vitalsdash.protocol._config import ProtocolConfig

EPS = 1e-9
"""Tolerance for "exactly 20 %" in floating point (132 * 1.2 is 158.40000000000003)."""

STALE_GRACE_S = 60.0
"""An NIBP reading counts as current for the observation interval plus this."""


@dataclass(frozen=True, slots=True)
class Baseline:
    """This patient's baseline; None where the baseline phase gave no usable value."""

    sys_mmhg: float | None
    dia_mmhg: float | None
    map_mmhg: float | None
    hr_bpm: float | None
    spo2_pct: float | None
    n_nibp_readings: int


@dataclass(frozen=True, slots=True)
class Latest:
    """The most recent values: last valid NIBP reading (with its time), current HR and SpO2."""

    sys_mmhg: float | None = None
    dia_mmhg: float | None = None
    nibp_t_s: float | None = None
    hr_bpm: float | None = None
    spo2_pct: float | None = None


@dataclass(frozen=True, slots=True)
class Criterion:
    name: str  # observation, bp_current, sbp, dbp, hr, spo2, no_active_alarm, alertness
    met: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Readiness:
    ready: bool
    criteria: list[Criterion]
    missing: list[str] = field(default_factory=list)  # the details of the unmet criteria

    @property
    def summary(self) -> str:
        return "ready for discharge" if self.ready else "not ready: " + "; ".join(self.missing)


def num(v: float) -> str:
    """A measured value for display: whole numbers without decimals, else one decimal."""
    return f"{round(v, 1):g}"


def _deviation(label: str, unit: str, value: float, base: float, pct: float) -> tuple[bool, str]:
    """Within ``pct`` of ``base`` either way (exactly ``pct`` is within), and the wording."""
    within = abs(value - base) <= pct / 100.0 * base + EPS
    side = "above" if value > base else "below"
    head = f"{label} {num(value)}{unit}"
    if within:
        return True, f"{head}: within {num(pct)}% of baseline {num(base)}"
    return False, f"{head}: more than {num(pct)}% {side} baseline {num(base)}"


def _sbp(cfg: ProtocolConfig, base: Baseline, latest: Latest) -> Criterion:
    d, cap = cfg.discharge, cfg.discharge.sys_cap_mmhg
    sbp = latest.sys_mmhg
    if sbp is None:
        return Criterion("sbp", False, "SBP not measured yet")
    # The cap relaxes only the upper bound: SBP below the cap is fine however far it rose,
    # but a fall of more than the percentage is never fine. At the cap is not below it.
    under_cap = sbp < cap
    if base.sys_mmhg is None:
        text = f"SBP {num(sbp)} mmHg: no baseline recorded"
        return Criterion(
            "sbp", under_cap, f"{text}, {'below' if under_cap else 'not below'} {num(cap)}"
        )
    ok, text = _deviation("SBP", " mmHg", sbp, base.sys_mmhg, d.within_pct_of_baseline)
    if ok or sbp < base.sys_mmhg:
        return Criterion("sbp", ok, text)
    if under_cap:
        return Criterion("sbp", True, f"{text} but below {num(cap)}")
    return Criterion("sbp", False, f"{text} and {'above' if sbp > cap else 'not below'} {num(cap)}")


def _within(
    name: str, label: str, unit: str, value: float | None, base: float | None, pct: float
) -> Criterion:
    if value is None:
        return Criterion(name, False, f"{label} not measured yet")
    if base is None:
        return Criterion(name, False, f"{label} {num(value)}{unit}: no baseline recorded")
    return Criterion(name, *_deviation(label, unit, value, base, pct))


def _observation(cfg: ProtocolConfig, now_s: float, infusion_end_s: float | None) -> Criterion:
    need = cfg.observation.min_minutes
    if infusion_end_s is None:
        return Criterion(
            "observation", False, f"infusion not ended: {num(need)} min observation follows"
        )
    done_s = max(0.0, now_s - infusion_end_s)
    met = done_s >= need * 60.0
    return Criterion("observation", met, f"observation {int(done_s // 60)} of {num(need)} min")


def _bp_current(cfg: ProtocolConfig, latest: Latest, now_s: float) -> Criterion:
    if latest.nibp_t_s is None or latest.sys_mmhg is None:
        return Criterion("bp_current", False, "no BP reading yet: take a reading")
    age = max(0.0, now_s - latest.nibp_t_s)
    ago = f"{int(age // 60)} min ago" if age >= 60 else "less than a minute ago"
    if age > cfg.nibp.observation_every_min * 60.0 + STALE_GRACE_S:
        return Criterion("bp_current", False, f"last BP {ago}: take a new reading")
    return Criterion("bp_current", True, f"last BP {ago}")


def _alarms(active: Sequence[str]) -> Criterion:
    names = list(dict.fromkeys(active))
    if not names:
        return Criterion("no_active_alarm", True, "no active alarm")
    plural = "alarm" if len(names) == 1 else "alarms"
    return Criterion("no_active_alarm", False, f"{len(names)} active {plural}: {', '.join(names)}")


def _alertness(need: int, score: float | None) -> Criterion:
    scale = f"Aldrete/PADSS >= {need}"
    if score is None:
        return Criterion("alertness", False, f"alertness not charted ({scale} needed)")
    ok = score >= need
    return Criterion(
        "alertness", ok, f"alertness {num(score)} charted ({scale} {'met' if ok else 'needed'})"
    )


def discharge_readiness(
    cfg: ProtocolConfig,
    baseline: Baseline,
    latest: Latest,
    now_s: float,
    infusion_end_s: float | None,
    active_alarms: Sequence[str],
    alertness_score: float | None,
) -> Readiness:
    """Every discharge criterion, met or not, with its explanation; ``missing`` lists the
    details of the unmet ones, in order; ready iff nothing is missing.

    ``alertness_score`` is the latest Aldrete/PADSS score charted after the infusion ended
    (None if none). ``active_alarms`` names the active alarm conditions (e.g. "SYS_HI").
    """
    d = cfg.discharge
    pct = d.within_pct_of_baseline
    criteria = [
        _observation(cfg, now_s, infusion_end_s),
        _bp_current(cfg, latest, now_s),
        _sbp(cfg, baseline, latest),
        _within("dbp", "DBP", " mmHg", latest.dia_mmhg, baseline.dia_mmhg, pct),
        _within("hr", "HR", " bpm", latest.hr_bpm, baseline.hr_bpm, pct),
    ]
    spo2 = latest.spo2_pct
    if spo2 is None:
        criteria.append(Criterion("spo2", False, "SpO2 not available: check the probe"))
    elif spo2 >= d.spo2_floor_pct:
        criteria.append(
            Criterion("spo2", True, f"SpO2 {num(spo2)}% (floor {num(d.spo2_floor_pct)}%)")
        )
    else:
        criteria.append(
            Criterion("spo2", False, f"SpO2 {num(spo2)}%: below the {num(d.spo2_floor_pct)}% floor")
        )
    if d.require_no_active_alarm:
        criteria.append(_alarms(active_alarms))
    criteria.append(_alertness(d.alertness_min_score, alertness_score))
    missing = [c.detail for c in criteria if not c.met]
    return Readiness(not missing, criteria, missing)
