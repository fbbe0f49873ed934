"""Scenario files: loading, time resolution, and one clear error per user mistake."""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vitalsim.scenario import (
    ANCHORS,
    ConfigError,
    HypertensiveSurge,
    Scenario,
    Timeline,
    find_scenario,
    list_scenarios,
    load_scenario,
    parse_time_ref,
)

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
SHIPPED = sorted((REPO / "config" / "scenarios").glob("*.toml"))

BASE = """\
[scenario]
name = "Test"

[patient]
sbp_mmhg = 140
dbp_mmhg = 85

[protocol]
baseline_min = 10
dose_mg_per_kg = 0.5
over_min = 40
observation_min = 60

[[events]]
at = "infusion+25min"
kind = "hypertensive_surge"
sbp_rise_mmhg = 35
duration_min = 15

[[events]]
at = "observation+5min"
kind = "nausea"
severity = 4
duration_min = 10

[[actions]]
at = "infusion+32min"
kind = "pause_pump"
"""

BASE_DICT: dict[str, Any] = {
    "scenario": {"name": "Test"},
    "protocol": {"baseline_min": 10, "dose_mg_per_kg": 0.5, "over_min": 40},
    "events": [
        {"at": "infusion+25min", "kind": "hypertensive_surge", "sbp_rise_mmhg": 35,
         "duration_min": 15},
    ],
}  # fmt: skip

# baseline 10 min, infusion 40 min, observation 60 min
INF_START, INF_END, END = 600.0, 3000.0, 6600.0


def write(tmp_path: Path, text: str, name: str = "bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def variant(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


# --------------------------------------------------------------------------- shipped files


def test_at_least_the_required_scenarios_ship():
    names = {p.stem for p in SHIPPED}
    assert {
        "uneventful-depression",
        "hypertensive-responder",
        "vasovagal-observation",
        "desaturation-cosedative",
        "artefact-heavy",
        "chronic-pain-4h",
    } <= names
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", n) for n in names)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_scenario_loads(path: Path):
    s = load_scenario(path)
    assert s.name
    assert s.path == path
    assert 0 < s.timeline.infusion_start_s < s.timeline.infusion_end_s <= s.timeline.end_s
    assert s.timeline.end_s <= 12 * 3600
    for e in s.events:
        assert 0 <= e.at_s < e.end_s <= e.effect_end_s <= s.timeline.end_s
    for a in s.actions:
        assert 0 <= a.at_s < s.timeline.end_s
    assert [e.at_s for e in s.events] == sorted(e.at_s for e in s.events)


def test_shipped_scenarios_say_what_the_brief_asks():
    def load(name: str) -> Scenario:
        return load_scenario(find_scenario(name))

    s = load("uneventful-depression")
    assert (s.protocol.dose_mg_per_kg, s.protocol.over_min) == (0.5, 40)
    assert (s.protocol.baseline_min, s.protocol.observation_min) == (10, 60)
    assert s.patient.hypertension == "none"
    assert 35 <= s.patient.age_years <= 45
    assert not s.events
    assert not s.actions
    assert not s.expected

    s = load("hypertensive-responder")
    assert s.patient.hypertension == "untreated"
    assert s.patient.sbp_sensitivity >= 2
    (surge,) = s.events
    assert isinstance(surge, HypertensiveSurge)
    assert surge.at_s == INF_START + 25 * 60
    (exp,) = s.expected
    assert exp.when == ["SYS_HI"]
    assert set(exp.do) == {"pause_pump", "set_rate", "stop_infusion"}
    assert exp.within_s == 180

    s = load("vasovagal-observation")
    assert s.events[0].kind == "vasovagal"
    assert s.events[0].at_s == INF_END + 15 * 60
    assert set(s.expected[0].when) == {"HR_LO", "SYS_LO"}
    assert s.expected[0].do == ["reposition"]
    assert s.expected[0].within_min == 2

    s = load("desaturation-cosedative")
    assert not s.events  # the co-sedatives do it, through the model
    drugs = {d.drug: d for d in s.co_sedatives}
    assert drugs["midazolam"].at_s < 0  # given on the ward: on board at the start
    assert drugs["midazolam"].dose_in_mg == 2.0
    assert drugs["fentanyl"].at_s == INF_START
    assert (s.expected[0].when, s.expected[0].do, s.expected[0].within_min) == (
        ["SPO2_LO"],
        ["oxygen_on"],
        1,
    )

    s = load("artefact-heavy")
    assert {e.kind for e in s.events} >= {"motion_artefacts", "probe_off", "cuff_failure"}

    s = load("chronic-pain-4h")
    assert (s.protocol.rate_mg_per_kg_h, s.protocol.for_min) == (0.5, 240)
    assert s.nibp.infusion_every_min == 10  # clinical.md: every 10 min during the infusion
    assert "chronic-pain" in find_scenario("chronic-pain-4h").name


# --------------------------------------------------------------------------- times


def test_times_resolve_to_seconds(tmp_path: Path):
    s = load_scenario(write(tmp_path, BASE, "ok.toml"))
    assert s.timeline == Timeline(INF_START, INF_END, END)
    surge, nausea = s.events
    assert surge.at_s == 2100.0  # infusion+25min with a 10 min baseline
    assert (surge.onset_s, surge.duration_s, surge.offset_s) == (120.0, 900.0, 300.0)
    assert surge.end_s == 2100.0 + 900  # the plateau ends, the ramp down begins
    assert surge.effect_end_s == 2100.0 + 900 + 300
    assert not surge.clipped
    assert surge.dbp_rise_mmhg == pytest.approx(0.6 * 35)
    assert nausea.at_s == INF_END + 300
    assert s.actions[0].at_s == 600.0 + 32 * 60
    assert s.actions[0].actor == "trainee"
    assert s.actions[0].params == {}
    assert s.nibp.interval_s("baseline") == s.nibp.baseline_every_s == 300
    assert s.nibp.interval_s("infusion") == 600
    assert s.nibp.observation_every_s == 900


def test_action_params_and_defaults(tmp_path: Path):
    text = BASE + (
        '\n[[actions]]\nat = "infusion+1min"\nkind = "set_rate"\nrate_mg_per_kg_h = 0.3\n'
        '\n[[actions]]\nat = "infusion+2min"\nkind = "give_antihypertensive"\ndose_mg = 10\n'
        '\n[[actions]]\nat = "infusion+3min"\nkind = "oxygen_on"\nactor = "instructor"\n'
    )
    s = load_scenario(write(tmp_path, text, "actions.toml"))
    kinds = [(a.kind, a.at_s, a.actor, a.params) for a in s.actions]  # in time order
    assert kinds == [
        ("set_rate", 660.0, "trainee", {"rate_mg_per_kg_h": 0.3}),
        ("give_antihypertensive", 720.0, "trainee", {"drug": "labetalol", "dose_mg": 10}),
        ("oxygen_on", 780.0, "instructor", {"flow_l_min": 2.0}),
        ("pause_pump", 2520.0, "trainee", {}),
    ]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("start", 0.0),
        ("infusion", INF_START),
        ("infusion_end", INF_END),
        ("observation", INF_END),
        ("infusion+25min", 2100.0),
        ("  infusion +  2.5 min ", INF_START + 150),
        ("infusion+0.5h", INF_START + 1800),
        ("end - 90 s", END - 90),
        ("observation-.5min", INF_END - 30),
        ("start+90s", 90.0),
    ],
)
def test_at_grammar(text: str, seconds: float):
    tl = Timeline(INF_START, INF_END, END)
    assert tl.resolve(parse_time_ref(text)) == pytest.approx(seconds)


def test_phases_and_rate_schedule(tmp_path: Path):
    s = load_scenario(write(tmp_path, BASE, "ok.toml"))
    tl = s.timeline
    assert [tl.phase_at(t) for t in (0, 599.9, 600, 2999, 3000, 6599)] == [
        "baseline",
        "baseline",
        "infusion",
        "infusion",
        "observation",
        "observation",
    ]
    assert s.rate_schedule(70) == [(0.0, 0.0), (600.0, pytest.approx(0.75)), (3000.0, 0.0)]
    assert s.protocol.total_dose_mg_per_kg == pytest.approx(0.5)

    long = variant("dose_mg_per_kg = 0.5\nover_min = 40", "rate_mg_per_kg_h = 0.5\nfor_min = 240")
    s = load_scenario(write(tmp_path, long, "long.toml"))
    assert s.rate_schedule(80) == [(0.0, 0.0), (600.0, 0.5), (600.0 + 240 * 60, 0.0)]
    assert s.timeline.end_s == 600 + 240 * 60 + 3600
    with pytest.raises(ValueError, match="weight_kg"):
        s.rate_schedule(0)


def test_event_level_ramps_and_clipping(tmp_path: Path):
    s = load_scenario(write(tmp_path, BASE, "ok.toml"))
    surge = s.events[0]
    t0 = surge.at_s
    assert surge.level_at(t0 - 1) == 0.0
    assert surge.level_at(t0 + 60) == pytest.approx(0.5)  # onset 2 min
    assert surge.level_at(t0 + 600) == 1.0
    assert surge.level_at(t0 + 900 + 150) == pytest.approx(0.5)  # offset 5 min
    assert surge.level_at(t0 + 1200) == 0.0
    levels = surge.level_at(np.array([t0, t0 + 120, t0 + 1200]))
    assert levels.tolist() == pytest.approx([0.0, 1.0, 0.0])
    assert surge.vital_deltas() == {"sbp_mmhg": 35, "dbp_mmhg": pytest.approx(21), "hr_bpm": 0}
    assert s.active_events(t0 + 10) == [surge]

    late = variant('at = "observation+5min"', 'at = "end-5min"')
    s = load_scenario(write(tmp_path, late, "late.toml"))
    nausea = s.events[1]
    assert nausea.clipped
    assert nausea.end_s == END  # the plateau would end 5 min after the session
    assert nausea.effect_end_s == END
    assert nausea.level_at(END - 1) > 0
    assert nausea.level_at(END) == 0.0


def test_device_events_have_no_ramps(tmp_path: Path):
    text = (
        variant('kind = "nausea"\nseverity = 4', 'kind = "probe_off"')
        + '\n[[events]]\nat = "start+1min"\nkind = "cuff_failure"\nduration_min = 3\n'
    )
    s = load_scenario(write(tmp_path, text, "dev.toml"))
    cuff = s.events[0]
    assert cuff.kind == "cuff_failure"
    assert cuff.onset_s == cuff.offset_s == 0
    assert cuff.level_at(60) == 1.0
    assert cuff.level_at(60 + 179) == 1.0
    assert cuff.level_at(240) == 0
    bad = text.replace('kind = "probe_off"', 'kind = "probe_off"\nonset_min = 1')
    err = load_error(write(tmp_path, bad))
    assert err.key == "events[2].onset_min"
    assert "unknown key" in err.reason


# --------------------------------------------------------------------------- errors


def load_error(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    err = info.value
    assert len(err.problems) == 1, str(err)
    assert str(err).startswith(f"{path}: {err.key}: ")
    return err


BAD_CASES = [
    pytest.param(
        variant('kind = "nausea"', 'kind = "nausae"'),
        "events[2].kind",
        ["unknown event kind", "'nausae'", "did you mean 'nausea'", "hypertensive_surge"],
        id="unknown-event-kind",
    ),
    pytest.param(
        variant('kind = "nausea"', 'kind = "seizure"'),
        "events[2].kind",
        ["unknown event kind", "known: hypertensive_surge, tachycardia, vasovagal"],
        id="unknown-event-kind-no-hint",
    ),
    pytest.param(
        variant("dose_mg_per_kg = 0.5", "dose_mg_per_kg = -0.5"),
        "protocol.dose_mg_per_kg",
        ["greater than 0", "-0.5"],
        id="negative-dose",
    ),
    pytest.param(
        variant('at = "observation+5min"', 'at = "end+5min"'),
        "events[2].at",
        ["event outside the session", "resolves to 115 min", "the session lasts 110 min"],
        id="event-after-the-end",
    ),
    pytest.param(
        variant('at = "infusion+32min"', 'at = "start-1min"'),
        "actions[1].at",
        ["action outside the session", "resolves to -1 min"],
        id="action-before-the-start",
    ),
    pytest.param(
        variant('at = "observation+5min"', 'at = "end"'),
        "events[2].at",
        ["outside the session"],
        id="event-at-the-end",
    ),
    pytest.param(
        variant("dose_mg_per_kg = 0.5", "dose_mg = 35"),
        "protocol.dose_mg",
        ["unknown key", "did you mean 'dose_mg_per_kg'", "mg/kg"],
        id="dose-in-mg",
    ),
    pytest.param(
        variant("duration_min = 15", "duration_s = 900"),
        "events[1].duration_s",
        ["unknown key", "did you mean 'duration_min'", "minutes"],
        id="duration-in-seconds",
    ),
    pytest.param(
        variant("baseline_min = 10", "baseline_h = 0.2"),
        "protocol.baseline_h",
        ["unknown key", "baseline_min"],
        id="baseline-in-hours",
    ),
    pytest.param(
        variant('at = "infusion+25min"', 'at = "infusion+25parsecs"'),
        "events[1].at",
        ["unknown unit 'parsecs'", "units: s, min, h", "anchors: start, infusion"],
        id="bad-at-unit",
    ),
    pytest.param(
        variant('at = "infusion+25min"', 'at = "induction+25min"'),
        "events[1].at",
        ["unknown anchor 'induction'", "<anchor>(+|-)<number><unit>"],
        id="bad-at-anchor",
    ),
    pytest.param(
        variant('at = "infusion+25min"', 'at = "infusion+25"'),
        "events[1].at",
        ["needs a unit"],
        id="at-without-unit",
    ),
    pytest.param(
        variant('at = "infusion+25min"', "at = 25"),
        "events[1].at",
        ["must be a quoted time"],
        id="at-not-a-string",
    ),
    pytest.param(
        variant('name = "Test"', 'name = "Test'),
        "(syntax)",
        ["not valid TOML", "line 2"],
        id="toml-syntax-error",
    ),
    pytest.param(
        variant("over_min = 40", "over_min = 40\nrate_mg_per_kg_h = 0.5\nfor_min = 240"),
        "protocol",
        ["exactly one dosing form", "rate_mg_per_kg_h"],
        id="both-dosing-forms",
    ),
    pytest.param(
        variant("dose_mg_per_kg = 0.5\nover_min = 40\n", ""),
        "protocol",
        ["no dose given"],
        id="no-dosing-form",
    ),
    pytest.param(
        variant("over_min = 40\n", ""),
        "protocol.over_min",
        ["required with dose_mg_per_kg"],
        id="dose-without-time",
    ),
    pytest.param(
        variant("sbp_rise_mmhg = 35\n", ""),
        "events[1].sbp_rise_mmhg",
        ["required key is missing"],
        id="missing-magnitude",
    ),
    pytest.param(
        variant('name = "Test"\n', ""),
        "scenario.name",
        ["required key is missing"],
        id="missing-name",
    ),
    pytest.param(
        variant('kind = "pause_pump"\n', ""),
        "actions[1].kind",
        ["required key is missing", "pause_pump"],
        id="missing-action-kind",
    ),
    pytest.param(
        variant("sbp_mmhg = 140\ndbp_mmhg = 85", "sbp_mmhg = 100\ndbp_mmhg = 100"),
        "patient.dbp_mmhg",
        ["must be below sbp_mmhg = 100", "got 100"],
        id="dbp-not-below-sbp",
    ),
    pytest.param(
        variant("observation_min = 60", "observation_min = 700"),
        "protocol",
        ["12.5 h", "at most 12 h"],
        id="longer-than-12h",
    ),
    pytest.param(
        variant("duration_min = 15", "duration_min = 15\nonset_min = 20"),
        "events[1].onset_min",
        ["must not exceed duration_min = 15"],
        id="onset-longer-than-plateau",
    ),
    pytest.param(
        variant("sbp_rise_mmhg = 35", 'sbp_rise_mmhg = "35"'),
        "events[1].sbp_rise_mmhg",
        ["valid number"],
        id="number-as-string",
    ),
    pytest.param(
        variant("severity = 4", "severity = nan"),
        "events[2].severity",
        ["finite number"],
        id="nan",
    ),
    pytest.param(
        BASE.split("[[events]]")[0] + '[events]\nat = "start"\nkind = "nausea"\n',
        "events",
        ["array of tables", "[[events]]"],
        id="events-not-an-array",
    ),
    pytest.param(
        variant("[patient]", "[patients]"),
        "patients",
        ["unknown key", "did you mean 'patient'"],
        id="misspelt-table",
    ),
    pytest.param(
        variant("sbp_mmhg = 140", 'sbp_mmhg = 140\nsex = "f"'),
        "patient.sex",
        ["'female'", "'male'"],
        id="bad-sex",
    ),
    pytest.param(
        BASE + '\n[[expected]]\nwhen = "SYS_HIGH"\ndo = "pause_pump"\nwithin_min = 3\n',
        "expected[1].when",
        ["unknown alarm condition", "did you mean 'SYS_HI'"],
        id="unknown-condition",
    ),
    pytest.param(
        BASE + '\n[[expected]]\nwhen = "SYS_HI"\ndo = ["pause_pump", "pause"]\nwithin_min = 3\n',
        "expected[1].do[2]",
        ["unknown action kind", "pause_pump"],
        id="unknown-expected-action",
    ),
    pytest.param(
        variant('kind = "pause_pump"', 'kind = "set_rate"\nrate_mg_per_kg_h = 4'),
        "actions[1].rate_mg_per_kg_h",
        ["less than or equal to 3"],
        id="rate-too-high",
    ),
]


@pytest.mark.parametrize(("text", "key", "fragments"), BAD_CASES)
def test_bad_file_gives_one_clear_error(tmp_path: Path, text: str, key: str, fragments: list):
    path = write(tmp_path, text)
    err = load_error(path)
    assert err.path == str(path)
    assert err.key == key, str(err)
    for fragment in fragments:
        assert fragment in err.reason, f"{fragment!r} not in {str(err)!r}"
    assert "Traceback" not in str(err)
    assert "pydantic" not in str(err)


def test_missing_and_unreadable_files(tmp_path: Path):
    err = load_error(tmp_path / "absent.toml")
    assert err.key == "(file)"
    assert "no such file" in err.reason
    err = load_error(tmp_path)  # a directory
    assert err.key == "(file)"
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'[scenario]\nname = "\xe9"\n')
    assert load_error(path).key == "(file)"


def test_from_dict_reports_the_given_name():
    data = copy.deepcopy(BASE_DICT)
    data["events"][0]["kind"] = "nope"
    with pytest.raises(ConfigError, match=r"^mem\.toml: events\[1\]\.kind: unknown event kind"):
        Scenario.from_dict(data, "mem.toml")


# --------------------------------------------------------------------------- finding files


def test_find_scenario_by_name_path_and_directory(tmp_path: Path, monkeypatch):
    shipped = REPO / "config" / "scenarios" / "artefact-heavy.toml"
    monkeypatch.chdir(tmp_path)  # nothing here: falls back to the repository's scenarios
    assert find_scenario("artefact-heavy") == shipped
    assert find_scenario("artefact-heavy.toml") == shipped
    assert find_scenario(shipped) == shipped
    own = write(tmp_path, BASE, "mine.toml")
    assert find_scenario("mine.toml") == Path("mine.toml")  # an existing path, as is
    local = tmp_path / "config" / "scenarios"
    local.mkdir(parents=True)
    (local / "artefact-heavy.toml").write_text(BASE)  # the current directory wins
    (local / "custom.toml").write_text(BASE)
    assert find_scenario("artefact-heavy") == local / "artefact-heavy.toml"
    assert find_scenario("custom") == local / "custom.toml"
    names = [p.stem for p in list_scenarios()]
    assert names == sorted(names)
    assert "custom" in names
    assert "uneventful-depression" in names
    assert own.exists()


def test_find_scenario_not_found_lists_available(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        find_scenario("hypertensive")
    msg = str(info.value)
    assert msg.startswith("hypertensive: (file): no such scenario")
    assert "available:" in msg
    assert "hypertensive-responder" in msg


# --------------------------------------------------------------------------- properties

_TL = Timeline(INF_START, INF_END, END)
_UNITS = {"s": 1.0, "min": 60.0, "h": 3600.0}
_SPACE = st.sampled_from(["", " ", "  ", "\t"])
_REFERENCE = re.compile(
    r"\s*(start|infusion|infusion_end|observation|end)"
    r"(\s*[+-]\s*([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*(s|min|h))?\s*"
)


def _outcome(data: dict[str, Any]) -> tuple[Scenario | None, ConfigError | None]:
    """Load ``data``; return the scenario or the ConfigError (any other exception escapes)."""
    try:
        return Scenario.from_dict(data, "mem.toml"), None
    except ConfigError as exc:
        return None, exc


def _with_at(at: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE_DICT)
    data["events"][0]["at"] = at
    return data


@settings(deadline=None)
@given(
    anchor=st.sampled_from(ANCHORS),
    sign=st.sampled_from("+-"),
    whole=st.integers(0, 800),
    frac=st.text("0123456789", max_size=3),
    unit=st.sampled_from(sorted(_UNITS)),
    spaces=st.tuples(_SPACE, _SPACE, _SPACE, _SPACE, _SPACE),
)
def test_at_round_trips(anchor, sign, whole, frac, unit, spaces):
    number = f"{whole}.{frac}" if frac else str(whole)
    a, b, c, d, e = spaces
    text = f"{a}{anchor}{b}{sign}{c}{number}{d}{unit}{e}"
    offset = float(number) * _UNITS[unit] * (1 if sign == "+" else -1)
    expected = _TL.anchor_s(anchor) + offset
    ref = parse_time_ref(text)
    assert (ref.anchor, ref.offset_s) == (anchor, pytest.approx(offset))
    assert _TL.resolve(ref) == pytest.approx(expected)
    if 0 <= expected < END and not math.isclose(expected, END):
        scenario = Scenario.from_dict(_with_at(text))
        assert scenario.events[0].at_s == pytest.approx(expected)
    else:
        with pytest.raises(ConfigError) as info:
            Scenario.from_dict(_with_at(text))
        assert info.value.key == "events[1].at"
        assert "outside the session" in info.value.reason


@settings(deadline=None)
@given(
    st.one_of(st.text(), st.from_regex(r"\s*[a-z_]+\s*[+-]?\s*[0-9.]*\s*[a-z]*", fullmatch=True))
)
def test_garbage_at_gives_config_error(text: str):
    scenario, exc = _outcome(_with_at(text))
    if exc is not None:
        assert exc.key == "events[1].at", str(exc)
        assert len(exc.problems) == 1
    else:
        assert _REFERENCE.fullmatch(text)
        assert 0 <= scenario.events[0].at_s < END


_JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats()
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(deadline=None)
@given(data=st.data())
def test_any_value_anywhere_gives_config_error_or_a_scenario(data):
    doc = copy.deepcopy(BASE_DICT)
    doc["actions"] = [{"at": "start", "kind": "oxygen_on"}]
    doc["expected"] = [{"when": "SYS_HI", "do": "reposition", "within_min": 3}]
    doc["patient"] = {"sbp_mmhg": 140}
    doc["nibp"] = {}
    # Pick a table (or an item of an array of tables) and set one key to anything.
    tables = [doc["scenario"], doc["protocol"], doc["patient"], doc["nibp"],
              doc["events"][0], doc["actions"][0], doc["expected"][0]]  # fmt: skip
    table = data.draw(st.sampled_from(tables))
    keys = [*table, "at", "kind", "dbp_mmhg", "duration_min", "seed", "x"]
    table[data.draw(st.sampled_from(keys))] = data.draw(_JSONISH)
    _, exc = _outcome(doc)
    if exc is not None:
        assert exc.problems
        assert all(key and reason for key, reason in exc.problems)


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60, deadline=None
)
@given(content=st.one_of(st.text(), st.binary()))
def test_garbage_files_give_config_error(tmp_path: Path, content):
    path = tmp_path / "garbage.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    assert str(info.value).startswith(f"{path}: ")
