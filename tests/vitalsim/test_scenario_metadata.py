"""vitalsim.scenario as a package: its public names, its paths, and the words its event
models carry for a nurse-facing form (titles, suggested starting values, derived rules)."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path
from typing import Any

import pytest
from annotated_types import Ge, Gt, Le, Lt

from vitalsim import scenario
from vitalsim.scenario import EVENT_KINDS, EVENT_TITLES, ConfigError, Timeline, make_event

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
NOT_ASKED = ("at", "kind")
"""Keys of an event model that a form does not ask for (the time and the kind)."""

# The wording the instructor's event form has used; the models must say exactly this.
KIND_TITLES = {
    "hypertensive_surge": "Hypertensive surge",
    "tachycardia": "Tachycardia",
    "vasovagal": "Vasovagal episode",
    "desaturation": "Desaturation",
    "emergence_anxiety": "Emergence anxiety",
    "nausea": "Nausea",
    "motion_artefacts": "Motion artefacts",
    "probe_off": "SpO₂ probe off",
    "cuff_failure": "NIBP cuff failure",
}
FIELD_TITLES = {
    "sbp_rise_mmhg": "SBP rise",
    "dbp_rise_mmhg": "DBP rise",
    "hr_rise_bpm": "HR rise",
    "hr_drop_bpm": "HR drop",
    "sbp_drop_mmhg": "SBP drop",
    "dbp_drop_mmhg": "DBP drop",
    "spo2_drop_pct": "SpO₂ drop",
    "rr_drop_per_min": "RR drop",
    "cause": "Cause",
    "anxiety": "Anxiety",
    "severity": "Severity",
    "episodes_per_min": "Episodes",
    "onset_min": "Onset",
    "duration_min": "Duration",
    "offset_min": "Offset",
}
SUGGESTED = {
    ("hypertensive_surge", "sbp_rise_mmhg"): 40,
    ("tachycardia", "hr_rise_bpm"): 30,
    ("vasovagal", "hr_drop_bpm"): 25,
    ("vasovagal", "sbp_drop_mmhg"): 40,
    ("desaturation", "spo2_drop_pct"): 10,
    ("emergence_anxiety", "anxiety"): 0.6,
    ("nausea", "severity"): 6,
    ("motion_artefacts", "episodes_per_min"): 4,
    **{(kind, "duration_min"): 10 for kind in KIND_TITLES},
}
DERIVED = {
    ("hypertensive_surge", "dbp_rise_mmhg"): "0.6 × SBP rise",
    ("vasovagal", "dbp_drop_mmhg"): "0.6 × SBP drop",
}

# Every name imported from vitalsim.scenario somewhere in the repository before the split.
IMPORTED_ELSEWHERE = (
    "ANCHORS",
    "DRUGS",
    "EVENT_KINDS",
    "ConfigError",
    "ExpectedResponse",
    "HypertensiveSurge",
    "NibpSettings",
    "PatientSpec",
    "Scenario",
    "Timeline",
    "check_event",
    "drug_check",
    "find_scenario",
    "known_drug",
    "list_scenarios",
    "load_scenario",
    "make_event",
    "parse_time_ref",
)


def _event_models() -> dict[str, Any]:
    """Each kind's model, found as the monitor's adapter finds them: through ``__all__``."""
    out: dict[str, Any] = {}
    for name in scenario.__all__:
        obj = getattr(scenario, name)
        fields = getattr(obj, "model_fields", None)
        if isinstance(obj, type) and fields and "kind" in fields:
            for value in getattr(fields["kind"].annotation, "__args__", ()):
                if value in EVENT_KINDS:
                    out[value] = obj
    return out


MODELS = _event_models()


def _extra(info: Any) -> dict[str, Any]:
    return info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}


def _within_bounds(info: Any, value: float) -> bool:
    for m in info.metadata:
        if isinstance(m, Gt) and not value > m.gt:
            return False
        if isinstance(m, Ge) and not value >= m.ge:
            return False
        if isinstance(m, Lt) and not value < m.lt:
            return False
        if isinstance(m, Le) and not value <= m.le:
            return False
    return True


def _asked(kind: str) -> dict[str, Any]:
    return {k: f for k, f in MODELS[kind].model_fields.items() if k not in NOT_ASKED}


# --------------------------------------------------------------------------- the package


def test_every_public_name_imports_from_the_package():
    assert len(set(scenario.__all__)) == len(scenario.__all__)
    for name in scenario.__all__:
        assert getattr(scenario, name) is not None, name
    namespace: dict[str, Any] = {}
    exec(f"from vitalsim.scenario import {', '.join(scenario.__all__)}", namespace)
    assert set(scenario.__all__) <= namespace.keys()


@pytest.mark.parametrize("name", IMPORTED_ELSEWHERE)
def test_names_the_repository_imports_are_public(name: str):
    assert name in scenario.__all__
    assert getattr(importlib.import_module("vitalsim.scenario"), name) is not None


def test_the_lazy_top_level_names_still_resolve():
    import vitalsim

    for name in ("Scenario", "find_scenario", "list_scenarios", "load_scenario", "make_event"):
        assert getattr(vitalsim, name) is getattr(scenario, name)


def test_the_modules_behind_the_package_are_private():
    package = Path(scenario.__file__).parent
    modules = [p.stem for p in package.glob("*.py") if p.stem != "__init__"]
    assert modules
    assert all(m.startswith("_") for m in modules), modules


def test_the_adapter_finds_a_model_for_every_event_kind_through_all():
    assert set(MODELS) == set(EVENT_KINDS)


def test_paths_point_where_they_did_before_the_move():
    from vitalsim.scenario import _file

    assert _file.REPO_ROOT == REPO
    assert (_file.REPO_ROOT / _file.SCENARIO_DIR).is_dir()
    shipped = Path(importlib.import_module("vitalsim").__file__).resolve().parent / "_scenarios"
    assert shipped == _file.SHIPPED_SCENARIOS


def test_the_wheel_ships_the_package_and_its_scenarios():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    wheel = config["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert "simulators/vitalsim" in wheel["packages"]  # subpackages come with it
    assert wheel["force-include"]["config/scenarios"] == "vitalsim/_scenarios"


# --------------------------------------------------------------------------- the words


def test_every_event_kind_has_its_title():
    assert EVENT_TITLES == KIND_TITLES
    for kind, model in MODELS.items():
        assert model.model_config.get("title") == KIND_TITLES[kind]


def test_every_field_a_form_asks_for_has_its_title():
    for kind in EVENT_KINDS:
        for key, info in _asked(kind).items():
            assert info.title == FIELD_TITLES[key], (kind, key)


def test_required_fields_have_a_suggested_value_within_their_bounds():
    seen = {}
    for kind in EVENT_KINDS:
        for key, info in _asked(kind).items():
            suggested = _extra(info).get("suggested")
            if info.is_required():
                assert suggested is not None, (kind, key)
            if suggested is not None:
                assert info.is_required(), (kind, key)  # a default already says where to start
                assert _within_bounds(info, suggested), (kind, key, suggested)
                seen[(kind, key)] = suggested
    assert seen == SUGGESTED


def test_derived_defaults_are_named_on_the_optional_magnitudes():
    seen = {}
    for kind in EVENT_KINDS:
        for key, info in _asked(kind).items():
            derived = _extra(info).get("derived")
            if derived is not None:
                assert not info.is_required(), (kind, key)
                assert info.default is None, (kind, key)
                seen[(kind, key)] = derived
    assert seen == DERIVED


def test_derived_rule_matches_what_the_model_computes():
    surge = MODELS["hypertensive_surge"].model_validate(
        {"at": "start", "kind": "hypertensive_surge", "sbp_rise_mmhg": 40, "duration_min": 10}
    )
    assert surge.dbp_rise_mmhg == pytest.approx(0.6 * 40)
    vaso = MODELS["vasovagal"].model_validate(
        {"at": "start", "kind": "vasovagal", "hr_drop_bpm": 25, "sbp_drop_mmhg": 40,
         "duration_min": 10}
    )  # fmt: skip
    assert vaso.dbp_drop_mmhg == pytest.approx(0.6 * 40)


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_an_event_made_from_the_suggested_values_is_accepted(kind: str):
    params = {key: value for (k, key), value in SUGGESTED.items() if k == kind}
    event = make_event(kind, 60.0, Timeline(600.0, 3000.0, 6600.0), **params)
    assert event.at_s == 60.0
    scenario.check_event(kind, params)


def test_titles_leave_the_tables_strict_and_closed():
    with pytest.raises(ConfigError, match="sbp_rise_mm"):
        scenario.check_event("hypertensive_surge", {"sbp_rise_mm": 40, "duration_min": 10})
    with pytest.raises(ConfigError):
        scenario.check_event("hypertensive_surge", {"sbp_rise_mmhg": "40", "duration_min": 10})
