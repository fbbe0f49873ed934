"""What readers of the runtime may see: one bed, the clinic, an instructor's hidden truth.

Views are built under the runtime's lock from its beds and are plain, immutable data
(``_codec.Plain``): pages, the API and push streams read them instead of the runtime's
objects, and could read them in another process (docs/architecture.md, "The seam").
A ``BedView`` holds only what a trainee may see: no channel of ``Kind.HIDDEN`` but the
pump's rate (the pump shows it). The simulated patient's hidden state (its ketamine
concentrations, the scores it feels) is a separate ``TruthView`` for the instructor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from vitalsdash import channels
from vitalsdash import protocol as proto
from vitalsdash.runtime._codec import Plain, empty, frozen

if TYPE_CHECKING:
    from vitalsdash.runtime._core import Bed

NIBP_GRACE_S = 60.0
"""An NIBP reading older than the program interval plus this is shown greyed (alarms.md)."""
LIMIT_KEYS = ("critical_low", "low", "high", "critical_high")


@dataclass(frozen=True, slots=True)
class AlarmView(Plain):
    """One active or latched alarm as the monitor shows it.

    Alarms come one banner row at a time (``group``: the parameter, e.g. "NIBP_SYS", or a
    technical condition's own name), rows by their first alarm's priority, then newest;
    within a row its highest priority alarm first and the others ``folded`` under it
    (``group_alarms``)."""

    condition: str
    channel: str
    priority: str  # HIGH, MEDIUM, LOW
    marker: str
    message: str
    acknowledged: bool
    sounding: bool
    since_s: float
    technical: bool
    group: str = ""
    folded: bool = False


@dataclass(frozen=True, slots=True)
class AudioView(Plain):
    """The audio signal that should sound now: ``pulses`` a burst, every ``repeat_s``."""

    priority: str
    pulses: int
    repeat_s: float


@dataclass(frozen=True, slots=True)
class AlarmOffView(Plain):
    """A parameter whose alarms are off, since when, and whether its reminder shows."""

    channel: str
    since_s: float
    reminding: bool


@dataclass(frozen=True, slots=True)
class SignalsView(Plain):
    alarms: tuple[AlarmView, ...] = ()
    audio: AudioView | None = None
    audio_paused: bool = False
    pause_remaining_s: float = 0.0
    alarms_off: tuple[AlarmOffView, ...] = ()


@dataclass(frozen=True, slots=True)
class PumpView(Plain):
    """The infusion pump: ``rate_mg_per_kg_h`` is the rate set on it (kept while paused),
    ``delivering_mg_per_kg_h`` what it gives now; ``state`` not_started, running, paused,
    stopped (by the nurse) or finished (the whole dose given); ``paused_since_s`` when the
    running pump was paused."""

    rate_mg_per_kg_h: float
    running: bool
    dose_given_mg_per_kg: float
    started_s: float | None = None
    ended_s: float | None = None
    delivering_mg_per_kg_h: float = 0.0
    state: str = ""
    paused_since_s: float | None = None
    route: str = "iv"
    """"iv", or "intranasal": ``devices`` nasal spray devices of ``device_mg``, given at
    set times (``devices_given`` so far, the next at ``next_device_s``)."""
    devices: int = 0
    devices_given: int = 0
    device_mg: float = 0.0
    next_device_s: float | None = None


@dataclass(frozen=True, slots=True)
class DoseView(Plain):
    """The dose prescribed for the session: the drug, its route and how much.

    IV: ``dose_mg_per_kg`` (at ``rate_mg_per_kg_h`` over ``over_min``) per kg of
    ``dosing_weight_kg``, the patient's ``dose_weight`` (actual, ideal or adjusted body
    weight; ``weight_kg`` the actual one), ``total_mg`` in all. Intranasal: ``devices`` of
    ``device_mg``, ``device_interval_min`` apart (``total_mg`` in all)."""

    drug: str
    route: str
    total_mg: float
    dose_weight: str = "actual"
    weight_kg: float | None = None
    dosing_weight_kg: float | None = None
    dose_mg_per_kg: float | None = None
    rate_mg_per_kg_h: float | None = None
    over_min: float | None = None
    devices: int = 0
    device_mg: float = 0.0
    device_interval_min: float = 0.0
    form: str = "dose"  # "dose" (mg/kg over a time) or "rate" (mg/kg/h)


@dataclass(frozen=True, slots=True)
class CriterionView(Plain):
    name: str
    met: bool
    detail: str


@dataclass(frozen=True, slots=True)
class ReadinessView(Plain):
    """The protocol's discharge readiness (observation and ready phases only)."""

    ready: bool
    criteria: tuple[CriterionView, ...] = ()
    missing: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PreInfusionView(Plain):
    """The pre-infusion check while the bed waits in the baseline: ``status`` "pass",
    "caution" or "blocked"; ``reasons`` the words of the items that did not pass;
    ``items`` the checklist as (name, status, text)."""

    status: str
    reasons: tuple[str, ...] = ()
    items: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class DischargeItemView(Plain):
    """One line of the discharge checklist: the criterion, its name for the nurse, whether
    it is met and why (``protocol.Criterion.detail``)."""

    name: str
    label: str
    met: bool
    text: str


@dataclass(frozen=True, slots=True)
class DischargeView(Plain):
    """Discharge at the bedside. ``state``: "waiting" (the infusion has not ended), "open"
    (observation: the Discharge button is offered, ``ready`` says whether it would be
    accepted, ``items`` the checklist, ``missing`` what holds it back, ``overdue`` that
    observation has lasted the protocol's ``max_minutes``), "discharged" (``t_s`` session
    time, ``discharged_at`` wall clock in UTC ISO 8601, ``by`` who, ``note``) or "ended"
    (the session ended without a discharge). ``labels``: the checklist's names for the
    nurse, in its order, known from the protocol before the first judgement."""

    state: str
    ready: bool = False
    items: tuple[DischargeItemView, ...] = ()
    labels: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    overdue: bool = False
    max_minutes: float | None = None
    t_s: float | None = None
    discharged_at: str | None = None
    by: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class SaidView(Plain):
    """What the patient said last, at ``t_s``: their ``words`` (shown in quotes) and the
    cue it is (``symptom``: "nausea", "chest_tightness" ...; for a log, not for show)."""

    t_s: float
    words: str
    symptom: str = ""


@dataclass(frozen=True, slots=True)
class BaselineView(Plain):
    """The patient's baseline: channel id -> value, for the channels the protocol took
    one of (``protocol.Baseline.by_channel``), and how many cuff readings it rests on."""

    values: Mapping[str, float] = field(default_factory=empty)
    n_nibp_readings: int = 0

    def value(self, channel: str) -> float | None:
        """The baseline of a channel (None when the protocol took none)."""
        return self.values.get(channel)


@dataclass(frozen=True, slots=True)
class BedView(Plain):
    """One bed now, as a trainee may see it (``session_id`` None: no session yet).

    ``latest``: channel -> (t_s, value, quality) of its last valid reading (no hidden
    channel but the pump rate: see :func:`shown_latest`); ``last_nibp``:
    NIBP channel -> (t_s, value); ``limits``: condition -> limit in force (None: not
    evaluated); ``limits_in_force``: channel -> the four limits of the settings table;
    ``patient``: the facts the bedside shows (age, sex, weight); ``patient_said``: what the
    patient said last (None: nothing yet, or a source whose patient cannot speak)."""

    bed_id: str
    label: str
    source: str = "simulator"
    session_id: int | None = None
    status: str | None = None
    phase: str | None = None
    t_s: float = 0.0
    latest: Mapping[str, tuple[float, float, str]] = field(default_factory=empty)
    last_nibp: Mapping[str, tuple[float, float]] = field(default_factory=empty)
    signals: SignalsView | None = None
    limits: Mapping[str, float | None] = field(default_factory=empty)
    limits_in_force: Mapping[str, Mapping[str, float | None]] = field(default_factory=empty)
    profile: str = ""
    pump: PumpView | None = None
    nibp_interval_s: float | None = None
    baseline: BaselineView | None = None
    readiness: ReadinessView | None = None
    patient: Mapping[str, Any] = field(default_factory=empty)
    alarm_labels: Mapping[str, str] = field(default_factory=empty)
    """condition -> the nurse's words for it ("SYS_HI" -> "Systolic high"), for log lines."""
    pre_infusion: PreInfusionView | None = None  # while waiting in the baseline
    infusion_hold_reason: str | None = None  # an auto_start bed held by its check
    discharge: DischargeView | None = None
    patient_said: SaidView | None = None
    dose: DoseView | None = None  # the prescription (a simulated patient's)

    def value(self, channel: str) -> float | None:
        """The current value of a channel (None when there is none)."""
        entry = self.latest.get(channel)
        return None if entry is None else entry[1]

    def nibp_age_s(self) -> float | None:
        """Seconds since the last cuff reading (None when there is none)."""
        t = proto.last_nibp_t_s(self.last_nibp)
        return None if t is None else max(0.0, self.t_s - t)

    def nibp_stale(self) -> bool:
        """The last NIBP reading is older than the interval + 60 s (or there is none)."""
        age = self.nibp_age_s()
        if age is None:
            return True
        return self.nibp_interval_s is not None and age > self.nibp_interval_s + NIBP_GRACE_S


@dataclass(frozen=True, slots=True)
class ClinicView(Plain):
    """The clinic now: its simulation clock and every bed, in the configured order."""

    name: str
    speed: float
    paused: bool
    tick_count: int
    live_updates: str
    beds: tuple[BedView, ...] = ()


@dataclass(frozen=True, slots=True)
class TruthView(Plain):
    """What only the instructor sees of one bed: its configured scenario and, while a
    simulated session runs (or is interrupted), the patient's hidden state."""

    bed_id: str
    label: str
    scenario: str | None = None
    session_id: int | None = None
    status: str | None = None
    phase: str | None = None
    t_s: float = 0.0
    truth: Mapping[str, float] | None = None


# -- building (under the runtime's lock) ---------------------------------------------------


def _name(v: Any) -> str:
    return str(getattr(v, "value", v))


def _finite(v: float | None) -> float | None:
    return None if v is None or v - v != 0 else float(v)  # inf - inf and nan - nan: nan


def limits_in_force(engine: Any) -> dict[str, dict[str, float | None]]:
    """Per channel with limit alarms, the four limits the engine evaluates now (None: not
    alarmed). A channel whose alarms are off keeps its limits (they apply again when on)."""
    out: dict[str, dict[str, float | None]] = {}
    for name, c in engine.state.conds.items():
        side = name[-3:]
        if c.technical or (side != "_HI" and side != "_LO"):
            continue
        ch = _name(c.channel)
        row = out.get(ch)
        if row is None:
            row = out[ch] = dict.fromkeys(LIMIT_KEYS)
        if side == "_HI":
            row["high"], row["critical_high"] = _finite(c.limit), _finite(c.critical)
        else:
            row["low"], row["critical_low"] = _finite(c.limit), _finite(c.critical)
    return out


def group_alarms(alarms: Any) -> list[tuple[Any, bool]]:
    """(alarm, folded) in banner order: ``alarms`` come by priority, then newest (the
    engine's order), so the first of each group heads its row and the row stands where
    its head does; the rest of the group follow it, folded, in the same order."""
    rows: dict[str, list[Any]] = {}
    for a in alarms:
        rows.setdefault(a.group or a.condition, []).append(a)
    return [(a, i > 0) for members in rows.values() for i, a in enumerate(members)]


def signals_view(sig: Any) -> SignalsView:
    audio = sig.audio
    return SignalsView(
        alarms=tuple(
            AlarmView(
                a.condition,
                _name(a.channel),
                a.priority.name,
                a.marker,
                a.message,
                bool(a.acknowledged),
                bool(a.sounding),
                float(a.since_s),
                bool(a.technical),
                a.group or a.condition,
                folded,
            )
            for a, folded in group_alarms(sig.alarms)
        ),
        audio=None
        if audio is None
        else AudioView(audio.priority.name, int(audio.pulses), float(audio.repeat_s)),
        audio_paused=bool(sig.audio_paused),
        pause_remaining_s=float(sig.pause_remaining_s),
        alarms_off=tuple(
            AlarmOffView(_name(n.channel), float(n.since_s), bool(n.reminding))
            for n in sig.alarms_off
        ),
    )


def pump_view(p: Any) -> PumpView | None:
    """A source's pump status (None: the source has no pump) as a view."""
    return _pump(p)


def _pump(p: Any) -> PumpView | None:
    if p is None:
        return None
    return PumpView(float(p.rate_mg_per_kg_h), bool(p.running), float(p.dose_given_mg_per_kg),
                    p.started_s, p.ended_s, float(p.delivering_mg_per_kg_h), str(p.state),
                    p.paused_since_s, str(getattr(p, "route", "iv")),
                    int(getattr(p, "devices", 0)), int(getattr(p, "devices_given", 0)),
                    float(getattr(p, "device_mg", 0.0)),
                    getattr(p, "next_device_s", None))  # fmt: skip


def _dose(source: Any) -> DoseView | None:
    """The source's prescription (a simulated patient's; None for a recording or device)."""
    dose = getattr(source, "dose", None)
    if not callable(dose):
        return None
    order = dose()  # the adapter's DoseOrder: the same fields, field for field
    return DoseView(**{f.name: getattr(order, f.name) for f in fields(DoseView)})


def _readiness(r: Any) -> ReadinessView | None:
    if r is None:
        return None
    return ReadinessView(bool(r.ready),
                         tuple(CriterionView(c.name, bool(c.met), c.detail) for c in r.criteria),
                         tuple(r.missing))  # fmt: skip


def _pre_infusion(c: proto.PreInfusionCheck | None) -> PreInfusionView | None:
    if c is None:
        return None
    return PreInfusionView(str(c.status), tuple(c.reasons),
                           tuple((i.name, i.status, i.text) for i in c.items))  # fmt: skip


def _baseline(b: proto.Baseline | None) -> BaselineView | None:
    if b is None:
        return None
    # plain str keys, as the view reads back from JSON in another process (not Channel)
    values = {str(ch): v for ch, v in b.by_channel().items()}
    return BaselineView(frozen(values), int(b.n_nibp_readings))


def _discharge(bed: Bed) -> DischargeView | None:
    s = bed.session
    if s is None:
        return None
    d = s.discharge
    if d is not None:
        return DischargeView("discharged", t_s=float(d["t_s"]), discharged_at=d["wall"].isoformat(),
                             by=d["actor"], note=d["note"])  # fmt: skip
    if s.status == "ended":
        return DischargeView("ended")
    cfg = bed.protocol
    limit = None if cfg is None else float(cfg.observation.max_minutes)
    names = () if cfg is None else tuple(_label(n) for n in proto.criterion_names(cfg))
    r = s.readiness
    if s.status != "running" or r is None:
        return DischargeView("waiting", labels=names, max_minutes=limit)
    items = tuple(DischargeItemView(c.name, _label(c.name), bool(c.met), c.detail)
                  for c in r.criteria)  # fmt: skip
    return DischargeView("open", bool(r.ready), items, tuple(i.label for i in items),
                         tuple(r.missing), bool(s.overdue_sent), limit)  # fmt: skip


def _label(name: str) -> str:
    return proto.CRITERION_LABELS.get(name, name.replace("_", " "))


def shown_latest(latest: Mapping[str, Any]) -> Mapping[str, Any]:
    """``latest`` without the hidden truth: every channel but those of ``Kind.HIDDEN``,
    which only the pump's rate is kept of (the bedside pump shows it). A channel the
    registry does not know (a device's) is kept: it is a measurement."""
    pump = channels.pump_rate_channel()
    return frozen({ch: v for ch, v in latest.items()
                   if ch == pump or not _hidden(ch)})  # fmt: skip


def _hidden(channel: str) -> bool:
    return channels.is_known(channel) and channels.get(channel).kind is channels.Kind.HIDDEN


def bed_view(bed: Bed) -> BedView:
    cfg = bed.config
    s = bed.session
    if s is None:
        return BedView(bed.id, cfg.display_name, cfg.source)
    now = float(s.t_s)
    interval = None
    if bed.protocol is not None:
        try:
            interval = proto.nibp_interval_s(bed.protocol, s.phase)
        except (KeyError, ValueError):
            interval = None
    return BedView(
        bed_id=bed.id, label=cfg.display_name, source=cfg.source, session_id=s.session_id,
        status=s.status, phase=s.phase.value, t_s=now, latest=shown_latest(s.latest),
        last_nibp=frozen(s.last_nibp), signals=signals_view(s.engine.signals(now)),
        limits=frozen(s.engine.limits()),
        limits_in_force=frozen({k: frozen(v) for k, v in limits_in_force(s.engine).items()}),
        profile=s.engine.profile.name, pump=_pump(s.source.pump()), nibp_interval_s=interval,
        baseline=_baseline(s.baseline), readiness=_readiness(bed.readiness),
        patient=frozen(bed.patient),
        alarm_labels=frozen(s.engine.labels()),
        pre_infusion=_pre_infusion(s.pre_infusion),
        infusion_hold_reason=s.hold_reason(),
        discharge=_discharge(bed), dose=_dose(s.source),
        patient_said=None if s.said is None else SaidView(*s.said),
    )  # fmt: skip


def truth_view(bed: Bed) -> TruthView:
    cfg = bed.config
    s = bed.session
    if s is None:
        return TruthView(bed.id, cfg.display_name, cfg.scenario)
    hidden = s.source.truth() if s.status in ("running", "interrupted") else None
    return TruthView(bed.id, cfg.display_name, cfg.scenario, s.session_id, s.status,
                     s.phase.value, float(s.t_s),
                     None if hidden is None else frozen(hidden))  # fmt: skip


def pump_summary(pump: PumpView) -> dict[str, Any]:
    """The pump as the API shows it (``/api/beds`` and the reply to a pump action)."""
    return {
        "state": pump.state, "rate_mg_per_kg_h": pump.rate_mg_per_kg_h,
        "delivering_mg_per_kg_h": pump.delivering_mg_per_kg_h, "running": pump.running,
        "dose_given_mg_per_kg": pump.dose_given_mg_per_kg,
        "paused_since_s": pump.paused_since_s, "route": pump.route,
        "devices": pump.devices, "devices_given": pump.devices_given,
        "next_device_s": pump.next_device_s,
    }  # fmt: skip


def summary(view: BedView) -> dict[str, Any]:
    """The bed as ``/api/beds`` shows it."""
    out: dict[str, Any] = {"id": view.bed_id, "label": view.label, "source": view.source,
                           "session": None}  # fmt: skip
    if view.session_id is None:
        return out
    sig = view.signals or SignalsView()
    pump = view.pump
    out["session"] = {
        "id": view.session_id, "status": view.status, "phase": view.phase, "t_s": view.t_s,
        "latest": {ch: {"t_s": t, "value": v, "quality": q}
                   for ch, (t, v, q) in view.latest.items()},
        "alarms": [{"condition": a.condition, "priority": a.priority, "message": a.message,
                    "acknowledged": a.acknowledged, "group": a.group, "folded": a.folded}
                   for a in sig.alarms],
        "audio_paused": sig.audio_paused, "pause_remaining_s": sig.pause_remaining_s,
        "pump": None if pump is None else pump_summary(pump),
        "readiness": None if view.readiness is None else {
            "ready": view.readiness.ready, "missing": list(view.readiness.missing)},
        "discharge": None if view.discharge is None else view.discharge.to_dict(),
        "dose": None if view.dose is None else view.dose.to_dict(),
    }  # fmt: skip
    check = view.pre_infusion
    out["session"]["pre_infusion_check"] = None if check is None else {
        "status": check.status, "reasons": list(check.reasons)}  # fmt: skip
    out["session"]["infusion_hold_reason"] = view.infusion_hold_reason
    said = view.patient_said
    out["session"]["patient_said"] = None if said is None else said.to_dict()
    return out
