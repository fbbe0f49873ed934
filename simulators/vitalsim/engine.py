"""Run virtual patients: step-wise for a live monitor, vectorised for many at once.

Both modes share one core that computes a stretch of whole seconds for N patients from a
state, without side effects. Time is cut into stretches aligned to 10-minute blocks and
at every action, the same way in both modes, so a live session and a batch run with the
same actions at the same seconds give identical numbers. The live engine computes up to
the next block boundary ahead and serves ticks from that buffer; an action recomputes
from the buffer's start state to the action's second, then carries on from there.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Literal, NamedTuple

import numpy as np

from vitalsim import pd, symptoms, ventilation
from vitalsim._drugs import given_mg, over_the_maximum
from vitalsim._effects import Intervention, ce_coupling, offsets
from vitalsim._limits import bounded
from vitalsim._rng import BLOCK_S, generator, noise, occasional_normals, stream_index
from vitalsim._variability import drift, initial_state
from vitalsim.course import check_session_number, session_profile, session_seed
from vitalsim.dosing import Dosing, dosing_weight_kg
from vitalsim.patient import PatientProfile, pressor_response, sample_profile, stacked_pk
from vitalsim.pk import LinearPK
from vitalsim.scenario import DRUGS, NibpSettings, Scenario, known_drug
from vitalsim.sensors import (
    ETCO2_ERROR_SD,
    ETCO2_ERROR_TAU_S,
    PER_SECOND_FIELDS,
    QUALITY_NAMES,
    RR_EVERY_S,
    SPO2_AVERAGING_S,
    SPO2_ERROR_SD,
    SPO2_ERROR_TAU_S,
    SPO2_HISTORY_S,
    NibpCycle,
    NibpProgram,
    NibpReading,
    SensorState,
    breaths,
    capnometer,
    continuous_chunk,
    initial_sensor_state,
    motion_episodes,
    nibp_chunk,
    oximeter,
    request_nibp,
    rr_readings,
    smooth_error,
)
from vitalsim.ventilation import CO_SEDATIVES, CoSedativeDose
from vitalsim.waveforms import WaveChunk, concat_waves, generate_waves, wave_inputs, wave_state

O2_ON_TAU_S, O2_OFF_TAU_S = 40.0, 60.0
O2_RELIEF_PER_L = 0.35  # a scripted desaturation eased by 35% per L/min delivered
MAX_RATE_MG_PER_KG_H = 3.0
MAX_BOLUS_MG = 100.0  # as the scenario files allow
COMPLETION_SNAP_S = 1e-6  # a pump completion this close to a whole second is on it

PATIENT_ACTIONS: tuple[str, ...] = (
    "start_infusion", "pause_pump", "resume_pump", "set_rate", "stop_infusion",
    "give_antihypertensive", "give_antiemetic", "oxygen_on", "oxygen_off", "reposition",
    "reassure", "nibp_start",
)  # fmt: skip
"""What the patient or the pump can be asked to do live; the one list (vitalsdash derives
its patient actions from it)."""


PUMP_STATES: tuple[str, ...] = ("not_started", "running", "paused", "stopped", "finished")
"""A pump's states: before the infusion, delivering, paused (the rate kept, nothing given),
stopped by the nurse, finished (the whole dose given)."""
PUMP_KINDS = ("pause_pump", "resume_pump", "set_rate", "stop_infusion")
_PUMP_VERB = {"pause_pump": "pause", "resume_pump": "resume", "set_rate": "change",
              "stop_infusion": "stop"}  # fmt: skip
_NOTE_SOURCE = {symptoms.NOTE_KIND: symptoms.NOTE_SOURCE}
"""Who a note comes from when not a device: a cue is the patient's own words."""
InfusionStart = Literal["scheduled", "manual"]
"""Who starts a live session's infusion: its schedule, or an action (see from_scenario)."""


class ActionError(ValueError):
    """An action the patient or pump cannot take now; nothing was changed."""


class SimSample(NamedTuple):
    """One row of the recording: measured value, quality, and the noise-free truth."""

    t_s: float
    channel: str
    value: float
    quality: str
    true_value: float


@dataclass(frozen=True)
class PumpState:
    """A syringe pump programmed with a rate and a dose to deliver (both per kg)."""

    rate_mg_per_kg_h: float = 0.0
    remaining_mg_per_kg: float = 0.0
    delivered_mg_per_kg: float = 0.0
    running: bool = False
    started_s: float | None = None
    ended_s: float | None = None
    stopped: bool = False
    """Ended by ``stop_infusion`` (not by having given the whole dose)."""
    paused_s: float | None = None
    """When the running pump was paused (None: not paused)."""
    route: str = "iv"
    """"iv" (a syringe pump) or "intranasal": nasal spray devices given at set times."""
    devices: int = 0
    device_mg: float = 0.0
    device_every_s: float = 0.0
    devices_given: int = 0
    """Nasal devices already in the nose; device k is due at ``started_s + k every``."""

    @property
    def intranasal(self) -> bool:
        return self.route == "intranasal"

    def device_s(self, k: int) -> float:
        """When nasal device ``k`` (0-based) is due."""
        return float(self.started_s or 0.0) + k * self.device_every_s

    @property
    def next_device_s(self) -> float | None:
        """When the next nasal device is due (None: none left, or not a nasal dose)."""
        if not self.intranasal or self.ended_s is not None or self.started_s is None:
            return None
        return self.device_s(self.devices_given) if self.devices_given < self.devices else None

    @property
    def state(self) -> str:
        """What the pump's display says: one of :data:`PUMP_STATES`."""
        if self.started_s is None:
            return "not_started"
        if self.ended_s is not None:
            return "stopped" if self.stopped else "finished"
        return "running" if self.running else "paused"

    @property
    def delivering_mg_per_kg_h(self) -> float:
        live = self.running and self.remaining_mg_per_kg > 0 and self.ended_s is None
        return self.rate_mg_per_kg_h if live else 0.0

    def completion_s(self, now_s: float) -> float:
        r = self.delivering_mg_per_kg_h
        if r <= 0:
            return math.inf
        done = now_s + self.remaining_mg_per_kg / r * 3600.0
        # The remainder is decremented chunk by chunk; round-off must not push an infusion
        # that ends on a whole second (2 mg/kg at 0.5 mg/kg/h) one second later.
        whole = round(done)
        return float(whole) if abs(done - whole) < COMPLETION_SNAP_S else done

    def delivered_until(self, now_s: float, t_s: float) -> PumpState:
        """The pump after running from ``now_s`` to ``t_s`` with no action in between."""
        if self.intranasal:
            return self._devices_until(t_s)
        r = self.delivering_mg_per_kg_h
        if r <= 0 or t_s <= now_s:
            return self
        done = self.completion_s(now_s)
        given = min(self.remaining_mg_per_kg, r * (t_s - now_s) / 3600.0)
        out = replace(
            self,
            remaining_mg_per_kg=self.remaining_mg_per_kg - given,
            delivered_mg_per_kg=self.delivered_mg_per_kg + given,
        )
        if done <= t_s:
            out = replace(out, remaining_mg_per_kg=0.0, running=False, ended_s=done)
        return out

    def _devices_until(self, t_s: float) -> PumpState:
        """A nasal dose at ``t_s``: every device due before ``t_s`` given (one due at t_s
        goes in as second t_s is computed); after the last, observation begins at it."""
        if self.started_s is None or self.ended_s is not None:
            return self
        given = self.devices_given
        while given < self.devices and self.device_s(given) < t_s:
            given += 1
        out = replace(self, devices_given=given)
        if given == self.devices:
            out = replace(out, running=False, ended_s=self.device_s(given - 1))
        return out

    def phase_at(self, t_s: float) -> str:
        if self.started_s is None or t_s < self.started_s:
            return "baseline"
        if self.ended_s is not None and t_s >= self.ended_s:
            return "observation"
        return "infusion"


@dataclass(frozen=True)
class CoreState:
    """Everything that carries from one second to the next, for N patients."""

    t_s: int
    x: np.ndarray  # PK state (N, 4)
    lag: np.ndarray  # pressor drive: delayed Ce and its counter-regulated copy (N, 2)
    ou: dict[str, np.ndarray]
    o2_level: np.ndarray  # oxygen delivered, L/min, following the flow set with a lag (N,)
    o2_flow_l_min: float
    pump: PumpState
    nibp: tuple[NibpCycle, ...]
    ce_ref: dict[int, np.ndarray]  # per ketamine-provoked event: Ce at its start, highest since
    events: tuple[Any, ...]
    interventions: tuple[Intervention, ...]
    felt: symptoms.State  # acute tolerance, and when each cue was last said
    depot: np.ndarray  # mg still to absorb from the nose (N,); zero for an infusion
    paco2: np.ndarray | None = None  # mmHg (N,)
    apnoea_until: np.ndarray | None = None  # when the breathing pauses begun so far end (N,)
    sensors: SensorState | None = None  # what the oximeter and capnograph carry
    co_sedatives: tuple[CoSedativeDose, ...] = ()  # boluses given or due, whenever


@dataclass
class Chunk:
    """Seconds [t0, t1) of N patients: truth (N, T) per vital, and measured samples."""

    t_s: np.ndarray
    truth: dict[str, np.ndarray]
    pump_rate: np.ndarray  # mg/kg/h delivered each second (T,)
    phases: list[str]
    measured: list[Any]  # SensorChunk per patient
    notes: list[tuple[float, str, dict]] = field(default_factory=list)


@dataclass(frozen=True)
class Cohort:
    """What does not change during a session: the patients, the seed and the program."""

    profiles: tuple[PatientProfile, ...]
    patient_ids: tuple[int, ...]
    seed: int
    program: NibpProgram
    pk: LinearPK
    weight_kg: np.ndarray
    arrays: dict[str, np.ndarray]
    nibp_bias: tuple[tuple[float, float], ...]
    spo2_bias: tuple[float, ...]
    pressor: pd.PressorResponse
    symptoms: symptoms.Susceptibility
    dosing: Dosing
    dosing_weight_kg: np.ndarray
    """The weight a mg/kg dose is per (``dosing.dose_weight``), (N,); PK uses weight_kg."""
    session_number: int = 1
    """Which session of a course this is (vitalsim.course); 1 is a single session."""

    @cached_property
    def noise_seed(self) -> int:
        """The seed of this session's drift, measurement error and artefacts: the
        patients' seed in session 1, a stream of its own in each later one."""
        return session_seed(self.seed, self.session_number)

    @classmethod
    def build(
        cls,
        profiles: list[PatientProfile],
        seed: int,
        program: NibpProgram,
        patient_ids: list[int] | None = None,
        session_number: int = 1,
        dosing: Dosing | None = None,
    ) -> Cohort:
        """The patients as they are on the day of session ``session_number`` of their
        course (``profiles`` are who they are: their session 1, see vitalsim.course)."""
        ids = list(range(len(profiles))) if patient_ids is None else list(patient_ids)
        session_number = check_session_number(session_number)
        profiles = [session_profile(p, seed, pid, session_number)
                    for p, pid in zip(profiles, ids, strict=True)]  # fmt: skip
        names = (
            "hr_bpm",
            "sbp_mmhg",
            "dbp_mmhg",
            "spo2_pct",
            "rr_per_min",
            "anxiety",
            "rr_slope_per_min_per_ng_ml",
            "dissociation_ec50_ng_ml",
            "motion_artefacts_per_h",
            "nasal_ka_per_min",
            "nasal_bioavailability",
            "etco2_mmhg",
            "etco2_gradient_mmhg",
            "co2_tau_min",
            "ventilatory_sensitivity",
            "circulation_delay_s",
            *(f"{d}_{k}_scale" for d in CO_SEDATIVES for k in ("cl", "v")),
        )
        arrays = {n: np.array([float(getattr(p, n)) for p in profiles]) for n in names}
        # Gases at rest: PaCO2 = EtCO2 + gradient; the A-a gradient and the curve's shift
        # that give the patient's own SpO2 on room air (vitalsim.ventilation).
        arrays["paco2_rest_mmhg"] = arrays["etco2_mmhg"] + arrays["etco2_gradient_mmhg"]
        longest = SPO2_HISTORY_S - SPO2_AVERAGING_S  # what the oximeter's history holds
        arrays["circulation_delay_s"] = np.clip(np.round(arrays["circulation_delay_s"]), 0,
                                                longest)  # fmt: skip
        arrays["aa_gradient_mmhg"], arrays["odc_scale"] = ventilation.calibrate_oxygenation(
            arrays["spo2_pct"], arrays["paco2_rest_mmhg"]
        )
        nibp_bias, spo2_bias = [], []
        for pid in ids:
            b = generator(seed, pid, "sensor_bias").standard_normal(3)
            nibp_bias.append((3.0 * float(b[0]), 2.5 * float(b[1])))
            spo2_bias.append(float(np.clip(1.0 * b[2], -2.0, 2.0)))
        return cls(
            tuple(profiles),
            tuple(ids),
            int(seed),
            program,
            LinearPK(stacked_pk(profiles)),
            np.array([p.weight_kg for p in profiles]),
            arrays,
            tuple(nibp_bias),
            tuple(spo2_bias),
            pressor_response(profiles),
            symptoms.susceptibility(seed, ids, profiles),
            dosing or Dosing(),
            dosing_weights(profiles, dosing or Dosing()),
            session_number,
        )

    def initial_state(
        self, events: Iterable[Any] = (), co_sedatives: Iterable[CoSedativeDose] = ()
    ) -> CoreState:
        """The session at its start; ``co_sedatives`` are the boluses given apart from
        the infusion (before the start: on board already)."""
        n = len(self.profiles)
        ids = list(self.patient_ids)
        return CoreState(
            t_s=0, x=np.zeros((n, 4)), lag=np.zeros((n, 2)),
            ou=initial_state(self.noise_seed, ids), o2_level=np.zeros(n),
            o2_flow_l_min=0.0, pump=PumpState(), nibp=tuple(NibpCycle() for _ in range(n)),
            ce_ref={}, events=tuple(events), interventions=(),
            felt=symptoms.initial_state(n),
            depot=np.zeros(n),
            paco2=self.arrays["paco2_rest_mmhg"].copy(), apnoea_until=np.full(n, -np.inf),
            sensors=initial_sensor_state(self.noise_seed, ids, self.arrays["rr_per_min"]),
            co_sedatives=co_sedative_doses(co_sedatives),
        )  # fmt: skip


def co_sedative_doses(items: Iterable[Any]) -> tuple[CoSedativeDose, ...]:
    """Boluses as the engine gives them, in time order: :class:`CoSedativeDose` as they
    are, a scenario's ``[[co_sedatives]]`` entries through their ``dose()``."""
    out = [d if isinstance(d, CoSedativeDose) else d.dose() for d in items]
    for d in out:
        if d.drug not in CO_SEDATIVES:
            raise ValueError(f"not a co-sedative the simulator models: {d.drug!r}; known: "
                             + ", ".join(CO_SEDATIVES))  # fmt: skip
        if not (math.isfinite(d.t_s) and math.isfinite(d.dose_mg) and d.dose_mg > 0):
            raise ValueError(f"a co-sedative dose needs a finite time and a positive dose: {d}")
    return tuple(sorted(out, key=lambda d: d.t_s))


def dosing_weights(profiles: Iterable[PatientProfile], dosing: Dosing) -> np.ndarray:
    """Each patient's dosing weight in kg under ``dosing`` (actual, ideal or adjusted)."""
    return np.array([dosing_weight_kg(dosing.dose_weight, p.weight_kg, p.height_cm, p.sex)
                     for p in profiles], dtype=float)  # fmt: skip


def _infusion_pk(
    cohort: Cohort, pump: PumpState, x: np.ndarray, t0: int, t1_s: int, tau: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """States (N, T+1, 4) over [t0, t1] from ``x`` and the pump rate each second: one rate
    until completion (if it falls inside), then zero. Per kg of dosing weight."""
    t = np.arange(t0, t1_s, dtype=float)
    rate = pump.delivering_mg_per_kg_h
    done = pump.completion_s(t0)
    rate_mg_min = rate * cohort.dosing_weight_kg / 60.0
    if done < t1_s:
        cut = (done - t0) / 60.0
        before = tau < cut
        xs = np.empty((len(cohort.profiles), tau.size, 4))
        xs[:, before] = cohort.pk.evolve(x, rate_mg_min, tau[before])
        x_cut = cohort.pk.evolve(x, rate_mg_min, np.array([cut]))[:, 0]
        xs[:, ~before] = cohort.pk.evolve(x_cut, 0.0, tau[~before] - cut)
        return xs, np.where(t < done, rate, 0.0)
    return cohort.pk.evolve(x, rate_mg_min, tau), np.full(t.size, rate)


def _nasal_pk(
    cohort: Cohort, pump: PumpState, x: np.ndarray, depot: np.ndarray, t0: int, t1_s: int,
    tau: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, list[tuple[float, str, dict]]]:  # fmt: skip
    """States (N, T+1, 4) over [t0, t1] from ``x`` and ``depot``, the depot at t1, and a
    note per nasal device.

    A device due in [t0, t1) puts its bioavailable share in the nose at its second; from
    one device to the next the state moves by :meth:`LinearPK.absorbed`, exactly."""
    a = cohort.arrays
    cuts: list[float] = []
    k = pump.devices_given
    while pump.started_s is not None and pump.ended_s is None and k < pump.devices:
        due = pump.device_s(k)
        if due >= t1_s:
            break
        cuts.append(max(due, float(t0)))
        k += 1
    xs = np.empty((len(cohort.profiles), tau.size, 4))
    edges = [0.0, *((c - t0) / 60.0 for c in cuts), math.inf]
    notes = []
    for j in range(len(edges) - 1):
        if j > 0:  # a device goes in at the start of its second
            depot = depot + a["nasal_bioavailability"] * pump.device_mg
            given = pump.devices_given + j
            detail = {"device": given, "devices": pump.devices, "mg": pump.device_mg}
            notes.append((t0 + edges[j] * 60.0, "nasal_device", detail))
        lo, hi = edges[j], edges[j + 1]
        inside = (tau >= lo) & (tau < hi)
        if j + 1 < len(edges) - 1:
            ahead = np.append(tau[inside], edges[j + 1]) - lo
        else:
            ahead = tau[inside] - lo
        moved = cohort.pk.evolve(x, 0.0, ahead)
        extra, left = cohort.pk.absorbed(depot, a["nasal_ka_per_min"], ahead)
        states = moved + extra
        if j + 1 < len(edges) - 1:
            xs[:, inside] = states[:, :-1]
            x, depot = states[:, -1], left[:, -1]
        else:
            xs[:, inside] = states
            depot = left[:, -1] if left.shape[1] else depot
    return xs, depot, notes


def drug_course(cohort: Cohort, duration_s: int) -> tuple[np.ndarray, np.ndarray]:
    """Plasma and effect-site concentration of the drug given (ng/mL, (N, T) each) for
    the seconds [0, duration_s) of ``cohort.dosing`` started at 0 with nothing done after:
    the engine's own dosing and PK, without the rest of a session (population figures)."""
    n = len(cohort.profiles)
    st = CoreState(
        t_s=0, x=np.zeros((n, 4)), lag=np.zeros((n, 2)), ou={}, o2_level=np.zeros(n),
        o2_flow_l_min=0.0, pump=PumpState(), nibp=(), ce_ref={}, events=(), interventions=(),
        felt=symptoms.initial_state(n), depot=np.zeros(n),
    )  # fmt: skip
    st = apply_action(cohort, st, "start_infusion", cohort.dosing.start_params(), "system")
    cps, ces = [], []
    pump, x, depot = st.pump, st.x, st.depot
    for t0 in range(0, duration_s, BLOCK_S):
        t1 = min(t0 + BLOCK_S, duration_s)
        tau = np.arange(0, t1 - t0 + 1) / 60.0
        if pump.intranasal:
            xs, depot, _ = _nasal_pk(cohort, pump, x, depot, t0, t1, tau)
        else:
            xs, _ = _infusion_pk(cohort, pump, x, t0, t1, tau)
        cps.append(cohort.pk.cp_ng_ml(xs[:, :-1]))
        ces.append(cohort.pk.ce_ng_ml(xs[:, :-1]))
        x, pump = xs[:, -1], pump.delivered_until(t0, t1)
    return np.concatenate(cps, axis=1), np.concatenate(ces, axis=1)


def _windows(events: tuple[Any, ...], kind: str) -> list[tuple[float, float]]:
    return [(e.at_s, e.end_s) for e in events if e.kind == kind]


def compute(cohort: Cohort, st: CoreState, t1_s: int) -> tuple[Chunk, CoreState]:
    """Seconds [st.t_s, t1_s) with no action inside; pure: ``st`` is not changed."""
    t0 = st.t_s
    t = np.arange(t0, t1_s, dtype=float)
    n_t = t.size
    # Dosing and PK: the pump's rate per dosing kg, or nasal devices at their seconds.
    tau = np.append(t - t0, t1_s - t0) / 60.0
    depot, dose_notes = st.depot, []
    if st.pump.intranasal:
        xs, depot, dose_notes = _nasal_pk(cohort, st.pump, st.x, st.depot, t0, t1_s, tau)
        pump_rate = np.zeros(n_t)
    else:
        xs, pump_rate = _infusion_pk(cohort, st.pump, st.x, t0, t1_s, tau)
    pump_end = st.pump.delivered_until(t0, t1_s)
    cp = cohort.pk.cp_ng_ml(xs[:, :n_t])
    ce_drug = cohort.pk.ce_ng_ml(xs[:, :n_t])
    ce = ce_drug * cohort.dosing.potency  # racemic-equivalent: what the effect models see
    a = cohort.arrays
    site, lagged = pd.pressor_drive(ce, st.lag, cohort.pressor)
    dsbp, ddbp, dhr = pd.haemodynamic_rise(site, lagged, cohort.pressor)
    coupling, ce_ref = ce_coupling(list(st.events), t, ce, st.ce_ref)
    off = offsets(t, ce, a["anxiety"], list(st.events), coupling, list(st.interventions))
    eps = np.stack([noise(cohort.noise_seed, pid, t0, t1_s) for pid in cohort.patient_ids])
    var, ou_end = drift(eps, st.ou)
    # Oxygen: the flow delivered follows the flow set with a first-order lag (L/min).
    flow = st.o2_flow_l_min
    o2_tau = np.where(flow >= st.o2_level, O2_ON_TAU_S, O2_OFF_TAU_S)[:, None]
    since = np.append(t - t0, t1_s - t0)[None, :]
    level = flow + (st.o2_level[:, None] - flow) * np.exp(-since / o2_tau)
    delivered = level[:, :n_t]  # at the start of each second
    relief = np.minimum(1.0, O2_RELIEF_PER_L * delivered)
    # Breathing (vitalsim.ventilation): what the co-sedatives and ketamine leave of the
    # drive, pauses when it is deep, then CO2 and oxygen from the ventilation.
    co_ce = _co_sedative_ce(cohort, st.co_sedatives, t)
    drv = ventilation.drive(co_ce, ce, a["ventilatory_sensitivity"])
    rr_rest = a["rr_per_min"][:, None]
    # Other changes of the rate (anxiety, ketamine's slight stimulation, drift) move
    # ventilation by half as much: the breaths get shallower as they quicken (est.).
    rr_other = (pd.respiratory_rise(ce, a["rr_slope_per_min_per_ng_ml"]) + off.rr
                - off.rr_scripted + var["rr"])  # fmt: skip
    rr_own = rr_rest * drv.rate + rr_other

    def pause_draws(what: str, rows: np.ndarray) -> np.ndarray:
        ids = tuple(cohort.patient_ids[int(j)] for j in rows)
        return occasional_normals(cohort.noise_seed, ids, f"apnoea:{what}", t0, t1_s)

    apnoeic, apnoea_until = ventilation.apnoea(drv.total, t, pause_draws, st.apnoea_until)
    stirred = np.maximum(1.0 + ventilation.RATE_TO_VENTILATION * rr_other / rr_rest, 0.0)
    vent = np.where(apnoeic, 0.0, drv.total * stirred)
    paco2 = ventilation.paco2_course(vent, a["paco2_rest_mmhg"], 60.0 * a["co2_tau_min"], st.paco2)
    sao2 = ventilation.saturation_pct(
        paco2, ventilation.fio2(delivered), a["aa_gradient_mmhg"], a["odc_scale"]
    )
    spo2 = sao2 - off.spo2_drop * (1.0 - relief) + var["spo2"]
    chem_hr, chem_sbp, chem_dbp = ventilation.chemoreflex(spo2, paco2)
    sbp = a["sbp_mmhg"][:, None] + dsbp + off.sbp + var["sbp"] + chem_sbp
    dbp = a["dbp_mmhg"][:, None] + ddbp + off.dbp + var["dbp"] + chem_dbp
    hr = a["hr_bpm"][:, None] + dhr + off.hr + var["hr"] + chem_hr
    rr = rr_own + off.rr_scripted
    # The drugs take their share off; then no sum of effects leaves the living range.
    vitals = bounded(sbp * off.sbp_scale, dbp * off.dbp_scale, hr * off.hr_scale, spo2, rr)
    vitals["rr"] = np.where(apnoeic, 0.0, vitals["rr"])  # no breath: the rate is nought
    truth = {
        **vitals,
        "etco2": paco2 - a["etco2_gradient_mmhg"][:, None], "paco2": paco2,
        "ventilation": vent,
        **{f"{name}_ce": c for name, c in co_ce.items()},
        "cp": cp, "ce": ce_drug,
        "dissociation": pd.dissociation_score(ce, a["dissociation_ec50_ng_ml"]),
        "nausea": off.nausea, "anxiety": off.anxiety,
    }  # fmt: skip
    # What the patient feels and says: sedation, the drug's nausea and anxiety (vitalsim.symptoms)
    scores, said, felt_end = symptoms.step(cohort.symptoms, t, truth, st.interventions, st.felt)
    truth.update(scores)
    phase_pump = replace(st.pump, ended_s=pump_end.ended_s)
    phases = [phase_pump.phase_at(s) for s in range(t0, t1_s)]
    storms = [
        (e.at_s, e.end_s, 60.0 * e.episodes_per_min)
        for e in st.events
        if e.kind == "motion_artefacts"
    ]
    probe_off, cuff_fail = _windows(st.events, "probe_off"), _windows(st.events, "cuff_failure")
    # What the monitor sees: the oximeter late and averaged, breaths and their EtCO2.
    sens = st.sensors
    spo2_avg, spo2_hist = oximeter(truth["spo2"], sens.spo2_history, a["circulation_delay_s"])
    spo2_err, spo2_err_end = smooth_error(eps[:, stream_index("meas:spo2")], sens.spo2_error,
                                          SPO2_ERROR_SD, SPO2_ERROR_TAU_S)  # fmt: skip
    co2_err, co2_err_end = smooth_error(eps[:, stream_index("meas:etco2")], sens.etco2_error,
                                        ETCO2_ERROR_SD, ETCO2_ERROR_TAU_S)  # fmt: skip
    etco2_seen = capnometer(truth["etco2"], delivered, co2_err)
    breath_ends, phase_end = breaths(sens.breath_phase, truth["rr"], t0)
    measured, nibp_end, notes = [], [], list(dose_notes)
    last_breaths = np.empty_like(sens.breaths)
    for j, pid in enumerate(cohort.patient_ids):
        episodes = motion_episodes(
            cohort.noise_seed, pid, t0, t1_s, float(a["motion_artefacts_per_h"][j]), storms
        )
        ends = breath_ends[j]
        last_breaths[j] = np.concatenate([sens.breaths[j], ends])[-sens.breaths.shape[1] :]
        chunk = continuous_chunk(
            eps[j],
            t0,
            t1_s,
            truth["hr"][j],
            spo2_avg[j] + spo2_err[j],
            rr_readings(sens.breaths[j], ends, t0, t1_s),
            etco2_seen[j],
            ends,
            episodes,
            probe_off,
            cohort.spo2_bias[j],
        )
        readings, cycle, nb_notes = nibp_chunk(
            cohort.noise_seed,
            pid,
            st.nibp[j],
            t0,
            t1_s,
            phases,
            cohort.program,
            cuff_fail,
            truth["sbp"][j],
            truth["dbp"][j],
            cohort.nibp_bias[j],
        )
        chunk.nibp = readings
        if j == 0:
            notes.extend(nb_notes)
            notes.extend(
                (float(e.start_s), "motion_artefact", {"duration_s": e.duration_s})
                for e in episodes
                if t0 <= e.start_s < t1_s
            )
        measured.append(chunk)
        nibp_end.append(cycle)
    notes.extend(cue.note() for cue in said[0])
    new = replace(
        st, t_s=t1_s, x=xs[:, n_t], lag=np.stack([site[:, -1], lagged[:, -1]], axis=1),
        ou=ou_end, o2_level=level[:, n_t], pump=pump_end, nibp=tuple(nibp_end), ce_ref=ce_ref,
        felt=felt_end,
        depot=depot, paco2=paco2[:, -1], apnoea_until=apnoea_until,
        sensors=SensorState(spo2_hist, spo2_err_end, co2_err_end, phase_end, last_breaths),
    )  # fmt: skip
    return Chunk(t, truth, pump_rate, phases, measured, sorted(notes, key=lambda x: x[0])), new


def _co_sedative_ce(
    cohort: Cohort, doses: tuple[CoSedativeDose, ...], t: np.ndarray
) -> dict[str, np.ndarray]:
    """Effect-site concentration of each co-sedative (ng/mL, (N, T)); zeros if not given."""
    a = cohort.arrays
    out = {}
    t1_s = t[-1] + 1.0 if t.size else -math.inf
    for name, model in CO_SEDATIVES.items():
        given = [(d.t_s, d.dose_mg) for d in doses if d.drug == name and d.t_s < t1_s]
        if given:
            _, out[name] = ventilation.co_sedative_course(
                model, given, t, cohort.weight_kg, a[f"{name}_cl_scale"], a[f"{name}_v_scale"]
            )
        else:
            out[name] = np.zeros((len(cohort.profiles), t.size))
    return out


def apply_action(
    cohort: Cohort, st: CoreState, kind: str, params: dict[str, Any], actor: str = "trainee"
) -> CoreState:
    """The state right after an action at ``st.t_s``; raises ActionError if it cannot be."""
    now = st.t_s
    pump = st.pump
    if kind not in PATIENT_ACTIONS:
        raise ActionError(f"unknown action {kind!r}; known: {', '.join(sorted(PATIENT_ACTIONS))}")
    if kind == "start_infusion":
        if pump.started_s is not None:
            raise ActionError("the infusion has already been started")
        if cohort.dosing.intranasal:
            return replace(st, pump=_nasal_pump(cohort.dosing, params, now))
        if "dose_mg" in params:
            raise ActionError("dose_mg is for a nasal spray; this patient's protocol is an IV "
                              "infusion (rate_mg_per_kg_h and dose_mg_per_kg)")  # fmt: skip
        rate, dose = _number(params, "rate_mg_per_kg_h"), _number(params, "dose_mg_per_kg")
        _check_rate(rate)
        if not 0 < dose < math.inf:
            raise ActionError(f"dose_mg_per_kg must be a positive number, got {dose}")
        return replace(
            st,
            pump=replace(
                pump,
                rate_mg_per_kg_h=rate,
                remaining_mg_per_kg=dose,
                running=True,
                started_s=float(now),
            ),
        )
    if kind in PUMP_KINDS:
        _check_in_progress(pump, kind)
        if pump.intranasal and kind != "stop_infusion":
            raise ActionError(
                f"a nasal spray has nothing to {_PUMP_VERB[kind]}: its devices are given at "
                "set times (stopping gives no more of them)"
            )
        if kind == "pause_pump":
            if not pump.running:
                raise ActionError("the pump is already paused")
            return replace(st, pump=replace(pump, running=False, paused_s=float(now)))
        if kind == "resume_pump":
            if pump.running:
                raise ActionError("the pump is already running")
            return replace(st, pump=replace(pump, running=True, paused_s=None))
        if kind == "set_rate":  # a paused pump keeps the new rate and stays paused
            rate = _number(params, "rate_mg_per_kg_h")
            _check_rate(rate)
            return replace(st, pump=replace(pump, rate_mg_per_kg_h=rate))
        stopped = replace(pump, running=False, remaining_mg_per_kg=0.0, ended_s=float(now),
                          stopped=True, paused_s=None)  # fmt: skip
        return replace(st, pump=stopped)
    if kind == "oxygen_on":
        flow = _number(params, "flow_l_min", 2.0)
        if not 1 <= flow <= 15:
            raise ActionError(f"oxygen flow must be 1-15 L/min, got {flow}")
        return replace(st, o2_flow_l_min=flow)
    if kind == "oxygen_off":
        return replace(st, o2_flow_l_min=0.0)
    if kind == "nibp_start":
        return replace(st, nibp=tuple(request_nibp(c, now) for c in st.nibp))
    if kind in ("give_antihypertensive", "give_antiemetic"):
        try:
            drug = known_drug(kind, params.get("drug", DRUGS[kind][0]))
        except (ValueError, TypeError) as exc:
            raise ActionError(f"{kind}: {exc}") from None
        dose = _number(params, "dose_mg")
        if not 0 < dose <= MAX_BOLUS_MG:
            raise ActionError(
                f"{kind}: dose_mg must be more than 0 and at most {MAX_BOLUS_MG:g} mg, got {dose}"
            )
        refused = over_the_maximum(drug, given_mg(st.interventions, drug), dose)
        if refused:
            raise ActionError(refused)
        params = {**params, "drug": drug, "dose_mg": dose}  # what the effect reads
    iv = Intervention(float(now), kind, dict(params), actor)
    return replace(st, interventions=(*st.interventions, iv))


def _nasal_pump(dosing: Dosing, params: dict[str, Any], now: int) -> PumpState:
    """A nasal dose starting now: its first device at once, the others every interval."""
    if "rate_mg_per_kg_h" in params or "dose_mg_per_kg" in params:
        raise ActionError("this patient's protocol is esketamine nasal spray: give dose_mg "
                          "(whole 28 mg devices), not a rate or a dose per kg")  # fmt: skip
    dose = _number(params, "dose_mg", dosing.dose_mg)
    device = _number(params, "device_mg", dosing.device_mg)
    every = _number(params, "device_interval_min", dosing.device_interval_min)
    if not 0 < device <= 100:
        raise ActionError(f"device_mg must be more than 0 and at most 100 mg, got {device}")
    n = round(dose / device) if math.isfinite(dose) else 0
    if not (1 <= n <= 4 and math.isclose(n * device, dose)):
        raise ActionError(f"dose_mg must be 1 to 4 whole devices of {device:g} mg, got {dose}")
    if not 1 <= every <= 15:
        raise ActionError(f"device_interval_min must be 1-15 min, got {every}")
    return PumpState(running=True, started_s=float(now), route="intranasal", devices=n,
                     device_mg=device, device_every_s=float(round(every * 60.0)))  # fmt: skip


def _check_in_progress(pump: PumpState, kind: str) -> None:
    """Refuse a pump action when there is no infusion to act on, saying why."""
    verb = _PUMP_VERB[kind]
    state = pump.state
    if state == "not_started":
        raise ActionError(f"the infusion has not started yet: there is nothing to {verb}")
    if state == "stopped":
        raise ActionError(
            f"the infusion was stopped at {_clock(pump.ended_s)}: a stopped infusion cannot "
            f"be restarted, so there is nothing to {verb}"
        )
    if state == "finished":
        raise ActionError(
            f"the infusion is complete (the whole dose was given by {_clock(pump.ended_s)}): "
            f"there is nothing to {verb}"
        )


def _clock(t_s: float | None) -> str:
    """Session time as H:MM:SS (the monitor's clock)."""
    s = math.ceil(t_s or 0.0)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _number(params: dict[str, Any], key: str, default: float = math.nan) -> float:
    """A numeric parameter (NaN when missing, so the range check names it)."""
    value = params.get(key, default)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ActionError(f"{key} must be a number, got {value!r}") from None


def _check_rate(rate: float) -> None:
    if not 0 < rate <= MAX_RATE_MG_PER_KG_H:
        raise ActionError(f"rate must be between 0 and {MAX_RATE_MG_PER_KG_H} mg/kg/h, got {rate}")


def next_boundary(t_s: int) -> int:
    return (t_s // BLOCK_S + 1) * BLOCK_S


def samples_of(chunk: Chunk, patient: int = 0, prev_rate: float | None = None) -> list[SimSample]:
    """The recording rows of one patient for one chunk, in time order.

    PUMP_RATE is written every 10 s and whenever it changes; ``prev_rate`` is the rate
    of the second before the chunk, so a run cut into ticks writes the same rows. The
    concentrations and the hidden scores a nurse charts (``symptoms.SCORE_CHANNELS``)
    are written every 10 s. ETCO2 comes once per breath, at the whole second in which
    the breath's expiration ended (an apnoea is a stretch without ETCO2 rows); RR, the
    capnograph's rate, every RR_EVERY_S seconds.
    """
    m = chunk.measured[patient]
    tr = chunk.truth
    rows: list[SimSample] = []
    q = QUALITY_NAMES
    nibp_at: dict[int, NibpReading] = {r.t_s: r for r in m.nibp}
    breath_at = {math.floor(b) for b in m.breath_end_s.tolist()}
    for i, ts in enumerate(chunk.t_s.tolist()):
        s = int(ts)
        rows.append(SimSample(ts, "HR", m.hr[i], q[m.hr_q[i]], tr["hr"][patient, i]))
        rows.append(SimSample(ts, "SPO2", m.spo2[i], q[m.spo2_q[i]], tr["spo2"][patient, i]))
        if s % RR_EVERY_S == 0:
            rows.append(SimSample(ts, "RR", m.rr[i], q[m.rr_q[i]], tr["rr"][patient, i]))
        if s in breath_at:
            seen = float(np.round(m.etco2_mmhg[i]))
            rows.append(SimSample(ts, "ETCO2", seen, "ok", tr["etco2"][patient, i]))
        r = nibp_at.get(s)
        if r is not None:
            qual = "ok" if r.ok else "invalid"
            rows.append(SimSample(ts, "NIBP_SYS", r.sys, qual, r.true_sys))
            rows.append(SimSample(ts, "NIBP_DIA", r.dia, qual, r.true_dia))
            rows.append(SimSample(ts, "NIBP_MAP", r.map, qual, r.true_map))
        rate = float(chunk.pump_rate[i])
        if rate != prev_rate or s % 10 == 0:
            rows.append(SimSample(ts, "PUMP_RATE", rate, "ok", rate))
            prev_rate = rate
        if s % 10 == 0:
            cp, ce = tr["cp"][patient, i], tr["ce"][patient, i]
            rows.append(SimSample(ts, "KET_CP", cp, "ok", cp))
            rows.append(SimSample(ts, "KET_CE", ce, "ok", ce))
            for score, channel in symptoms.SCORE_CHANNELS.items():
                felt = tr[score][patient, i]
                rows.append(SimSample(ts, channel, felt, "ok", felt))
    return rows


_TRUTH_OF: dict[str, str] = {
    "HR": "hr", "NIBP_SYS": "sbp", "NIBP_DIA": "dbp", "NIBP_MAP": "map", "SPO2": "spo2",
    "RR": "rr", "ETCO2": "etco2", "KET_CE": "ce", "dissociation": "dissociation",
    "sedation": "sedation", "nausea": "nausea", "anxiety": "anxiety", "PACO2": "paco2",
    "VENTILATION": "ventilation", "MIDAZOLAM_CE": "midazolam_ce",
    "FENTANYL_CE": "fentanyl_ce",
}  # fmt: skip
"""A key of :attr:`Snapshot.truth` -> the computed vital it is."""
TRUTH_KEYS: tuple[str, ...] = (*_TRUTH_OF, "PUMP_RATE")
"""The keys of :attr:`Snapshot.truth`, in the order an instructor reads them: the channel
ids the readings carry, what the patient feels, the breathing no monitor shows (PACO2 in
mmHg; VENTILATION, alveolar ventilation as a fraction of the patient's resting one; the
co-sedatives' effect-site concentrations, ng/mL) and the rate the pump delivers (0 while
it is paused, whatever rate is set on it)."""


@dataclass
class Snapshot:
    """What the instructor (not the trainee) can see of the patient right now.

    ``truth`` is the noise-free hidden state keyed by :data:`TRUTH_KEYS` (the same ids
    the readings carry for what is a channel). ``pump_rate_mg_per_kg_h`` is what the pump
    delivers now; ``pump_set_rate_mg_per_kg_h`` the rate set on it (kept while paused)."""

    t_s: int
    phase: str
    pump_rate_mg_per_kg_h: float
    pump_running: bool
    dose_given_mg_per_kg: float
    oxygen_l_min: float
    cp_ng_ml: float
    ce_ng_ml: float
    dissociation: float
    nausea: float
    anxiety: float
    truth: dict[str, float]
    pump_set_rate_mg_per_kg_h: float = 0.0
    pump_state: str = "not_started"
    sedation: float = 0.0


class LiveSimulation:
    """One patient, advanced tick by tick, answering actions at the current second."""

    def __init__(
        self,
        profile: PatientProfile,
        seed: int,
        program: NibpProgram | None = None,
        events: Iterable[Any] = (),
        patient_id: int = 0,
        session_number: int = 1,
        dosing: Dosing | None = None,
        waveforms: bool = False,
        co_sedatives: Iterable[Any] = (),
    ) -> None:
        self.cohort = Cohort.build(
            [profile], seed, program or NibpSettings(), [patient_id],
            session_number=session_number, dosing=dosing or Dosing(),
        )  # fmt: skip
        # state at the buffer's first second
        self._start = self.cohort.initial_state(events, co_sedatives)
        self._buffer: Chunk | None = None
        self._buffer_end: CoreState = self._start
        self.t_s = 0
        self._pending: list[ScheduledAction] = []
        self.phase = "baseline"
        self._last_rate: float | None = None
        self.log: list[tuple[float, str, str, dict]] = []
        # infusion_start="manual": what waits for the real start (see from_scenario)
        self.infusion_start: InfusionStart = "scheduled"
        self._planned_start_s: float | None = None
        self._waiting_events: tuple[Any, ...] = ()
        self._waiting_actions: tuple[ScheduledAction, ...] = ()
        # waveforms=True: the waves of the seconds served, until take_waveforms() takes them
        self._waves = wave_state(self.cohort.noise_seed, patient_id) if waveforms else None
        self._wave_chunks: list[WaveChunk] = []
        self._waiting_doses: tuple[CoSedativeDose, ...] = ()

    @classmethod
    def from_scenario(
        cls,
        scenario: Scenario,
        seed: int,
        *,
        follow_script: bool = False,
        profile: PatientProfile | None = None,
        program: NibpProgram | None = None,
        infusion_start: InfusionStart = "scheduled",
        session_number: int = 1,
        waveforms: bool = False,
    ) -> LiveSimulation:
        """A live patient for ``scenario``.

        ``session_number``: which session of the patient's course (vitalsim.course): the
        same patient (``profile``, or the scenario's drawn with ``seed``) on another day,
        with that day's resting values, fading dissociation and its own noise. 1, the
        default, is a single session.

        With ``follow_script`` the scenario's scripted actions are applied too (a demo);
        without, the trainee's own actions are the only ones.

        ``infusion_start="scheduled"`` (the default, as ``vitalsim run``): the protocol's
        infusion starts at the end of the baseline (a ``system`` start_infusion).
        ``"manual"``: nothing starts it; the patient stays in the baseline until someone
        applies ``start_infusion`` (a monitor's pre-infusion check decides when). The
        scenario's events and scripted actions written against the infusion (anchors
        ``infusion``, ``infusion_end``, ``observation``, ``end``) wait for that start and
        then happen as far from the real start as they were planned from the planned one:
        ``infusion+10min`` 10 min after the real start, earlier or later than planned.
        One that would then fall before the real start (``infusion-2min``) happens at
        the start. Those anchored to ``start`` keep their times. The scenario's
        co-sedatives are given as written (before the session: on board at its start),
        those written against the infusion moved like its events.

        ``waveforms=True``: ECG, pleth and capnogram of the seconds each ``advance``
        serves, for :meth:`take_waveforms`.
        """
        if infusion_start not in ("scheduled", "manual"):
            raise ValueError(f"infusion_start is 'scheduled' or 'manual', got {infusion_start!r}")
        manual = infusion_start == "manual"
        now_events = [e for e in scenario.events if not (manual and _follows_infusion(e))]
        now_doses = [d for d in scenario.co_sedatives if not (manual and _follows_infusion(d))]
        sim = cls(
            profile or profile_for(scenario, seed), seed, program or scenario.nibp, now_events,
            session_number=session_number, dosing=scenario.protocol.dosing,
            waveforms=waveforms,
            co_sedatives=now_doses,
        )  # fmt: skip
        plan = scheduled_actions(scenario, follow_script)
        if manual:
            scripted = scenario.actions if follow_script else ()
            plan = [_scheduled(a) for a in scripted if not _follows_infusion(a)]
            sim.infusion_start = "manual"
            sim._planned_start_s = float(scenario.timeline.infusion_start_s)
            sim._waiting_events = tuple(e for e in scenario.events if _follows_infusion(e))
            sim._waiting_doses = co_sedative_doses(
                d for d in scenario.co_sedatives if _follows_infusion(d)
            )
            sim._waiting_actions = tuple(_scheduled(a) for a in scripted if _follows_infusion(a))
        sim._pending = sorted(plan, key=lambda a: a.t_s)
        return sim

    @property
    def profile(self) -> PatientProfile:
        return self.cohort.profiles[0]

    def _fill(self, upto: int) -> None:
        while self._buffer_end.t_s < upto:
            chunk, end = compute(self.cohort, self._buffer_end, next_boundary(self._buffer_end.t_s))
            self._buffer = chunk if self._buffer is None else _concat([self._buffer, chunk])
            self._buffer_end = end

    def advance(self, dt_s: int = 1) -> list[SimSample]:
        """Move ``dt_s`` whole seconds on; the rows measured in them, in time order."""
        if dt_s < 0 or int(dt_s) != dt_s:
            raise ValueError("advance takes a whole, non-negative number of seconds")
        target = self.t_s + int(dt_s)
        out: list[SimSample] = []
        while self._pending and self._pending[0].t_s < target:
            act = self._pending.pop(0)
            out += self._advance_to(max(act.t_s, self.t_s))
            try:
                self.apply(act.kind, act.actor, **act.params)
            except ActionError as exc:  # a scripted step that no longer fits: log, go on
                self.log.append(
                    (
                        float(self.t_s),
                        "action_refused",
                        act.actor,
                        {"action": act.kind, "reason": str(exc)},
                    )
                )
        return out + self._advance_to(target)

    def _advance_to(self, t1: int) -> list[SimSample]:
        out: list[SimSample] = []
        while self.t_s < t1:
            # One block at a time, so the buffer's start state stays where a batch run cuts
            # time too (a block boundary or an action): _state_now must compute the same.
            self._fill(self.t_s + 1)
            out += self._serve(min(t1, self._buffer_end.t_s))
        return out

    def _serve(self, t1: int) -> list[SimSample]:
        """The rows of [t_s, t1), all inside the buffer."""
        t0 = self.t_s
        assert self._buffer is not None
        part = _slice(self._buffer, t0, t1)
        out = samples_of(part, 0, self._last_rate)
        self._last_rate = float(part.pump_rate[-1])
        if self._waves is not None:  # served seconds never change: neither do their waves
            waves, self._waves = generate_waves(wave_inputs(part, 0), self._waves)
            self._wave_chunks.append(waves)
        self.log.extend((t, k, _NOTE_SOURCE.get(k, "device"), d) for t, k, d in part.notes)
        if part.phases[0] != self.phase or part.phases[-1] != self.phase:
            for t, ph in zip(part.t_s.tolist(), part.phases, strict=True):
                if ph != self.phase:
                    self.log.append((t, "phase", "device", {"phase": ph}))
                    self.phase = ph
        self.t_s = t1
        if self._buffer is not None and self._buffer_end.t_s == t1:
            self._start, self._buffer = self._buffer_end, None
        return out

    def take_waveforms(self) -> WaveChunk | None:
        """The waves of the seconds served since the last call, in one chunk (None: the
        simulation was made without ``waveforms``, or nothing was served since)."""
        if not self._wave_chunks:
            return None
        out = concat_waves(self._wave_chunks)
        self._wave_chunks = []
        return out

    def _state_now(self) -> CoreState:
        if self._start.t_s == self.t_s:
            return self._start
        _, st = compute(self.cohort, self._start, self.t_s)
        return st

    def apply(self, kind: str, actor: str = "trainee", **params: Any) -> None:
        """Apply an action at the current second (raises ActionError, changing nothing).

        An action that changes the pump's state or rate is followed in the log by the
        pump's own report (``pump``: state, the rate set, the rate delivered), as a real
        pump reports its status; the monitor's alarms follow the pump from it."""
        before = self.pump
        st = apply_action(self.cohort, self._state_now(), kind, params, actor)
        self._reset_from(st)
        self.log.append((float(self.t_s), kind, actor, dict(params)))
        after = st.pump
        if (after.state, after.rate_mg_per_kg_h) != (before.state, before.rate_mg_per_kg_h):
            self.log.append((float(self.t_s), "pump", "device", pump_report(after)))
        if kind == "start_infusion":
            self._release_waiting()

    def _release_waiting(self) -> None:
        """At the real start (manual mode): the events and scripted actions written
        against the infusion, moved by the real start minus the planned one."""
        if self._planned_start_s is None:
            return
        now = float(self.t_s)
        shift = now - self._planned_start_s
        events = tuple(_moved(e, shift, now) for e in self._waiting_events)
        actions = [replace(a, t_s=max(self.t_s, round(a.t_s + shift)))
                   for a in self._waiting_actions]  # fmt: skip
        doses = tuple(d._replace(t_s=max(now, d.t_s + shift)) for d in self._waiting_doses)
        self._waiting_events, self._waiting_actions, self._waiting_doses = (), (), ()
        self._planned_start_s = None
        if events or doses:  # from now on: the seconds before keep their values
            given = co_sedative_doses((*self._start.co_sedatives, *doses))
            self._reset_from(replace(self._start, events=(*self._start.events, *events),
                                     co_sedatives=given))  # fmt: skip
        self._pending = sorted([*self._pending, *actions], key=lambda a: a.t_s)
        if shift or events or actions or doses:
            self.log.append((now, "scenario_moved", "system",
                             {"shift_s": shift, "events": len(events),
                              "actions": len(actions)}))  # fmt: skip

    def inject(self, event: Any) -> None:
        """Add a scripted event (instructor), effective from its ``at_s``."""
        # Recompute from the buffer's start (where a batch run cuts time too), not from
        # now: the seconds before ``at_s`` keep their exact values, and an event injected
        # ahead of its time gives the same numbers as the event scripted from the start.
        st = self._start
        self._reset_from(replace(st, events=(*st.events, event)))
        self.log.append((float(self.t_s), event.kind, "instructor", {"at_s": event.at_s}))

    def _reset_from(self, st: CoreState) -> None:
        self._start = self._buffer_end = st
        self._buffer = None

    def snapshot(self) -> Snapshot:
        self._fill(self.t_s + 1)
        assert self._buffer is not None
        i = self.t_s - int(self._buffer.t_s[0])
        tr = {k: float(v[0, i]) for k, v in self._buffer.truth.items()}
        pump = self.pump
        delivering = float(self._buffer.pump_rate[i])  # this second's, as PUMP_RATE records
        truth = {key: tr[name] for key, name in _TRUTH_OF.items()}
        truth["PUMP_RATE"] = delivering
        return Snapshot(
            self.t_s, self._buffer.phases[i], delivering, pump.running,
            pump.delivered_mg_per_kg, self._start.o2_flow_l_min, tr["cp"], tr["ce"],
            tr["dissociation"], tr["nausea"], tr["anxiety"], truth, pump.rate_mg_per_kg_h,
            pump.state, tr["sedation"],
        )  # fmt: skip

    @property
    def pump(self) -> PumpState:
        """The pump now (cheap: no action happened since the buffer's start state)."""
        return self._start.pump.delivered_until(self._start.t_s, self.t_s)


def pump_report(pump: PumpState) -> dict[str, Any]:
    """What the pump reports of itself: its state, the rate set on it and what it delivers."""
    return {
        "state": pump.state,
        "rate_mg_per_kg_h": pump.rate_mg_per_kg_h,
        "delivering_mg_per_kg_h": pump.delivering_mg_per_kg_h,
    }


def _concat(parts: list[Chunk]) -> Chunk:
    """One chunk from consecutive ones (each concatenation done once)."""
    parts = [p for p in parts if p.t_s.size]
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    sensors = []
    for j in range(len(first.measured)):
        ms = [p.measured[j] for p in parts]
        s = type(ms[0])(*(np.concatenate([getattr(m, f) for m in ms]) for f in PER_SECOND_FIELDS))
        s.nibp = [r for m in ms for r in m.nibp]
        s.breath_end_s = np.concatenate([m.breath_end_s for m in ms])
        sensors.append(s)
    return Chunk(
        np.concatenate([p.t_s for p in parts]),
        {k: np.concatenate([p.truth[k] for p in parts], axis=1) for k in first.truth},
        np.concatenate([p.pump_rate for p in parts]), [ph for p in parts for ph in p.phases],
        sensors, [n for p in parts for n in p.notes],
    )  # fmt: skip


class _SlicedTruth(Mapping[str, np.ndarray]):
    """The truth of seconds [i0, i1) of a chunk, each array sliced when read: a live tick
    reads a few of its many vitals."""

    def __init__(self, truth: dict[str, np.ndarray], i0: int, i1: int) -> None:
        self._truth, self._i0, self._i1 = truth, i0, i1

    def __getitem__(self, key: str) -> np.ndarray:
        return self._truth[key][:, self._i0 : self._i1]

    def __iter__(self) -> Iterator[str]:
        return iter(self._truth)

    def __len__(self) -> int:
        return len(self._truth)


def _slice(c: Chunk, t0: int, t1: int) -> Chunk:
    i0, i1 = t0 - int(c.t_s[0]), t1 - int(c.t_s[0])
    sens = []
    for m in c.measured:
        s = type(m)(*(getattr(m, f)[i0:i1] for f in PER_SECOND_FIELDS))
        s.nibp = [r for r in m.nibp if t0 <= r.t_s < t1]
        lo, hi = np.searchsorted(m.breath_end_s, (t0, t1))  # in time order
        s.breath_end_s = m.breath_end_s[lo:hi]
        sens.append(s)
    return Chunk(
        c.t_s[i0:i1],
        _SlicedTruth(c.truth, i0, i1),  # type: ignore[arg-type]
        c.pump_rate[i0:i1],
        c.phases[i0:i1],
        sens,
        [n for n in c.notes if t0 <= n[0] < t1],
    )


@dataclass
class ScheduledAction:
    t_s: int
    kind: str
    params: dict[str, Any]
    actor: str = "trainee"


def run_batch(
    cohort: Cohort,
    duration_s: int,
    actions: Iterable[ScheduledAction] = (),
    events: Iterable[Any] = (),
    co_sedatives: Iterable[Any] = (),
) -> Chunk:
    """Every patient of ``cohort`` for ``duration_s`` seconds, with scheduled actions,
    scripted events and co-sedatives (boluses given apart from the infusion).

    Invalid scheduled actions raise ActionError naming the second and the reason.
    """
    plan = sorted(actions, key=lambda a: a.t_s)
    st = cohort.initial_state(events, co_sedatives)
    parts: list[Chunk] = []
    k = 0
    while st.t_s < duration_s:
        while k < len(plan) and plan[k].t_s <= st.t_s:
            act = plan[k]
            try:
                st = apply_action(cohort, st, act.kind, act.params, act.actor)
            except ActionError as exc:
                raise ActionError(f"action {act.kind} at {act.t_s} s: {exc}") from None
            parts.append(_note_only(st.t_s, act))
            k += 1
        stop = min(next_boundary(st.t_s), duration_s)
        if k < len(plan):
            stop = min(stop, max(plan[k].t_s, st.t_s + 1))
        chunk, st = compute(cohort, st, stop)
        parts.append(chunk)
    out = _concat(parts)
    out.notes = sorted((n for p in parts for n in p.notes), key=lambda n: n[0])
    return out


def _note_only(t_s: int, act: ScheduledAction) -> Chunk:
    return Chunk(
        np.empty(0),
        {},
        np.empty(0),
        [],
        [],
        [(float(t_s), act.kind, {"actor": act.actor, **act.params})],
    )


def _follows_infusion(item: Any) -> bool:
    """An event or scripted action written against the infusion (not the session start)."""
    return item.at.anchor != "start"


def _scheduled(a: Any) -> ScheduledAction:
    """A scenario's scripted action at its planned second."""
    return ScheduledAction(round(a.at_s), a.kind, a.params, a.actor)


def _moved(event: Any, shift_s: float, not_before_s: float) -> Any:
    """A copy of a scenario event, ``shift_s`` later (earlier if negative), not before
    ``not_before_s``; its clip at the session end moves with it."""
    out = event.model_copy()
    out._at_s = max(not_before_s, event.at_s + shift_s)
    if event._session_end_s is not None:
        out._session_end_s = max(event._session_end_s + shift_s, out._at_s)
    return out


def profile_for(scenario: Scenario, seed: int, index: int = 0) -> PatientProfile:
    """The scenario's patient: its [patient] keys, the rest drawn with the seed."""
    return sample_profile(seed, index, scenario.patient, scenario.protocol.pk_model)


def scheduled_actions(scenario: Scenario, follow_script: bool = True) -> list[ScheduledAction]:
    """The protocol's infusion start (system) and, if asked, the scripted actions."""
    plan = [ScheduledAction(
        round(scenario.timeline.infusion_start_s), "start_infusion",
        scenario.protocol.dosing.start_params(), "system",
    )]  # fmt: skip
    if follow_script:
        plan += [
            ScheduledAction(round(a.at_s), a.kind, a.params, a.actor) for a in scenario.actions
        ]
    return plan


def simulate_scenario(
    scenario: Scenario,
    seed: int,
    *,
    n_patients: int = 1,
    follow_script: bool = True,
    duration_s: int | None = None,
    session_number: int = 1,
) -> tuple[Cohort, Chunk]:
    """Run ``scenario`` for its planned length: patient 0 is the scenario's patient,
    further ones are drawn from the population (same [patient] keys). With
    ``session_number`` every patient comes for that session of a course (vitalsim.course)."""
    profiles = [profile_for(scenario, seed, i) for i in range(n_patients)]
    cohort = Cohort.build(
        profiles, seed, scenario.nibp, session_number=session_number,
        dosing=scenario.protocol.dosing,
    )  # fmt: skip
    end = math.ceil(scenario.timeline.end_s) if duration_s is None else duration_s
    chunk = run_batch(cohort, end, scheduled_actions(scenario, follow_script), scenario.events,
                      scenario.co_sedatives)  # fmt: skip
    return cohort, chunk
