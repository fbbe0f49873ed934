"""The in-process virtual patient as a source, and the simulator's catalogue.

This is the one module of vitalsdash that imports vitalsim (an import contract in
pyproject.toml holds it so). Everything else asks here: the scenario files (found with
vitalsdash's own config lookup, loaded and checked by the simulator), the event kinds and
drugs an action may name, and the patient actions. The simulator's ConfigError comes out
as vitalsdash's, with the same file, keys and reasons.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import AfterValidator, ValidationError

from vitalsdash.adapters._base import DoseOrder, Note, PumpStatus, Reading, SourceActionError
from vitalsdash.configdir import catalogue, config_dirs
from vitalsdash.errors import ConfigError
from vitalsdash.tomlconfig import problems_from
from vitalsdash.waves import WaveSegment
from vitalsim import ActionError, LiveSimulation, Scenario, make_event
from vitalsim import ConfigError as SimConfigError
from vitalsim import course as _course
from vitalsim import scenario as _scenario
from vitalsim.dosing import dosing_weight_kg
from vitalsim.engine import PATIENT_ACTIONS as _SIM_ACTIONS
from vitalsim.engine import TRUTH_KEYS as _SIM_TRUTH_KEYS
from vitalsim.engine import profile_for as _profile_for
from vitalsim.sensors import NibpProgram
from vitalsim.symptoms import NOTE_KIND as _SIM_SAID

__all__ = [
    "DRUGS",
    "EVENT_KINDS",
    "EVENT_MODELS",
    "EVENT_TITLES",
    "FELT",
    "FELT_FROM_CHANNEL",
    "MAX_COURSE_SESSIONS",
    "PATIENT_ACTIONS",
    "SAID",
    "SCREENING_QUESTIONS",
    "TRUTH_KEYS",
    "Felt",
    "Scenario",
    "SimulatorSource",
    "check_event",
    "drug_check",
    "felt_dissociation_peak",
    "find_scenario",
    "list_scenarios",
    "load_scenario",
    "patient_facts",
    "scenario_dosing",
    "scenario_nibp",
    "with_dose_weight",
]

PATIENT_ACTIONS: tuple[str, ...] = tuple(k for k in _SIM_ACTIONS if k != "start_infusion")
"""What a trainee can do to the patient or the pump: the simulator's actions, except
starting the infusion, which is a session action behind the pre-infusion check
(``SimulatorSource.start_infusion``). The one list; actions, the runtime and the debrief
derive theirs from it."""
SCREENING_QUESTIONS: tuple[str, ...] = _scenario.SCREENING_QUESTIONS
"""The contraindication questions asked before each session (the scenario's
``[patient.screening]`` keys), in the order asked."""
EVENT_KINDS: tuple[str, ...] = _scenario.EVENT_KINDS
"""The events an instructor may inject, as the simulator names them."""
DRUGS: dict[str, tuple[str, ...]] = _scenario.DRUGS
"""The drugs the simulator models, per action (the first is the default)."""
EVENT_TITLES: dict[str, str] = _scenario.EVENT_TITLES
"""Each event kind's name as a nurse reads it, from the simulator's event models (whose
fields carry their own ``title`` and, in ``json_schema_extra``, a ``suggested`` starting
value or the ``derived`` rule of an empty one)."""
SAID: str = _SIM_SAID
"""The kind of a note (and of a stored session event) that carries what the patient said:
detail ``words`` (their own, shown in quotes) and ``symptom`` (which cue). The simulator
and a replayed recording send them; the bedside, the logs and the debrief show them."""
TRUTH_KEYS: tuple[str, ...] = _SIM_TRUTH_KEYS
"""The keys of :meth:`SimulatorSource.truth`, in the order an instructor reads them: channel
ids (facts in the channel registry) and the :data:`FELT` items no monitor measures."""


MAX_COURSE_SESSIONS: int = _course.MAX_SESSIONS
"""The most sessions a virtual patient's course may have (the simulator's limit)."""
FELT_FROM_CHANNEL: str = _course.EFFECT_SITE_CHANNEL
"""The stored channel :func:`felt_dissociation_peak` reads (the effect-site concentration)."""
PATIENT_FACTS = ("age_years", "sex", "weight_kg", "height_cm", "hypertension")
"""What a patient file and a session row say of who the simulated patient is."""


@dataclass(frozen=True, slots=True)
class Felt:
    """A hidden-state item that is no channel: what the simulated patient feels."""

    label: str
    unit: str
    precision: int
    css: str = "t-feel"  # its colour on the console: a feeling's, or a drug's ("t-drug")


FELT: dict[str, Felt] = {
    "dissociation": Felt("Dissociation", "0–10", 1),
    "sedation": Felt("Sedation", "0–10", 1),
    "nausea": Felt("Nausea", "0–10", 1),
    "anxiety": Felt("Anxiety", "0–1", 2),
    "PACO2": Felt("PaCO₂ (arterial)", "mmHg", 0),
    "VENTILATION": Felt("Alveolar ventilation", "× resting", 2),
    "MIDAZOLAM_CE": Felt("Midazolam Ce", "ng/mL", 0, "t-drug"),
    "FENTANYL_CE": Felt("Fentanyl Ce", "ng/mL", 2, "t-drug"),
}
"""The truth's items the channel registry does not know, with how to show them."""


def _event_models() -> dict[str, type[Any]]:
    """Each event kind's model (its fields, ranges and defaults), for forms that ask for one."""
    out: dict[str, type[Any]] = {}
    for name in _scenario.__all__:
        obj = getattr(_scenario, name, None)
        fields = getattr(obj, "model_fields", None)
        if not isinstance(obj, type) or not fields or "kind" not in fields:
            continue
        for value in getattr(fields["kind"].annotation, "__args__", ()):
            if value in EVENT_KINDS:
                out[value] = obj
    return out


EVENT_MODELS: dict[str, type[Any]] = _event_models()


@contextmanager
def _as_vitalsdash_error() -> Iterator[None]:
    try:
        yield
    except SimConfigError as exc:
        # A model's refusal is worded once, by vitalsdash ("must be at most 120 (got 500)"):
        # the simulator's own error keeps pydantic's as the exception it was raised from.
        cause = exc.__context__
        problems = problems_from(cause) if isinstance(cause, ValidationError) else exc.problems
        raise ConfigError(exc.path, problems) from None


def drug_check(kind: str) -> AfterValidator:
    """The check of a ``drug`` field for action ``kind``, to put in its ``Annotated`` type."""
    return _scenario.drug_check(kind)


def check_event(kind: str, params: dict[str, Any]) -> None:
    """Validate a live event's kind and magnitudes; ConfigError names the keys and why."""
    with _as_vitalsdash_error():
        _scenario.check_event(kind, params)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; ConfigError (file, key, reason) on any problem."""
    with _as_vitalsdash_error():
        return _scenario.load_scenario(path)


def scenario_nibp(scenario: Scenario) -> dict[str, float]:
    """The NIBP intervals (``[nibp]`` keys, minutes) that ``scenario``'s file sets itself;
    empty when it has no ``[nibp]`` table (the simulator's defaults are no choice of the
    scenario's, so the protocol's program stands)."""
    program = scenario.nibp
    return {key: float(getattr(program, key)) for key in sorted(program.model_fields_set)}


@dataclass(frozen=True, slots=True)
class ScenarioDosing:
    """How a scenario's patient is dosed, for fitting it to a protocol: the drug, the
    route, the weight basis the file sets itself (None: it leaves it to the protocol) and a
    nasal dose in mg."""

    drug: str
    route: str
    dose_weight: str | None
    nasal_dose_mg: float | None


def scenario_dosing(scenario: Scenario) -> ScenarioDosing:
    """What ``scenario``'s ``[protocol]`` says about the drug, its route and the dose."""
    p = scenario.protocol
    own = p.dose_weight if "dose_weight" in p.model_fields_set else None
    return ScenarioDosing(p.drug, p.route, own, p.nasal_dose_mg)


def with_dose_weight(scenario: Scenario, basis: str) -> Scenario:
    """``scenario`` dosed per kg of ``basis`` body weight (the session's protocol decides
    when the scenario's file does not)."""
    if scenario.protocol.dose_weight == basis or scenario.protocol.route != "iv":
        return scenario
    return replace(scenario, protocol=scenario.protocol.model_copy(update={"dose_weight": basis}))


def list_scenarios() -> list[Path]:
    """Scenario files in ``config/scenarios/`` (see vitalsdash.configdir); a name found in
    more than one folder comes from the first. Sorted by name."""
    return list(catalogue("scenarios").values())


def find_scenario(name_or_path: str | Path) -> Path:
    """An existing file as is; else ``NAME`` or ``NAME.toml`` in the scenario folders."""
    given = Path(name_or_path)
    if given.is_file():
        return given
    name = str(name_or_path)
    for d in config_dirs("scenarios"):
        for candidate in (d / name, d / f"{name}.toml"):
            if candidate.is_file():
                return candidate
    available = ", ".join(p.stem for p in list_scenarios()) or "none"
    where = " or ".join(str(d) for d in config_dirs("scenarios"))
    raise ConfigError(
        name,
        [("(file)", f"no such scenario file, nor {name!r} in {where}; available: {available}")],
    )


def patient_facts(scenario: Scenario, seed: int) -> dict[str, Any]:
    """Who the patient of ``scenario`` drawn with ``seed`` is (:data:`PATIENT_FACTS`): the
    same in every session of the course."""
    p = _profile_for(scenario, int(seed))
    return {k: getattr(p, k) for k in PATIENT_FACTS}


def felt_dissociation_peak(
    scenario: Scenario, seed: int, session_number: int, ce_ng_ml: Any
) -> float:
    """The highest dissociation (0-10) the simulated patient felt in session
    ``session_number`` of the course, from the session's effect-site concentrations (a
    session's stored ``KET_CE`` readings): the hidden truth beside what was charted."""
    p = _profile_for(scenario, int(seed))
    day = _course.session_profile(p, int(seed), 0, session_number)
    return _course.dissociation_peak(day, ce_ng_ml)


class SimulatorSource:
    """The virtual patient of a bed. Its infusion waits for :meth:`start_infusion`
    (``infusion_start="manual"``, the runtime's pre-infusion check decides when); the
    scenario's events and scripted actions written against the infusion move with the
    real start (see ``vitalsim.LiveSimulation.from_scenario``). ``session_number``: which
    session of the patient's course it is (1: a single session; see vitalsim.course)."""

    kind = "simulator"
    actions = frozenset(PATIENT_ACTIONS)

    def __init__(
        self, scenario: Scenario, seed: int, program: NibpProgram | None = None,
        follow_script: bool = False, infusion_start: str = "manual", session_number: int = 1,
        dose_weight: str | None = None,
    ) -> None:  # fmt: skip
        """``dose_weight``: the weight a mg/kg dose is per for this session (the session
        protocol's: the scenario's own when its file sets one); None keeps the scenario's."""
        if dose_weight is not None:
            scenario = with_dose_weight(scenario, dose_weight)
        self.scenario = scenario
        self.session_number = session_number
        self.sim = LiveSimulation.from_scenario(
            scenario, seed, program=program, follow_script=follow_script,
            infusion_start=infusion_start,  # type: ignore[arg-type]
            session_number=session_number, waveforms=True,
        )  # fmt: skip
        self._noted = 0

    def start_infusion(self, actor: str) -> dict[str, float]:
        """Start the scenario's dosing now (an infusion's rate and dose, or a nasal
        spray's first device); the parameters used. SourceActionError if it cannot start
        (already started)."""
        params = self.scenario.protocol.dosing.start_params()
        try:
            self.sim.apply("start_infusion", actor, **params)
        except ActionError as exc:
            raise SourceActionError(str(exc)) from None
        return params

    def screening(self) -> dict[str, str]:
        """The patient's answers to the pre-session questions (:data:`SCREENING_QUESTIONS`
        -> "yes" | "no" | "untreated", see ``vitalsim.scenario.Screening``)."""
        return self.scenario.patient.screening.answers(self.sim.profile.hypertension)

    def advance(self, t1_s: int) -> list[Reading]:
        rows = self.sim.advance(max(0, int(t1_s) - self.sim.t_s))
        return [Reading(r.t_s, r.channel, float(r.value), r.quality, float(r.true_value))
                for r in rows]  # fmt: skip

    def waveforms(self) -> list[WaveSegment]:
        """ECG II, pleth and CO2 of the seconds :meth:`advance` read since the last call."""
        chunk = self.sim.take_waveforms()
        if chunk is None:
            return []
        return [WaveSegment(name, w.sample_rate_hz, float(w.t0_s), w.values)
                for name, w in chunk.waves.items() if w.values.size]  # fmt: skip

    def notes(self) -> list[Note]:
        new = self.sim.log[self._noted :]
        self._noted = len(self.sim.log)
        out = [Note(t, kind, "device" if who in ("device", "sensor") else who, dict(d))
               for t, kind, who, d in new]  # fmt: skip
        return sorted(out, key=lambda n: n.t_s)

    def apply(self, kind: str, actor: str, params: dict[str, Any]) -> None:
        try:
            self.sim.apply(kind, actor, **params)
        except ActionError as exc:
            raise SourceActionError(str(exc)) from None
        except (TypeError, ValueError, KeyError) as exc:
            raise SourceActionError(f"{kind}: invalid parameters ({exc})") from None

    def inject(self, kind: str, params: dict[str, Any]) -> None:
        try:
            event = make_event(kind, self.sim.t_s, self.scenario.timeline, **params)
        except SimConfigError as exc:
            raise SourceActionError("; ".join(f"{k}: {why}" for k, why in exc.problems)) from None
        self.sim.inject(event)

    def pump(self) -> PumpStatus:
        """The pump as it reports itself; a nasal dose not yet started already says it
        is one (its devices), as the prescription does."""
        p = self.sim.pump
        d = self.scenario.protocol.dosing
        devices, device_mg = (p.devices, p.device_mg) if p.devices else (d.devices, d.device_mg)
        return PumpStatus(p.rate_mg_per_kg_h, p.running, p.delivered_mg_per_kg, p.started_s,
                          p.ended_s, p.delivering_mg_per_kg_h, p.paused_s,
                          p.stopped, d.route, devices, p.devices_given, device_mg,
                          p.next_device_s)  # fmt: skip

    def dose(self) -> DoseOrder:
        """The dose this patient is prescribed (the scenario's protocol, the session's
        weight basis), with the dosing weight worked out for this patient."""
        d = self.scenario.protocol.dosing
        if d.intranasal:
            return DoseOrder(d.drug, d.route, d.dose_mg, devices=d.devices,
                             device_mg=d.device_mg,
                             device_interval_min=d.device_interval_min)  # fmt: skip
        p = self.sim.profile
        kg = float(dosing_weight_kg(d.dose_weight, p.weight_kg, p.height_cm, p.sex))
        form = "rate" if self.scenario.protocol.rate_mg_per_kg_h is not None else "dose"
        return DoseOrder(d.drug, d.route, d.dose_for(kg), d.dose_weight, float(p.weight_kg),
                         kg, d.dose_mg_per_kg, d.rate_mg_per_kg_h,
                         d.administration_min, form=form)  # fmt: skip

    def truth(self) -> dict[str, float]:
        """The patient's noise-free state now, keyed by :data:`TRUTH_KEYS`; the pump's
        entry is the rate it delivers (0 while paused), not the rate set on it."""
        return dict(self.sim.snapshot().truth)
