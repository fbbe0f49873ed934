"""A whole scenario file: the document model, the loaded :class:`Scenario`, and where
scenario files are found (``config/scenarios/`` here or in the checkout, else the copy
packed into an installed wheel).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from vitalsim._drugs import DRUG_MODELS, over_the_maximum
from vitalsim._tomlconfig import ConfigError, load_toml_model, problems_from

from ._actions import ACTION_KINDS, Action
from ._cosedatives import MAX_BEFORE_S, CoSedative
from ._events import EVENT_KINDS, Event
from ._expected import ExpectedResponse
from ._tables import NibpSettings, PatientSpec, Protocol, ScenarioInfo
from ._time import Timeline, _minutes
from ._validation import _error, _Model, _raise

# This file is simulators/vitalsim/scenario/_file.py in a checkout; the wheel packs
# config/scenarios as vitalsim/_scenarios (pyproject.toml, force-include).
REPO_ROOT = Path(__file__).resolve().parents[3]
SCENARIO_DIR = Path("config") / "scenarios"
SHIPPED_SCENARIOS = Path(__file__).resolve().parents[1] / "_scenarios"
"""The scenarios packed into an installed wheel (absent in a checkout)."""


class ScenarioFile(_Model):
    """The whole TOML document, validated; :class:`Scenario` is what callers use."""

    scenario: ScenarioInfo
    patient: PatientSpec = Field(default_factory=PatientSpec)
    protocol: Protocol
    nibp: NibpSettings = Field(default_factory=NibpSettings)
    events: list[Event] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    expected: list[ExpectedResponse] = Field(default_factory=list)
    co_sedatives: list[CoSedative] = Field(default_factory=list)

    @field_validator("events", "actions", "expected", "co_sedatives", mode="before")
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
        for i, dose in enumerate(self.co_sedatives):
            t = dose._resolve(timeline)
            if not -MAX_BEFORE_S <= t < timeline.end_s:
                where = (
                    "after the session: it lasts " + _minutes(timeline.end_s)
                    if t >= timeline.end_s
                    else "more than 12 h before the session start"
                )
                errors.append(_error(("co_sedatives", i, "at"),
                                     f"co-sedative given {where} (resolves to {_minutes(t)})",
                                     str(dose.at)))  # fmt: skip
        _raise(errors)
        return self

    @model_validator(mode="after")
    def _within_drug_maxima(self) -> Self:
        """Scripted boluses, in time order, may not pass a drug's label maximum (the
        engine would refuse the one that does)."""
        given: dict[str, float] = {}
        errors = []
        order = sorted(range(len(self.actions)), key=lambda i: self.actions[i].at_s)
        for i in order:
            params = self.actions[i].params
            drug, dose = params.get("drug"), params.get("dose_mg")
            if drug not in DRUG_MODELS or dose is None:
                continue
            why = over_the_maximum(drug, given.get(drug, 0.0), float(dose))
            if why:
                errors.append(_error(("actions", i, "dose_mg"), why, {}))  # it names the dose
            else:
                given[drug] = given.get(drug, 0.0) + float(dose)
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
    co_sedatives: tuple[CoSedative, ...] = ()
    """Sedatives given apart from the infusion (IV boluses), in time order."""

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
            co_sedatives=tuple(sorted(doc.co_sedatives, key=lambda d: d.at_s)),
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
