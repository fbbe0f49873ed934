"""Scenarios: who the patient is, the infusion protocol, and what happens when.

A scenario is a TOML file in ``config/scenarios/`` (see ``example-annotated.toml`` there
for every key with comments). Loading one validates everything and resolves every time
to seconds from the session start; any mistake comes out as one
:class:`~vitalsim._tomlconfig.ConfigError` whose lines read ``FILE: KEY: REASON``, where
KEY is the TOML key path with 1-based array indices (``events[3].kind``).

File format
===========

::

    [scenario]
    name = "Hypertensive responder"        # required
    description = "..."                      # optional
    seed = 7                                 # optional default seed (the CLI --seed overrides)

    [patient]              # every key optional; what is missing is sampled with the seed
    age_years = 58         # 18..100
    sex = "female"         # female | male
    weight_kg = 82         # 35..250
    hypertension = "untreated"   # none | treated | untreated
    anxiety = 0.6          # 0..1, white-coat anxiety at baseline
    hr_bpm = 78            # resting baselines: hr_bpm 35..150, sbp_mmhg 80..220,
    sbp_mmhg = 148         #   dbp_mmhg 40..130 (below sbp_mmhg), spo2_pct 85..100,
    dbp_mmhg = 88          #   rr_per_min 6..40
    sbp_sensitivity = 3.0  # multiple of the population median ketamine BP response, 0..10
    motion_artefacts_per_h = 2   # 0..120

    [protocol]
    pk_model = "kamp"      # kamp | domino (default kamp)
    baseline_min = 10      # > 0, default 10
    dose_mg_per_kg = 0.5   # EITHER dose_mg_per_kg (0 < x <= 5) with over_min (1..600)
    over_min = 40
    # rate_mg_per_kg_h = 0.5   # OR rate_mg_per_kg_h (0 < x <= 3) with for_min (1..600)
    # for_min = 240
    observation_min = 60   # >= 0, default 60

    [nibp]                 # automatic NIBP interval per phase, minutes, each 1..60
    baseline_every_min = 5       # default 5
    infusion_every_min = 10      # default 10
    observation_every_min = 15   # default 15

    [[events]]             # scripted physiology and device events
    at = "infusion+25min"
    kind = "hypertensive_surge"
    sbp_rise_mmhg = 35
    duration_min = 15

    [[actions]]            # scripted actions (optional), same `at` grammar
    at = "infusion+32min"
    kind = "pause_pump"

    [[expected]]           # what a trainee is expected to do, scored in the debrief
    when = "SYS_HI"        # an alarm condition name, or a list of them (any one counts)
    do = ["pause_pump", "set_rate", "stop_infusion"]   # any of these counts
    within_min = 3

Every key carries its unit in its name; a key with another unit (``dose_mg``,
``duration_s``) is an unknown key and the error suggests the right one. The whole session
(baseline + infusion + observation) may last at most 12 h.

Times (``at``)
--------------
``<anchor>`` or ``<anchor>(+|-)<number><unit>``, whitespace allowed between the parts:

=================================  ====================================================
anchor                             time
=================================  ====================================================
``start``                          0, the session start (the baseline begins)
``infusion``                       infusion start (= ``baseline_min``)
``infusion_end``, ``observation``  end of the infusion, start of the observation
``end``                            end of the session (= infusion end + observation_min)
=================================  ====================================================

Units ``s``, ``min``, ``h``; decimals allowed (``infusion+2.5min``, ``end - 90 s``).
A time must resolve to within ``[0, end)``; anything else is an error.

Events (``[[events]]``)
-----------------------
Each event has ``at``, ``kind`` and ``duration_min`` (> 0, required: the plateau length
including the onset ramp). Physiological events and the artefact storm also take
``onset_min`` (ramp up, 0 <= x <= duration_min) and ``offset_min`` (ramp back down after
the plateau); the effect's level (:meth:`level_at`) rises linearly from 0 at ``at`` to 1
at ``at + onset``, holds until ``at + duration``, then falls linearly to 0 over the
offset. Overlapping events add up. In seconds: ``at_s``, ``onset_s``, ``duration_s``,
``offset_s``; ``end_s`` = ``at_s + duration_s``, the end of the plateau where the ramp
down begins; ``effect_end_s`` = ``end_s + offset_s``, when the effect is over. An event
that runs past the end of the session is clipped there: ``end_s`` and ``effect_end_s``
are never later than the session end, the level is 0 from the session end on, and
``clipped`` says whether that happened.

=======================  =====  ======  ===================================================
kind                     onset  offset  magnitudes (defaults)
=======================  =====  ======  ===================================================
``hypertensive_surge``   2      5       sbp_rise_mmhg 0<x<=120 (required),
                                        dbp_rise_mmhg 0..80 (0.6 x sbp_rise_mmhg),
                                        hr_rise_bpm 0..80 (0)
``tachycardia``          1      5       hr_rise_bpm 0<x<=120 (required)
``vasovagal``            0.5    5       hr_drop_bpm 0<x<=80, sbp_drop_mmhg 0<x<=100
                                        (both required), dbp_drop_mmhg 0..70
                                        (0.6 x sbp_drop_mmhg)
``desaturation``         2      5       spo2_drop_pct 0<x<=40 (required),
                                        rr_drop_per_min 0..20 (0), cause (free text,
                                        "co-sedative")
``emergence_anxiety``    2      5       anxiety 0..1 (required)
``nausea``               2      5       severity 0..10 (required)
``motion_artefacts``     0      0       episodes_per_min 0<x<=30 (required): a storm
``probe_off``            --     --      none: the SpO2 probe is off for duration_min
``cuff_failure``         --     --      none: every NIBP measurement in the window fails
=======================  =====  ======  ===================================================

Actions (``[[actions]]``)
-------------------------
``at``, ``kind`` and ``actor`` (trainee | instructor | system, default trainee), plus:
``pause_pump``, ``resume_pump``, ``stop_infusion``, ``oxygen_off``, ``reposition``,
``reassure``, ``nibp_start`` (nothing more); ``set_rate`` (rate_mg_per_kg_h 0..3,
required); ``give_antihypertensive`` (drug, default "labetalol"; dose_mg 1..100,
required); ``give_antiemetic`` (drug, default "ondansetron"; dose_mg 0<x<=100,
required); ``oxygen_on`` (flow_l_min 1..15, default 2). A drug must be one the model has
an effect for (:data:`DRUGS`).

Expected responses (``[[expected]]``)
-------------------------------------
``when``: an alarm condition name (:data:`ALARM_CONDITIONS`) or a list of them; ``do``:
an action kind or a list of them, any of which counts; ``within_min``: 0 < x <= 120,
counted from the moment the condition becomes active.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self, TypeAlias

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from vitalsim._tomlconfig import ConfigError, load_toml_model, problems_from

__all__ = [
    "ACTION_KINDS",
    "ALARM_CONDITIONS",
    "ANCHORS",
    "DRUGS",
    "EVENT_KINDS",
    "MAX_SESSION_S",
    "Action",
    "ConfigError",
    "CuffFailure",
    "Desaturation",
    "EmergenceAnxiety",
    "Event",
    "ExpectedResponse",
    "GiveAntiemetic",
    "GiveAntihypertensive",
    "HypertensiveSurge",
    "MotionArtefacts",
    "Nausea",
    "NibpSettings",
    "NibpStart",
    "OxygenOff",
    "OxygenOn",
    "PatientSpec",
    "PausePump",
    "PhaseName",
    "ProbeOff",
    "Protocol",
    "Reassure",
    "Reposition",
    "ResumePump",
    "Scenario",
    "ScenarioFile",
    "ScenarioInfo",
    "SetRate",
    "StopInfusion",
    "Tachycardia",
    "TimeRef",
    "Timeline",
    "Vasovagal",
    "check_event",
    "drug_check",
    "find_scenario",
    "known_drug",
    "list_scenarios",
    "load_scenario",
    "parse_time_ref",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
SCENARIO_DIR = Path("config") / "scenarios"
SHIPPED_SCENARIOS = Path(__file__).resolve().parent / "_scenarios"
"""The scenarios packed into an installed wheel (absent in a checkout)."""
MAX_SESSION_S = 12 * 3600.0

PhaseName: TypeAlias = Literal["baseline", "infusion", "observation"]

ALARM_CONDITIONS: tuple[str, ...] = (
    "HR_HI",
    "HR_LO",
    "SYS_HI",
    "SYS_LO",
    "DIA_HI",
    "DIA_LO",
    "MAP_HI",
    "MAP_LO",
    "SPO2_LO",
    "RR_HI",
    "RR_LO",
    "NO_DATA",
    "SENSOR_OFF",
    "CUFF_FAIL",
    "NIBP_OVERDUE",
)
"""Alarm condition names an ``[[expected]]`` entry may refer to (see docs alarms.md)."""


# --------------------------------------------------------------------------- errors


def _error(loc: Sequence[str | int], message: str, value: Any) -> InitErrorDetails:
    """One validation problem at ``loc`` (relative to the model being validated).

    ``value`` is shown as "(got ...)" unless it is a dict; pass ``{}`` to show nothing.
    """
    return InitErrorDetails(
        type=PydanticCustomError("scenario", message), loc=tuple(loc), input=value
    )


def _raise(errors: list[InitErrorDetails], title: str = "scenario") -> None:
    """Raise ``errors`` from inside a validator; pydantic nests them under the caller's key."""
    if errors:
        raise ValidationError.from_exception_data(title, errors)


# --------------------------------------------------------------------------- times

ANCHORS: tuple[str, ...] = ("start", "infusion", "infusion_end", "observation", "end")
_UNIT_S = {"s": 1.0, "min": 60.0, "h": 3600.0}
AT_GRAMMAR = (
    "write <anchor> or <anchor>(+|-)<number><unit>, e.g. 'infusion+25min' or 'end - 90 s'; "
    "anchors: start, infusion, infusion_end (= observation), end; units: s, min, h"
)
_AT_SHAPE = re.compile(r"\s*([A-Za-z_]+)\s*(?:([+-])\s*([^\sA-Za-z]*)\s*([A-Za-z]*)\s*)?")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")


@dataclass(frozen=True)
class TimeRef:
    """A parsed ``at``: an anchor plus an offset in seconds (not yet resolved)."""

    anchor: str
    offset_s: float = 0.0
    text: str = ""

    def __str__(self) -> str:
        if self.text:
            return self.text
        if self.offset_s == 0:
            return self.anchor
        return f"{self.anchor}{self.offset_s:+g}s"


def parse_time_ref(text: str) -> TimeRef:
    """Parse an ``at`` string; raise ValueError with a reason that shows the grammar."""
    if not isinstance(text, str):
        raise ValueError(f"must be a quoted time like 'infusion+25min'; {AT_GRAMMAR}")
    m = _AT_SHAPE.fullmatch(text)
    if m is None:
        raise ValueError(f"not a time; {AT_GRAMMAR}")
    anchor, sign, number, unit = m.groups()
    if anchor not in ANCHORS:
        raise ValueError(f"unknown anchor {anchor!r}; {AT_GRAMMAR}")
    if sign is None:
        return TimeRef(anchor, 0.0, text.strip())
    if not _NUMBER.fullmatch(number):
        what = "missing number" if not number else f"malformed number {number!r}"
        raise ValueError(f"{what} after {sign!r}; {AT_GRAMMAR}")
    if not unit:
        raise ValueError(f"the offset {number} needs a unit; {AT_GRAMMAR}")
    if unit not in _UNIT_S:
        raise ValueError(f"unknown unit {unit!r}; {AT_GRAMMAR}")
    offset = float(number) * _UNIT_S[unit]
    return TimeRef(anchor, -offset if sign == "-" else offset, text.strip())


def _validate_at(value: Any) -> TimeRef:
    if isinstance(value, TimeRef):
        return value
    try:
        return parse_time_ref(value)
    except ValueError as exc:
        raise PydanticCustomError("time_ref", str(exc)) from None


At = Annotated[TimeRef, PlainValidator(_validate_at), PlainSerializer(str, return_type=str)]


def _minutes(seconds: float) -> str:
    return f"{round(seconds / 60.0, 2):g} min"


@dataclass(frozen=True)
class Timeline:
    """When the phases of a session begin and end, in seconds from the session start."""

    infusion_start_s: float
    infusion_end_s: float
    end_s: float

    def phase_at(self, t_s: float) -> PhaseName:
        """The protocol phase at ``t_s``; times at or after ``end_s`` are still observation."""
        if t_s < self.infusion_start_s:
            return "baseline"
        if t_s < self.infusion_end_s:
            return "infusion"
        return "observation"

    def anchor_s(self, anchor: str) -> float:
        """Seconds from the start of a named anchor (see :data:`ANCHORS`)."""
        times = {
            "start": 0.0,
            "infusion": self.infusion_start_s,
            "infusion_end": self.infusion_end_s,
            "observation": self.infusion_end_s,
            "end": self.end_s,
        }
        try:
            return times[anchor]
        except KeyError:
            raise ValueError(f"unknown anchor {anchor!r}") from None

    def resolve(self, ref: TimeRef | str) -> float:
        """Seconds from the start for a time reference (not range-checked)."""
        if isinstance(ref, str):
            ref = parse_time_ref(ref)
        return self.anchor_s(ref.anchor) + ref.offset_s

    def contains(self, t_s: float) -> bool:
        return 0.0 <= t_s < self.end_s


# --------------------------------------------------------------------------- base model

_UNIT_SUFFIXES = (
    ("_mg_per_kg_h", "mg/kg/h"),
    ("_mg_per_kg", "mg/kg"),
    ("_l_min", "L/min"),
    ("_per_min", "per minute"),
    ("_per_h", "per hour"),
    ("_min", "minutes"),
    ("_mmhg", "mmHg"),
    ("_bpm", "beats per minute"),
    ("_pct", "%"),
    ("_kg", "kg"),
    ("_mg", "mg"),
    ("_years", "years"),
    ("_s", "seconds"),
    ("_h", "hours"),
)


def _unit_of(key: str) -> str | None:
    return next((unit for suffix, unit in _UNIT_SUFFIXES if key.endswith(suffix)), None)


def _suggest(key: str, allowed: Iterable[str]) -> str:
    """A reason for an unknown key, suggesting the key that was probably meant: one that
    starts with the same words (a wrong or missing unit suffix), else a close spelling."""
    allowed = sorted(allowed)
    words = key.split("_")
    best, best_shared = None, 0
    for name in allowed:
        shared = 0
        for a, b in zip(words, name.split("_"), strict=False):
            if a != b:
                break
            shared += 1
        if shared > best_shared:
            best, best_shared = name, shared
    if best is None:
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        best = close[0] if close else None
    if best is None:
        return "unknown key; this table accepts: " + ", ".join(allowed)
    unit = _unit_of(best)
    if unit is not None and _unit_of(key) != unit:
        return f"unknown key; did you mean {best!r}? (in {unit}: the unit is part of the key)"
    return f"unknown key; did you mean {best!r}?"


class _Model(BaseModel):
    """Strict, closed TOML tables: no coercion from strings, no unknown keys."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            allowed = cls.model_fields.keys()
            _raise(
                [
                    _error((key,), _suggest(str(key), allowed), {})
                    for key in data
                    if key not in allowed
                ]
            )
        return data


def _one_or_more(value: Any) -> Any:
    """Accept a single string where a list of strings is expected."""
    return [value] if isinstance(value, str) else value


def _check_names(value: Any, known: Sequence[str], what: str) -> list[str]:
    """Validate one name or a list of names against ``known``, with precise locations."""
    single = isinstance(value, str)
    items = _one_or_more(value)
    if not isinstance(items, list) or not items:
        raise PydanticCustomError(
            "names", f"give an {what} or a non-empty list of them; known: " + ", ".join(known)
        )
    errors = []
    for i, item in enumerate(items):
        loc = () if single else (i,)
        if not isinstance(item, str):
            errors.append(_error(loc, f"must be a quoted {what}", item))
        elif item not in known:
            close = difflib.get_close_matches(item, known, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            errors.append(_error(loc, f"unknown {what}; {hint}known: " + ", ".join(known), item))
    _raise(errors)
    return list(items)


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


# --------------------------------------------------------------------------- tables


class ScenarioInfo(_Model):
    """The ``[scenario]`` table."""

    name: Text
    description: Annotated[str, StringConstraints(strip_whitespace=True)] = ""
    seed: int | None = Field(default=None, ge=0)


class PatientSpec(_Model):
    """The ``[patient]`` table: what is fixed about the patient; None means "sample it"."""

    age_years: float | None = Field(default=None, ge=18, le=100)
    sex: Literal["female", "male"] | None = None
    weight_kg: float | None = Field(default=None, ge=35, le=250)
    hypertension: Literal["none", "treated", "untreated"] | None = None
    anxiety: float | None = Field(default=None, ge=0, le=1)
    hr_bpm: float | None = Field(default=None, ge=35, le=150)
    sbp_mmhg: float | None = Field(default=None, ge=80, le=220)
    dbp_mmhg: float | None = Field(default=None, ge=40, le=130)
    spo2_pct: float | None = Field(default=None, ge=85, le=100)
    rr_per_min: float | None = Field(default=None, ge=6, le=40)
    sbp_sensitivity: float | None = Field(default=None, ge=0, le=10)
    motion_artefacts_per_h: float | None = Field(default=None, ge=0, le=120)

    @field_validator("dbp_mmhg")
    @classmethod
    def _dbp_below_sbp(cls, dbp: float | None, info: ValidationInfo) -> float | None:
        sbp = info.data.get("sbp_mmhg")
        if dbp is not None and sbp is not None and dbp >= sbp:
            raise PydanticCustomError("dbp_not_below_sbp", f"must be below sbp_mmhg = {sbp:g}")
        return dbp


class Protocol(_Model):
    """The ``[protocol]`` table: the scripted infusion, one of two dosing forms."""

    pk_model: Literal["kamp", "domino"] = "kamp"
    baseline_min: float = Field(default=10.0, gt=0)
    dose_mg_per_kg: float | None = Field(default=None, gt=0, le=5)
    over_min: float | None = Field(default=None, ge=1, le=600)
    rate_mg_per_kg_h: float | None = Field(default=None, gt=0, le=3)
    for_min: float | None = Field(default=None, ge=1, le=600)
    observation_min: float = Field(default=60.0, ge=0)

    @model_validator(mode="after")
    def _one_dosing_form(self) -> Self:
        dose_keys = [k for k in ("dose_mg_per_kg", "over_min") if getattr(self, k) is not None]
        rate_keys = [k for k in ("rate_mg_per_kg_h", "for_min") if getattr(self, k) is not None]
        forms = (
            "give exactly one dosing form: dose_mg_per_kg with over_min, "
            "or rate_mg_per_kg_h with for_min"
        )
        if dose_keys and rate_keys:
            _raise(
                [_error((), f"{forms} (this table mixes {', '.join(dose_keys + rate_keys)})", {})]
            )
        if not dose_keys and not rate_keys:
            _raise([_error((), f"no dose given; {forms}", {})])
        pair = ("dose_mg_per_kg", "over_min") if dose_keys else ("rate_mg_per_kg_h", "for_min")
        for key, other in (pair, pair[::-1]):
            if getattr(self, key) is None:
                _raise([_error((key,), f"required with {other}", {})])
        total_s = self.baseline_min * 60 + self.infusion_min * 60 + self.observation_min * 60
        if total_s > MAX_SESSION_S:
            _raise(
                [
                    _error(
                        (),
                        f"the session would last {total_s / 3600:.4g} h (baseline "
                        f"{self.baseline_min:g} + infusion {self.infusion_min:g} + observation "
                        f"{self.observation_min:g} min); at most 12 h is allowed",
                        {},
                    )
                ]
            )
        return self

    @property
    def infusion_min(self) -> float:
        return float(self.over_min if self.over_min is not None else self.for_min or 0.0)

    @property
    def infusion_rate_mg_per_kg_h(self) -> float:
        """The scripted infusion rate in mg/kg/h, whichever form the file used."""
        if self.rate_mg_per_kg_h is not None:
            return self.rate_mg_per_kg_h
        return (self.dose_mg_per_kg or 0.0) / (self.infusion_min / 60.0)

    @property
    def total_dose_mg_per_kg(self) -> float:
        return self.infusion_rate_mg_per_kg_h * self.infusion_min / 60.0

    def timeline(self) -> Timeline:
        start = self.baseline_min * 60.0
        end_inf = start + self.infusion_min * 60.0
        return Timeline(start, end_inf, end_inf + self.observation_min * 60.0)


class NibpSettings(_Model):
    """The ``[nibp]`` table: automatic NIBP interval per phase, in minutes."""

    baseline_every_min: float = Field(default=5.0, ge=1, le=60)
    infusion_every_min: float = Field(default=10.0, ge=1, le=60)
    observation_every_min: float = Field(default=15.0, ge=1, le=60)

    @property
    def baseline_every_s(self) -> float:
        return self.baseline_every_min * 60.0

    @property
    def infusion_every_s(self) -> float:
        return self.infusion_every_min * 60.0

    @property
    def observation_every_s(self) -> float:
        return self.observation_every_min * 60.0

    def interval_s(self, phase: str) -> float:
        """Seconds between automatic measurements in ``phase`` (baseline, infusion, observation)."""
        minutes = {
            "baseline": self.baseline_every_min,
            "infusion": self.infusion_every_min,
            "observation": self.observation_every_min,
        }
        return minutes[phase] * 60.0


# --------------------------------------------------------------------------- events


class _Scheduled(_Model):
    """Something at a point in time: ``at`` is resolved against the timeline on loading."""

    at: At
    _at_s: float | None = PrivateAttr(default=None)
    _session_end_s: float | None = PrivateAttr(default=None)

    def _resolve(self, timeline: Timeline) -> float:
        self._at_s = timeline.resolve(self.at)
        self._session_end_s = timeline.end_s
        return self._at_s

    @property
    def at_s(self) -> float:
        """Seconds from the session start."""
        if self._at_s is None:
            raise RuntimeError("not resolved: load the scenario to resolve times")
        return self._at_s


class _EventBase(_Scheduled):
    kind: str
    duration_min: float = Field(gt=0, le=720)

    # Kinds without ramp keys have fixed zero ramps.
    @property
    def onset_s(self) -> float:
        return float(getattr(self, "onset_min", 0.0)) * 60.0

    @property
    def offset_s(self) -> float:
        return float(getattr(self, "offset_min", 0.0)) * 60.0

    @property
    def duration_s(self) -> float:
        """The plateau length including the onset ramp (not clipped)."""
        return self.duration_min * 60.0

    def _clip(self, t_s: float) -> float:
        return min(t_s, self._session_end_s) if self._session_end_s is not None else t_s

    @property
    def end_s(self) -> float:
        """End of the plateau, where the ramp down begins; clipped to the session end."""
        return self._clip(self.at_s + self.duration_s)

    @property
    def effect_end_s(self) -> float:
        """When the effect is over (end of the offset ramp); clipped to the session end."""
        return self._clip(self.at_s + self.duration_s + self.offset_s)

    @property
    def clipped(self) -> bool:
        """True when the event (with its offset ramp) would run past the session end."""
        return self.at_s + self.duration_s + self.offset_s > self.effect_end_s

    def active_at(self, t_s: float) -> bool:
        """True from ``at_s`` until the effect is over (``effect_end_s``)."""
        return self.at_s <= t_s < self.effect_end_s

    def level_at(self, t_s: float | np.ndarray) -> float | np.ndarray:
        """Effect level 0..1 at ``t_s`` (scalar or array): ramp up, plateau, ramp down."""
        t = np.asarray(t_s, dtype=float)
        rel = t - self.at_s
        up = np.clip(rel / self.onset_s, 0.0, 1.0) if self.onset_s > 0 else (rel >= 0) * 1.0
        past = rel - self.duration_s
        if self.offset_s > 0:
            down = np.clip(1.0 - past / self.offset_s, 0.0, 1.0)
        else:
            down = (past < 0) * 1.0
        level = np.where((t >= self.at_s) & (t < self.effect_end_s), np.minimum(up, down), 0.0)
        return float(level) if level.ndim == 0 else level

    def vital_deltas(self) -> dict[str, float]:
        """Signed change of resting vitals at full level (keys hr_bpm, sbp_mmhg, dbp_mmhg,
        spo2_pct, rr_per_min); empty for events that act otherwise."""
        return {}


class _RampedEvent(_EventBase):
    onset_min: float = Field(default=2.0, ge=0, le=60)
    offset_min: float = Field(default=5.0, ge=0, le=60)

    @model_validator(mode="after")
    def _onset_within_duration(self) -> Self:
        if self.onset_min > self.duration_min:
            _raise(
                [
                    _error(
                        ("onset_min",),
                        f"must not exceed duration_min = {self.duration_min:g} "
                        "(the plateau length includes the onset)",
                        self.onset_min,
                    )
                ]
            )
        return self


class HypertensiveSurge(_RampedEvent):
    """A scripted blood pressure surge on top of the drug response."""

    kind: Literal["hypertensive_surge"]
    sbp_rise_mmhg: float = Field(gt=0, le=120)
    dbp_rise_mmhg: float | None = Field(default=None, ge=0, le=80)
    hr_rise_bpm: float = Field(default=0.0, ge=0, le=80)

    @model_validator(mode="after")
    def _default_dbp(self) -> Self:
        if self.dbp_rise_mmhg is None:
            self.dbp_rise_mmhg = 0.6 * self.sbp_rise_mmhg
        return self

    def vital_deltas(self) -> dict[str, float]:
        return {
            "sbp_mmhg": self.sbp_rise_mmhg,
            "dbp_mmhg": float(self.dbp_rise_mmhg or 0.0),
            "hr_bpm": self.hr_rise_bpm,
        }


class Tachycardia(_RampedEvent):
    kind: Literal["tachycardia"]
    onset_min: float = Field(default=1.0, ge=0, le=60)
    hr_rise_bpm: float = Field(gt=0, le=120)

    def vital_deltas(self) -> dict[str, float]:
        return {"hr_bpm": self.hr_rise_bpm}


class Vasovagal(_RampedEvent):
    """A vasovagal episode: bradycardia and hypotension with a fast onset."""

    kind: Literal["vasovagal"]
    onset_min: float = Field(default=0.5, ge=0, le=60)
    hr_drop_bpm: float = Field(gt=0, le=80)
    sbp_drop_mmhg: float = Field(gt=0, le=100)
    dbp_drop_mmhg: float | None = Field(default=None, ge=0, le=70)

    @model_validator(mode="after")
    def _default_dbp(self) -> Self:
        if self.dbp_drop_mmhg is None:
            self.dbp_drop_mmhg = 0.6 * self.sbp_drop_mmhg
        return self

    def vital_deltas(self) -> dict[str, float]:
        return {
            "hr_bpm": -self.hr_drop_bpm,
            "sbp_mmhg": -self.sbp_drop_mmhg,
            "dbp_mmhg": -float(self.dbp_drop_mmhg or 0.0),
        }


class Desaturation(_RampedEvent):
    """Falling SpO2 (and optionally breathing rate), e.g. from a co-sedative."""

    kind: Literal["desaturation"]
    spo2_drop_pct: float = Field(gt=0, le=40)
    rr_drop_per_min: float = Field(default=0.0, ge=0, le=20)
    cause: Text = "co-sedative"

    def vital_deltas(self) -> dict[str, float]:
        return {"spo2_pct": -self.spo2_drop_pct, "rr_per_min": -self.rr_drop_per_min}


class EmergenceAnxiety(_RampedEvent):
    """Anxiety during emergence/dissociation; the engine maps it to HR and BP."""

    kind: Literal["emergence_anxiety"]
    anxiety: float = Field(ge=0, le=1)


class Nausea(_RampedEvent):
    kind: Literal["nausea"]
    severity: float = Field(ge=0, le=10)


class MotionArtefacts(_RampedEvent):
    """An artefact storm: ``episodes_per_min`` motion episodes at full level."""

    kind: Literal["motion_artefacts"]
    onset_min: float = Field(default=0.0, ge=0, le=60)
    offset_min: float = Field(default=0.0, ge=0, le=60)
    episodes_per_min: float = Field(gt=0, le=30)


class ProbeOff(_EventBase):
    """The SpO2 probe is off for ``duration_min``."""

    kind: Literal["probe_off"]


class CuffFailure(_EventBase):
    """Every NIBP measurement that falls in the window fails."""

    kind: Literal["cuff_failure"]


_EVENT_CLASSES: dict[str, type[_EventBase]] = {
    "hypertensive_surge": HypertensiveSurge,
    "tachycardia": Tachycardia,
    "vasovagal": Vasovagal,
    "desaturation": Desaturation,
    "emergence_anxiety": EmergenceAnxiety,
    "nausea": Nausea,
    "motion_artefacts": MotionArtefacts,
    "probe_off": ProbeOff,
    "cuff_failure": CuffFailure,
}
EVENT_KINDS: tuple[str, ...] = tuple(_EVENT_CLASSES)


# --------------------------------------------------------------------------- actions


class _ActionBase(_Scheduled):
    kind: str
    actor: Literal["trainee", "instructor", "system"] = "trainee"

    @property
    def params(self) -> dict[str, Any]:
        """The kind's own keys (e.g. ``{"rate_mg_per_kg_h": 0.3}``), without at/kind/actor."""
        return self.model_dump(exclude={"at", "kind", "actor"})


class PausePump(_ActionBase):
    kind: Literal["pause_pump"]


class ResumePump(_ActionBase):
    kind: Literal["resume_pump"]


class SetRate(_ActionBase):
    kind: Literal["set_rate"]
    rate_mg_per_kg_h: float = Field(ge=0, le=3)


class StopInfusion(_ActionBase):
    kind: Literal["stop_infusion"]


DRUGS: dict[str, tuple[str, ...]] = {
    "give_antihypertensive": ("labetalol",),
    "give_antiemetic": ("ondansetron",),
}
"""The drugs the model has an effect for, per action (the first is the default). The one
list: scenario files, the live engine and the monitor's API all check against it."""


def known_drug(kind: str, drug: str) -> str:
    """``drug`` if the model has an effect for it with action ``kind``; else ValueError."""
    if drug not in DRUGS[kind]:
        raise ValueError(f"not a drug the simulator models for {kind}; "
                         f"known: {', '.join(DRUGS[kind])}")  # fmt: skip
    return drug


def drug_check(kind: str) -> AfterValidator:
    """The check of a ``drug`` field for action ``kind``, to put in its ``Annotated`` type."""
    return AfterValidator(lambda drug: known_drug(kind, drug))


class GiveAntihypertensive(_ActionBase):
    kind: Literal["give_antihypertensive"]
    drug: Annotated[Text, drug_check("give_antihypertensive")] = DRUGS["give_antihypertensive"][0]
    dose_mg: float = Field(ge=1, le=100)


class GiveAntiemetic(_ActionBase):
    kind: Literal["give_antiemetic"]
    drug: Annotated[Text, drug_check("give_antiemetic")] = DRUGS["give_antiemetic"][0]
    dose_mg: float = Field(gt=0, le=100)


class OxygenOn(_ActionBase):
    kind: Literal["oxygen_on"]
    flow_l_min: float = Field(default=2.0, ge=1, le=15)


class OxygenOff(_ActionBase):
    kind: Literal["oxygen_off"]


class Reposition(_ActionBase):
    kind: Literal["reposition"]


class Reassure(_ActionBase):
    kind: Literal["reassure"]


class NibpStart(_ActionBase):
    kind: Literal["nibp_start"]


_ACTION_CLASSES: dict[str, type[_ActionBase]] = {
    "pause_pump": PausePump,
    "resume_pump": ResumePump,
    "set_rate": SetRate,
    "stop_infusion": StopInfusion,
    "give_antihypertensive": GiveAntihypertensive,
    "give_antiemetic": GiveAntiemetic,
    "oxygen_on": OxygenOn,
    "oxygen_off": OxygenOff,
    "reposition": Reposition,
    "reassure": Reassure,
    "nibp_start": NibpStart,
}
ACTION_KINDS: tuple[str, ...] = tuple(_ACTION_CLASSES)


def _dispatcher(classes: dict[str, type[_Scheduled]], what: str, table: str):
    """A validator choosing the model by ``kind``: a discriminated union whose errors keep
    plain TOML keys (pydantic's own would insert the tag into the key path)."""
    known = ", ".join(classes)

    def validate(value: Any, info: ValidationInfo) -> _Scheduled:
        if isinstance(value, tuple(classes.values())):
            return value
        if not isinstance(value, dict):
            raise PydanticCustomError("not_table", f"must be a table, written as [[{table}]]")
        if "kind" not in value:
            _raise([_error(("kind",), f"required key is missing; known {what} kinds: {known}", {})])
        kind = value["kind"]
        cls = classes.get(kind) if isinstance(kind, str) else None
        if cls is None:
            close = difflib.get_close_matches(str(kind), list(classes), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            _raise([_error(("kind",), f"unknown {what} kind; {hint}known: {known}", kind)])
        return cls.model_validate(value, context=info.context)

    return validate


Event: TypeAlias = Annotated[
    HypertensiveSurge
    | Tachycardia
    | Vasovagal
    | Desaturation
    | EmergenceAnxiety
    | Nausea
    | MotionArtefacts
    | ProbeOff
    | CuffFailure,
    PlainValidator(_dispatcher(_EVENT_CLASSES, "event", "events")),
]
Action: TypeAlias = Annotated[
    PausePump
    | ResumePump
    | SetRate
    | StopInfusion
    | GiveAntihypertensive
    | GiveAntiemetic
    | OxygenOn
    | OxygenOff
    | Reposition
    | Reassure
    | NibpStart,
    PlainValidator(_dispatcher(_ACTION_CLASSES, "action", "actions")),
]


class ExpectedResponse(_Model):
    """An ``[[expected]]`` entry: after any ``when`` condition, any ``do`` action counts."""

    when: list[str]
    do: list[str]
    within_min: float = Field(gt=0, le=120)

    @field_validator("when", mode="before")
    @classmethod
    def _known_conditions(cls, value: Any) -> Any:
        return _check_names(value, ALARM_CONDITIONS, "alarm condition")

    @field_validator("do", mode="before")
    @classmethod
    def _known_actions(cls, value: Any) -> Any:
        return _check_names(value, ACTION_KINDS, "action kind")

    @property
    def within_s(self) -> float:
        return self.within_min * 60.0


# --------------------------------------------------------------------------- document


class ScenarioFile(_Model):
    """The whole TOML document, validated; :class:`Scenario` is what callers use."""

    scenario: ScenarioInfo
    patient: PatientSpec = Field(default_factory=PatientSpec)
    protocol: Protocol
    nibp: NibpSettings = Field(default_factory=NibpSettings)
    events: list[Event] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    expected: list[ExpectedResponse] = Field(default_factory=list)

    @field_validator("events", "actions", "expected", mode="before")
    @classmethod
    def _array_of_tables(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, dict):
            table = info.field_name
            raise PydanticCustomError(
                "not_array", f"must be an array of tables: write [[{table}]], not [{table}]"
            )
        return value

    @model_validator(mode="after")
    def _resolve_times(self) -> Self:
        timeline = self.protocol.timeline()
        errors = []
        for table, items, what in (
            ("events", self.events, "event"),
            ("actions", self.actions, "action"),
        ):
            for i, item in enumerate(items):
                t = item._resolve(timeline)
                if not timeline.contains(t):
                    errors.append(
                        _error(
                            (table, i, "at"),
                            f"{what} outside the session: resolves to {_minutes(t)}, "
                            f"the session lasts {_minutes(timeline.end_s)}",
                            str(item.at),
                        )
                    )
        _raise(errors)
        return self


@dataclass(frozen=True)
class Scenario:
    """A loaded scenario with every time resolved; events and actions in time order."""

    name: str
    description: str
    path: Path | None
    seed: int | None
    patient: PatientSpec
    protocol: Protocol
    nibp: NibpSettings
    events: tuple[Event, ...]
    actions: tuple[Action, ...]
    expected: tuple[ExpectedResponse, ...]
    timeline: Timeline = field(repr=False)

    EVENT_KINDS: ClassVar[tuple[str, ...]] = EVENT_KINDS
    ACTION_KINDS: ClassVar[tuple[str, ...]] = ACTION_KINDS

    @classmethod
    def from_file(cls, doc: ScenarioFile, path: Path | None = None) -> Scenario:
        return cls(
            name=doc.scenario.name,
            description=doc.scenario.description,
            path=path,
            seed=doc.scenario.seed,
            patient=doc.patient,
            protocol=doc.protocol,
            nibp=doc.nibp,
            events=tuple(sorted(doc.events, key=lambda e: e.at_s)),
            actions=tuple(sorted(doc.actions, key=lambda a: a.at_s)),
            expected=tuple(doc.expected),
            timeline=doc.protocol.timeline(),
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any], path: str | Path | None = None) -> Scenario:
        """Validate already-parsed TOML data; raise ConfigError naming ``path`` (or
        ``<scenario>`` when the data came from no file)."""
        try:
            doc = ScenarioFile.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(path or "<scenario>", problems_from(exc)) from None
        return cls.from_file(doc, Path(path) if path is not None else None)

    def rate_schedule(self, weight_kg: float) -> list[tuple[float, float]]:
        """The scripted pump program before any action: ``(t_start_s, rate_mg_per_kg_h)``
        steps, each rate holding until the next step (the last one until the end).

        Every dosing form is per kg, so the rates do not depend on ``weight_kg``; it is
        taken (and checked) so callers need not change if a form in absolute mg appears.
        """
        if not (weight_kg > 0 and math.isfinite(weight_kg)):
            raise ValueError(f"weight_kg must be a positive number, got {weight_kg!r}")
        tl = self.timeline
        return [
            (0.0, 0.0),
            (tl.infusion_start_s, self.protocol.infusion_rate_mg_per_kg_h),
            (tl.infusion_end_s, 0.0),
        ]

    def active_events(self, t_s: float) -> list[Event]:
        """Events whose effect is not over at ``t_s`` (the level may still be ramping)."""
        return [e for e in self.events if e.active_at(t_s)]


# --------------------------------------------------------------------------- files


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raise ConfigError (file, key, reason) on any problem."""
    path = Path(path)
    doc = load_toml_model(path, ScenarioFile)
    return Scenario.from_file(doc, path)


def _scenario_dirs() -> list[Path]:
    dirs = [Path.cwd() / SCENARIO_DIR, REPO_ROOT / SCENARIO_DIR, SHIPPED_SCENARIOS]
    out: list[Path] = []
    for d in dirs:
        if d.is_dir() and all(not _same(d, o) for o in out):
            out.append(d)
    return out


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def list_scenarios() -> list[Path]:
    """Scenario files in ``config/scenarios/`` under the current directory, then under the
    repository; a name found in both comes from the current directory. Sorted by name."""
    found: dict[str, Path] = {}
    for d in _scenario_dirs():
        for p in sorted(d.glob("*.toml")):
            found.setdefault(p.stem, p)
    return [found[k] for k in sorted(found)]


def find_scenario(name_or_path: str | Path) -> Path:
    """An existing file as is; else ``NAME`` or ``NAME.toml`` in the scenario directories."""
    given = Path(name_or_path)
    if given.is_file():
        return given
    name = str(name_or_path)
    for d in _scenario_dirs():
        for candidate in (d / name, d / f"{name}.toml"):
            if candidate.is_file():
                return candidate
    available = ", ".join(p.stem for p in list_scenarios()) or "none"
    where = " or ".join(
        dict.fromkeys(str(d) for d in (Path.cwd() / SCENARIO_DIR, REPO_ROOT / SCENARIO_DIR))
    )
    raise ConfigError(
        name,
        [("(file)", f"no such scenario file, nor {name!r} in {where}; available: {available}")],
    )


def check_event(kind: str, params: dict[str, Any]) -> None:
    """Validate a live event's kind and magnitudes (no time needed) as a file's would be,
    with strict types (a number must be a number, not ``true`` or ``"5"``); raise
    ConfigError with keys named as in a scenario file."""
    cls = _EVENT_CLASSES.get(kind)
    if cls is None:
        known = ", ".join(EVENT_KINDS)
        raise ConfigError("(live event)", [("kind", f"unknown event kind; known: {known}")])
    try:
        cls.model_validate({**params, "at": "start", "kind": kind}, strict=True)
    except ValidationError as exc:
        raise ConfigError("(live event)", problems_from(exc)) from None


def make_event(kind: str, at_s: float, timeline: Timeline, **params: Any) -> Any:
    """An event injected live (from the instructor console), validated like one in a file.

    A live session may run past the scenario's planned end, so the event's own end (not
    the plan's) bounds it. Raises ConfigError with keys named as in a scenario file.
    """
    where = "(live event)"
    cls = _EVENT_CLASSES.get(kind)
    if cls is None:
        raise ConfigError(
            where, [("kind", f"unknown event kind {kind!r}; known: " + ", ".join(EVENT_KINDS))]
        )
    try:
        event = cls.model_validate({"at": f"start+{float(at_s)}s", "kind": kind, **params})
    except ValidationError as exc:
        raise ConfigError(where, problems_from(exc)) from None
    horizon = float(at_s) + event.duration_min * 60.0 + 3600.0
    event._resolve(replace(timeline, end_s=max(timeline.end_s, horizon)))
    return event
