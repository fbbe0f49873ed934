"""The protocol's criteria about particular vital signs, explained in words a nurse reads.

This is the one module of the protocol that names channels: which channels make a cuff
reading and which continuous signs readiness looks at, how the baseline and the latest
values are taken from samples, the pre-infusion check and discharge readiness. The rest
of the protocol (phases, the NIBP program) and its readers ask here by channel id.

Choices (clinical.md, "Monitoring protocol defaults"):
- The pre-infusion check is a checklist (``pre_infusion_check``): baseline readings and
  time, BP, SpO2, HR, alarms showing, and the screening questions, each "pass",
  "caution" or "blocked" with its words and the limit used; the check's status is the
  worst item's. BP judges the LAST valid baseline NIBP reading: it is the state of the
  patient when the infusion would start (a rising BP is not averaged away by an earlier,
  calmer reading). Blocked at or above the block limits (SBP >= 160 or DBP >= 100),
  caution at or above the caution limits (140/90, the threshold of grade 1
  hypertension). A baseline too short or with too few readings blocks (the BP is shown
  as soon as one reading exists); ``reasons`` lists every item that did not pass.
- Discharge: SBP, DBP and HR within the percentage of baseline either way, exactly the
  percentage being within. The SBP cap relaxes only the upper bound and is strict: SBP
  below 160 is fine however far it rose, SBP at 160 is not (160 would block a start);
  a fall of more than the percentage is never fine. SpO2 at the floor is fine.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from vitalsdash.model import Channel, Quality, Sample
from vitalsdash.protocol._config import ProtocolConfig

EPS = 1e-9
"""Tolerance for "exactly 20 %" in floating point (132 * 1.2 is 158.40000000000003)."""

STALE_GRACE_S = 60.0
"""An NIBP reading counts as current for the observation interval plus this."""

NIBP_CHANNELS: tuple[Channel, ...] = (Channel.NIBP_SYS, Channel.NIBP_DIA, Channel.NIBP_MAP)
"""The cuff's channels: one reading is their values at one time (the systolic's time)."""
READINESS_CHANNELS: tuple[Channel, ...] = (Channel.HR, Channel.SPO2)
"""The continuous vital signs discharge readiness looks at (as ``clean_value``)."""
HEART_RATE: Channel = Channel.HR
"""The heart rate channel (a baseline's median, a course table's highest value)."""

CLEAN_WITHIN_S = 60.0
"""Readiness takes a heart rate or SpO2 only from a clean sample at most this old."""


@dataclass(frozen=True, slots=True)
class Baseline:
    """This patient's baseline; None where the baseline phase gave no usable value."""

    sys_mmhg: float | None
    dia_mmhg: float | None
    map_mmhg: float | None
    hr_bpm: float | None
    spo2_pct: float | None
    n_nibp_readings: int
    etco2_mmhg: float | None = None  # None too where no capnograph was on

    def by_channel(self) -> dict[str, float]:
        """Channel id -> baseline value, for the channels that have one: what the alarm
        engine, the views and the trend lines read, none of them knowing the fields."""
        pairs = {Channel.NIBP_SYS: self.sys_mmhg, Channel.NIBP_DIA: self.dia_mmhg,
                 Channel.NIBP_MAP: self.map_mmhg, Channel.HR: self.hr_bpm,
                 Channel.SPO2: self.spo2_pct, Channel.ETCO2: self.etco2_mmhg}  # fmt: skip
        return {ch: float(v) for ch, v in pairs.items() if v is not None}


@dataclass(frozen=True, slots=True)
class Latest:
    """The most recent values: last valid NIBP reading (with its time), current HR and SpO2."""

    sys_mmhg: float | None = None
    dia_mmhg: float | None = None
    nibp_t_s: float | None = None
    hr_bpm: float | None = None
    spo2_pct: float | None = None


@dataclass(frozen=True, slots=True)
class NibpReading:
    t_s: float
    sys_mmhg: float
    dia_mmhg: float
    map_mmhg: float  # measured, or DBP + (SBP - DBP) / 3 when the device gave none

    def by_channel(self) -> dict[str, tuple[float, float]]:
        """Cuff channel id -> (t_s, value): the reading as ``latest_of`` takes it."""
        values = (self.sys_mmhg, self.dia_mmhg, self.map_mmhg)
        return {ch: (self.t_s, v) for ch, v in zip(NIBP_CHANNELS, values, strict=True)}


def mean_arterial_pressure(sys_mmhg: float, dia_mmhg: float) -> float:
    """MAP for display when the device does not measure it (DBP + pulse pressure / 3)."""
    return dia_mmhg + (sys_mmhg - dia_mmhg) / 3.0


def nibp_readings(samples: Iterable[Sample]) -> list[NibpReading]:
    """Valid NIBP readings in time order: SYS and DIA samples of one ``t_s``, both usable.

    Other channels are ignored, so all the samples of a phase can be passed.
    """
    by_t: dict[float, dict[Channel, float]] = {}
    for s in samples:
        if s.channel in NIBP_CHANNELS and s.usable:
            by_t.setdefault(s.t_s, {})[s.channel] = s.value
    out = []
    for t, v in sorted(by_t.items()):
        if Channel.NIBP_SYS in v and Channel.NIBP_DIA in v:
            sys, dia = v[Channel.NIBP_SYS], v[Channel.NIBP_DIA]
            mean = v.get(Channel.NIBP_MAP)
            out.append(
                NibpReading(t, sys, dia, mean_arterial_pressure(sys, dia) if mean is None else mean)
            )
    return out


def baseline_from(readings: Sequence[Sample]) -> Baseline:
    """The patient's baseline from the samples of the baseline phase: NIBP as the mean of
    the valid readings, HR, SpO2 and EtCO2 (one reading per breath) as the median of the
    usable samples."""
    bp = nibp_readings(readings)

    def median(ch: Channel) -> float | None:
        values = [s.value for s in readings if s.channel is ch and s.usable]
        return float(statistics.median(values)) if values else None

    def mean(values: list[float]) -> float | None:
        return statistics.fmean(values) if values else None

    return Baseline(
        sys_mmhg=mean([r.sys_mmhg for r in bp]),
        dia_mmhg=mean([r.dia_mmhg for r in bp]),
        map_mmhg=mean([r.map_mmhg for r in bp]),
        hr_bpm=median(Channel.HR),
        spo2_pct=median(Channel.SPO2),
        n_nibp_readings=len(bp),
        etco2_mmhg=median(Channel.ETCO2),
    )


def clean_value(
    clean: tuple[float, float] | None, lost_t_s: float | None, now: float
) -> float | None:
    """The HR or SpO2 value discharge readiness may use at ``now``: the last clean sample
    (t, value), unless the signal was lost after it (``lost_t_s``: the last invalid sample)
    or it is older than CLEAN_WITHIN_S. An artefact-flagged sample counts neither for nor
    against discharge: a motion spike must not make a patient look ready (or not)."""
    if clean is None or (lost_t_s is not None and lost_t_s > clean[0]):
        return None
    return clean[1] if clean[0] >= now - CLEAN_WITHIN_S else None


def last_nibp_t_s(last_nibp: Mapping[str, tuple[float, float]]) -> float | None:
    """The time of the last cuff reading, from the last (t, value) per cuff channel."""
    entry = last_nibp.get(NIBP_CHANNELS[0])
    return None if entry is None else entry[0]


def latest_of(
    last_nibp: Mapping[str, tuple[float, float]], values: Mapping[str, float | None]
) -> Latest:
    """``Latest`` from the last cuff value per channel ((t, value)) and the readiness
    channels' ``clean_value`` per channel (both keyed by channel id)."""
    sys_, dia = last_nibp.get(Channel.NIBP_SYS), last_nibp.get(Channel.NIBP_DIA)
    return Latest(
        sys_mmhg=sys_[1] if sys_ else None,
        dia_mmhg=dia[1] if dia else None,
        nibp_t_s=last_nibp_t_s(last_nibp),
        hr_bpm=values.get(Channel.HR),
        spo2_pct=values.get(Channel.SPO2),
    )


def latest_from(samples: Iterable[Sample]) -> Latest:
    """Most recent values: the last valid NIBP reading with its time; HR and SpO2 as
    ``clean_value`` at the time of each channel's last sample."""
    samples = list(samples)
    cont: dict[Channel, float | None] = {}
    for ch in READINESS_CHANNELS:
        mine = sorted((s for s in samples if s.channel == ch), key=lambda s: s.t_s)
        clean = [s for s in mine if s.usable and s.quality is Quality.OK]
        lost = [s.t_s for s in mine if not s.usable]
        if mine:
            last = (clean[-1].t_s, clean[-1].value) if clean else None
            cont[ch] = clean_value(last, lost[-1] if lost else None, mine[-1].t_s)
    bp = nibp_readings(samples)
    r = bp[-1] if bp else None
    return Latest(
        sys_mmhg=r.sys_mmhg if r else None,
        dia_mmhg=r.dia_mmhg if r else None,
        nibp_t_s=r.t_s if r else None,
        hr_bpm=cont.get(Channel.HR),
        spo2_pct=cont.get(Channel.SPO2),
    )


@dataclass(frozen=True, slots=True)
class Criterion:
    name: str  # observation, bp_current, sbp, dbp, hr, spo2, no_active_alarm, alertness
    met: bool
    detail: str


CRITERION_LABELS: dict[str, str] = {
    "observation": "Observation time",
    "bp_current": "Recent BP reading",
    "sbp": "Systolic BP",
    "dbp": "Diastolic BP",
    "hr": "Heart rate",
    "spo2": "SpO2",
    "no_active_alarm": "No active alarm",
    "alertness": "Alert and oriented",
}
"""Each discharge criterion as the bedside checklist names it."""


def criterion_names(cfg: ProtocolConfig) -> list[str]:
    """The criteria ``discharge_readiness`` judges under ``cfg``, in its order: known
    before the first judgement (the bedside names them before the infusion ends)."""
    names = ["observation", "bp_current", "sbp", "dbp", "hr", "spo2"]
    if cfg.discharge.require_no_active_alarm:
        names.append("no_active_alarm")
    return [*names, "alertness"]


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


CheckStatus = Literal["pass", "caution", "blocked"]
_RANK: dict[str, int] = {"pass": 0, "caution": 1, "blocked": 2}

SCREENING_WORDS: dict[str, str] = {
    "uncontrolled_hypertension": "Uncontrolled high blood pressure",
    "heart_disease": "Heart disease",
    "psychosis": "Psychosis",
    "pregnancy": "Pregnancy",
    "substance_misuse": "Substance misuse",
    "severe_liver_disease": "Severe liver disease",
}
"""The contraindication questions asked before each session, as the checklist words them
(the keys are the scenario's ``[patient.screening]`` keys, in the order asked)."""


@dataclass(frozen=True, slots=True)
class CheckItem:
    """One line of the pre-infusion checklist: what it is, its verdict, and why."""

    name: str  # baseline_readings, baseline_time, bp, spo2, hr, alarms, screening_<question>
    status: CheckStatus
    text: str


@dataclass(frozen=True, slots=True)
class PreInfusionCheck:
    """May the infusion start? ``status`` is the worst item's: "blocked" (do not start),
    "caution" (start allowed, after a second look) or "pass". ``reasons``: the words of
    the items that did not pass, blocked ones first."""

    status: CheckStatus
    reasons: list[str] = field(default_factory=list)
    items: tuple[CheckItem, ...] = ()

    @property
    def may_start(self) -> bool:
        return self.status != "blocked"


def _item(name: str, status: CheckStatus, text: str) -> CheckItem:
    return CheckItem(name, status, text)


def _baseline_items(cfg: ProtocolConfig, n_readings: int, elapsed_s: float) -> list[CheckItem]:
    rules = cfg.baseline
    need, noun = rules.min_readings, "reading" if rules.min_readings == 1 else "readings"
    if n_readings < need:
        readings = _item("baseline_readings", "blocked",
                         f"{need} baseline BP {noun} needed, {n_readings} taken")  # fmt: skip
    else:
        readings = _item("baseline_readings", "pass",
                         f"{n_readings} baseline BP {'reading' if n_readings == 1 else 'readings'}"
                         f" taken ({need} needed)")  # fmt: skip
    minutes = num(rules.min_minutes)
    so_far = int(max(0.0, elapsed_s) // 60)
    if elapsed_s < rules.min_minutes * 60.0:
        time = _item("baseline_time", "blocked",
                     f"Baseline of {minutes} min needed, {so_far} min so far")  # fmt: skip
    else:
        time = _item("baseline_time", "pass", f"Baseline {so_far} min ({minutes} min needed)")
    return [readings, time]


def _bp_item(cfg: ProtocolConfig, last: NibpReading | None) -> CheckItem:
    lim = cfg.pre_infusion
    if last is None:
        return _item("bp", "blocked", "No baseline BP reading yet: take a reading")
    s, d = last.sys_mmhg, last.dia_mmhg
    head = f"BP {num(s)}/{num(d)} mmHg"
    block = f"{num(lim.block_sys_mmhg)}/{num(lim.block_dia_mmhg)}"
    caution = f"{num(lim.caution_sys_mmhg)}/{num(lim.caution_dia_mmhg)}"
    if s >= lim.block_sys_mmhg or d >= lim.block_dia_mmhg:
        return _item("bp", "blocked", f"{head} is at or above {block}: do not start")
    if s >= lim.caution_sys_mmhg or d >= lim.caution_dia_mmhg:
        return _item("bp", "caution", f"{head} is at or above {caution}: start with caution")
    return _item("bp", "pass", f"{head} (below {caution})")


def _spo2_item(cfg: ProtocolConfig, spo2: float | None) -> CheckItem:
    floor = num(cfg.pre_infusion.spo2_min_pct)
    if spo2 is None:
        return _item("spo2", "blocked", "SpO2 not available: check the probe")
    if spo2 < cfg.pre_infusion.spo2_min_pct:
        return _item("spo2", "blocked", f"SpO2 {num(spo2)}% is below {floor}%: do not start")
    return _item("spo2", "pass", f"SpO2 {num(spo2)}% ({floor}% or more)")


def _hr_item(cfg: ProtocolConfig, hr: float | None) -> CheckItem:
    lim = cfg.pre_infusion
    if hr is None:
        return _item("hr", "blocked", "HR not available: check the probe")
    head = f"HR {num(hr)} bpm"
    if hr >= lim.hr_block_high_bpm:
        return _item("hr", "blocked", f"{head} is at or above {num(lim.hr_block_high_bpm)}: "
                     "do not start")  # fmt: skip
    if hr < lim.hr_block_low_bpm:
        return _item("hr", "blocked", f"{head} is below {num(lim.hr_block_low_bpm)}: do not start")
    if hr >= lim.hr_caution_high_bpm:
        return _item("hr", "caution", f"{head} is at or above {num(lim.hr_caution_high_bpm)}: "
                     "start with caution")  # fmt: skip
    if hr < lim.hr_caution_low_bpm:
        return _item("hr", "caution", f"{head} is below {num(lim.hr_caution_low_bpm)}: "
                     "start with caution")  # fmt: skip
    return _item("hr", "pass", f"{head} ({num(lim.hr_caution_low_bpm)} to "
                 f"{num(lim.hr_caution_high_bpm)})")  # fmt: skip


def _alarm_item(alarms: Sequence[tuple[str, str]]) -> CheckItem:
    high = [msg for prio, msg in alarms if prio == "HIGH"]
    other = [msg for prio, msg in alarms if prio != "HIGH"]
    if high:
        return _item("alarms", "blocked", f"High-priority alarm: {'; '.join(high)}: do not start")
    if other:
        noun = "Alarm" if len(other) == 1 else "Alarms"
        return _item("alarms", "caution", f"{noun} active: {'; '.join(other)}")
    return _item("alarms", "pass", "No active alarm")


def _screening_items(cfg: ProtocolConfig, answers: Mapping[str, str]) -> list[CheckItem]:
    out = []
    for key, words in SCREENING_WORDS.items():
        answer = answers.get(key)
        name = f"screening_{key}"
        if answer == "no":
            out.append(_item(name, "pass", f"{words}: no"))
        elif answer == "yes":
            out.append(_item(name, "blocked", f"{words}: yes: do not start"))
        elif answer == "untreated" and key == "uncontrolled_hypertension":
            block = f"{num(cfg.pre_infusion.block_sys_mmhg)}/{num(cfg.pre_infusion.block_dia_mmhg)}"
            out.append(_item(name, "caution", f"Untreated high blood pressure: today's BP "
                             f"must stay below {block}"))  # fmt: skip
        else:
            out.append(_item(name, "caution", f"{words}: not asked"))
    return out


def pre_infusion_check(
    cfg: ProtocolConfig,
    baseline_nibp_readings: Sequence[Sample],
    elapsed_s: float,
    latest: Latest | None = None,
    alarms: Sequence[tuple[str, str]] = (),
    screening: Mapping[str, str] | None = None,
) -> PreInfusionCheck:
    """May the infusion start now? One checklist item per criterion, in this order:

    - baseline readings and time: ``cfg.baseline`` (blocked until both are met);
    - BP, the LAST valid baseline reading: blocked at or above ``block_*``, caution at or
      above ``caution_*`` (blocked without a reading);
    - SpO2 and HR from ``latest`` (the clean current values, as discharge readiness takes
      them): SpO2 blocked below ``spo2_min_pct``; HR blocked at or above
      ``hr_block_high_bpm`` or below ``hr_block_low_bpm``, caution at or above
      ``hr_caution_high_bpm`` or below ``hr_caution_low_bpm``; no value: blocked;
    - ``alarms`` showing now, as (priority, message): a HIGH one blocks, any other is a
      caution;
    - the screening answers (question -> "yes" | "no" | "untreated", see
      :data:`SCREENING_WORDS`): "yes" blocks; "untreated" (uncontrolled hypertension
      only: a known untreated hypertension) and a question not answered are cautions.

    ``elapsed_s`` is the time spent in the baseline phase. ``latest`` None leaves SpO2
    and HR out, ``screening`` None the questions (for a caller that judges only the BP).
    """
    bp = nibp_readings(baseline_nibp_readings)
    items = _baseline_items(cfg, len(bp), elapsed_s)
    items.append(_bp_item(cfg, bp[-1] if bp else None))
    if latest is not None:
        items += [_spo2_item(cfg, latest.spo2_pct), _hr_item(cfg, latest.hr_bpm)]
    items.append(_alarm_item(alarms))
    if screening is not None:
        items += _screening_items(cfg, screening)
    worst = max((i.status for i in items), key=_RANK.__getitem__, default="pass")
    reasons = [i.text for i in items if i.status == "blocked"]
    reasons += [i.text for i in items if i.status == "caution"]
    return PreInfusionCheck(worst, reasons, tuple(items))


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
        ended = "last nasal spray not given" if cfg.protocol.intranasal else "infusion not ended"
        return Criterion("observation", False, f"{ended}: {num(need)} min observation follows")
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


NOT_BLOCKING_DISCHARGE = frozenset({"OBSERVATION_OVERDUE"})
"""Alarm conditions that never hold a discharge back: the reminder to assess for discharge."""


def _alarms(active: Sequence[str], words: Mapping[str, str]) -> Criterion:
    names = [a for a in dict.fromkeys(active) if a not in NOT_BLOCKING_DISCHARGE]
    if not names:
        return Criterion("no_active_alarm", True, "no active alarm")
    plural = "alarm" if len(names) == 1 else "alarms"
    shown = ", ".join(words.get(a, a) for a in names)  # "Systolic high", not SYS_HI
    return Criterion("no_active_alarm", False, f"{len(names)} active {plural}: {shown}")


def alertness_counts(charted_t_s: float, infusion_end_s: float | None) -> bool:
    """Whether an alertness score charted at ``charted_t_s`` counts for discharge: only one
    charted after the infusion ended. A score charted in the very second the infusion
    ended was charted before the monitor knew it had ended (an action at second t comes
    before the samples of second t), so it does not count either."""
    return infusion_end_s is not None and charted_t_s > infusion_end_s


def alertness_for_discharge(
    charted: Iterable[tuple[float, float]], infusion_end_s: float | None
) -> tuple[float | None, bool]:
    """From the alertness scores charted so far ((t_s, score), any order): the last one
    that counts for discharge (None if none), and whether a later-overridden or too-early
    score exists that does not count (it was charted before the infusion ended)."""
    last: tuple[float, float] | None = None
    early = False
    for t, v in sorted(charted):
        if alertness_counts(t, infusion_end_s):
            last = (t, v)
        else:
            early = True
    return (None, early) if last is None else (last[1], False)


def _alertness(
    need: int, score: float | None, early: bool = False, nasal: bool = False
) -> Criterion:
    scale = f"Aldrete/PADSS >= {need}"
    if score is None and early:
        before = "the last nasal spray" if nasal else "the infusion ended"
        return Criterion(
            "alertness", False, f"alertness charted before {before}: assess again ({scale} needed)"
        )
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
    *,
    alertness_early: bool = False,
    alarm_words: Mapping[str, str] | None = None,
) -> Readiness:
    """Every discharge criterion, met or not, with its explanation; ``missing`` lists the
    details of the unmet ones, in order; ready iff nothing is missing.

    ``alertness_score`` is the latest Aldrete/PADSS score charted after the infusion ended
    (None if none: see ``alertness_for_discharge``, which also says whether a score was
    charted too early, ``alertness_early``, for the wording). ``active_alarms`` names the
    active alarm conditions (e.g. "SYS_HI").
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
        criteria.append(_alarms(active_alarms, alarm_words or {}))
    criteria.append(_alertness(d.alertness_min_score, alertness_score, alertness_early,
                               cfg.protocol.intranasal))  # fmt: skip
    missing = [c.detail for c in criteria if not c.met]
    return Readiness(not missing, criteria, missing)
