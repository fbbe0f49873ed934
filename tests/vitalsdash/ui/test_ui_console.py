"""The instructor console and the settings page, called as plain functions."""

from __future__ import annotations

import json
import re

import pytest
from dash import Patch, html
from dash._utils import stringify_id
from infusion_start import start_infusion

from vitalsdash import channels
from vitalsdash.actions import ActionError
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store
from vitalsdash.ui import theme
from vitalsdash.ui.instructor import actions as instructor_actions
from vitalsdash.ui.instructor import activity as instructor_activity
from vitalsdash.ui.instructor import events as instructor_events
from vitalsdash.ui.instructor import forms as instructor_forms
from vitalsdash.ui.instructor import live as instructor_live
from vitalsdash.ui.instructor import truth as instructor_truth
from vitalsdash.ui.settings import limits as settings_limits
from vitalsdash.ui.settings import live as settings_live
from vitalsdash.ui.settings import log as settings_log
from vitalsim import ConfigError, find_scenario, load_scenario, make_event
from vitalsim.scenario import EVENT_KINDS

pytestmark = pytest.mark.unit
CONSOLE_CSS = theme.ASSETS / "console.css"


@pytest.fixture
def rt(tmp_path):
    beds = [
        BedConfig(id="chair1", scenario="hypertensive-responder", seed=12),
        BedConfig(id="chair2", scenario="uneventful-depression", seed=11, autostart=False),
    ]
    store = Store(str(tmp_path / "console.sqlite"))
    runtime = Runtime(
        ClinicConfig(clinic=ClinicSection(speed=60), beds=beds),
        store,
        Feed(store),
        clock=ManualClock(),
    )
    runtime.start()
    runtime.advance(600)  # the end of chair1's baseline: its infusion is started
    start_infusion(runtime, "chair1")
    runtime.advance(300)  # 5 minutes into chair1's infusion
    yield runtime
    store.close()


def _json(value) -> str:
    from plotly.utils import PlotlyJSONEncoder

    return json.dumps(value, cls=PlotlyJSONEncoder)


# -- the event form ------------------------------------------------------------------------


def test_every_event_kind_has_a_form_with_its_required_keys() -> None:
    assert set(instructor_events.FORMS) == set(EVENT_KINDS)
    for kind, form in instructor_events.FORMS.items():
        keys = {f.key for f in (*form.magnitudes, *form.timing)}
        assert "duration_min" in keys, kind
        for f in form.magnitudes:
            assert f.label, (kind, f.key)
            assert "_" not in f.label, (kind, f.key)
    surge = {f.key: f for f in instructor_events.FORMS["hypertensive_surge"].magnitudes}
    assert surge["sbp_rise_mmhg"].required
    assert surge["sbp_rise_mmhg"].hint == "0 < x ≤ 120"
    assert surge["sbp_rise_mmhg"].unit == "mmHg"
    assert not surge["dbp_rise_mmhg"].required
    assert surge["dbp_rise_mmhg"].start is None  # empty: 0.6 x the SBP rise
    assert surge["dbp_rise_mmhg"].derived == "0.6 × SBP rise"  # the input's placeholder
    assert surge["sbp_rise_mmhg"].start == 40  # the model's suggested value
    assert (surge["sbp_rise_mmhg"].label, surge["hr_rise_bpm"].label) == ("SBP rise", "HR rise")
    assert instructor_events.FORMS["vasovagal"].label == "Vasovagal episode"
    assert [f.key for f in instructor_events.FORMS["probe_off"].timing] == ["duration_min"]


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_the_form_as_it_opens_makes_a_valid_event(kind: str) -> None:
    form = instructor_events.FORMS[kind]
    values = {f.key: f.start for f in (*form.magnitudes, *form.timing)}
    got_kind, params = instructor_events.params(kind, values)
    assert got_kind == kind
    timeline = load_scenario(find_scenario("uneventful-depression")).timeline
    event = make_event(kind, 600.0, timeline, **params)
    duration = next(f for f in form.timing if f.key == "duration_min")
    assert event.duration_min == duration.start == 10  # the models' suggested duration
    assert instructor_events.describe(kind, params).startswith(form.label)


def test_form_values_become_params_and_blanks_say_what_is_missing() -> None:
    kind, p = instructor_events.params(
        "hypertensive_surge",
        {
            "sbp_rise_mmhg": "60",
            "dbp_rise_mmhg": "",
            "hr_rise_bpm": 0,
            "onset_min": 1,
            "duration_min": 20,
            "offset_min": None,
        },
    )
    assert p == {"sbp_rise_mmhg": 60.0, "hr_rise_bpm": 0.0, "onset_min": 1.0, "duration_min": 20.0}
    assert instructor_events.describe(kind, p) == (
        "Hypertensive surge: SBP rise 60 mmHg, HR rise 0 bpm · 20 min, onset 1 min"
    )
    with pytest.raises(ActionError, match=r"^Enter the SBP rise \(mmHg\) first\.$"):
        instructor_events.params("hypertensive_surge", {"duration_min": 5})
    with pytest.raises(ActionError, match="must be a number"):
        instructor_events.params("nausea", {"severity": "lots", "duration_min": 5})
    with pytest.raises(ActionError, match="Choose an event kind"):
        instructor_events.params("meteor", {})
    # ranges are the simulator's to check, and its message says which key and why
    with pytest.raises(ConfigError, match="sbp_rise_mmhg"):
        make_event(
            "hypertensive_surge",
            0.0,
            load_scenario(find_scenario("uneventful-depression")).timeline,
            sbp_rise_mmhg=500,
            duration_min=5,
        )


def test_fields_follow_the_kind() -> None:
    def keys(kind: str) -> list[str]:
        found = re.findall(r"'key': '([a-z_]+)'", repr(instructor_events.fields("b", kind)))
        return found

    assert keys("tachycardia") == ["hr_rise_bpm", "onset_min", "duration_min", "offset_min"]
    assert keys("cuff_failure") == ["duration_min"]
    assert keys(None) == keys(instructor_events.DEFAULT_KIND)


def test_dom_ids_are_the_ones_dash_renders() -> None:
    for cid in ({"type": "ins-seed", "bed": "chair1"}, {"b": 1, "a": "x"}, "plain-id"):
        assert instructor_forms.dom_id(cid) == stringify_id(cid)


# -- truth and activity --------------------------------------------------------------------


def test_truth_values_are_formatted_and_missing_ones_dashed() -> None:
    v = instructor_truth.values(
        {
            "HR": 71.6,
            "NIBP_SYS": 151.2,
            "NIBP_DIA": 90.4,
            "NIBP_MAP": 110.6,
            "SPO2": 97.2,
            "RR": 14.0,
            "KET_CE": 180.44,
            "dissociation": 6.66,
            "sedation": 2.04,
            "nausea": 0.0,
            "anxiety": 0.123,
            "ETCO2": 44.4,
            "PACO2": 47.6,
            "VENTILATION": 0.634,
            "MIDAZOLAM_CE": 12.3,
            "FENTANYL_CE": 1.234,
            "PUMP_RATE": 0.75,
        }
    )
    assert v == {
        "HR": "72",
        "NIBP": "151/90 (111)",
        "SPO2": "97",
        "RR": "14",
        "KET_CE": "180",
        "dissociation": "6.7",
        "sedation": "2.0",
        "nausea": "0.0",
        "anxiety": "0.12",
        "ETCO2": "44",
        "PACO2": "48",
        "VENTILATION": "0.63",
        "MIDAZOLAM_CE": "12",
        "FENTANYL_CE": "1.23",
        "PUMP_RATE": "0.75",
    }
    assert set(instructor_truth.values(None).values()) == {"–"}
    assert set(instructor_truth.values(None)) == set(instructor_truth.KEYS)
    # NIBP without its diastolic is a dash; its mean is left out when unknown
    assert instructor_truth.values({"NIBP_SYS": 151.0})["NIBP"] == "–"
    assert instructor_truth.values({"NIBP_SYS": 151.0, "NIBP_DIA": 90.0})["NIBP"] == "151/90"


def test_truth_boxes_come_from_the_registry_and_the_simulator() -> None:
    boxes = {i.key: i for i in instructor_truth.ITEMS}
    assert list(boxes) == [
        "HR", "NIBP", "SPO2", "RR", "ETCO2", "KET_CE", "dissociation", "sedation", "nausea",
        "anxiety", "PACO2", "VENTILATION", "MIDAZOLAM_CE", "FENTANYL_CE", "PUMP_RATE",
    ]  # fmt: skip
    assert [(b.label, b.unit) for b in boxes.values()] == [
        ("HR", "bpm"), ("NIBP", "mmHg"), ("SpO₂", "%"), ("RR", "/min"), ("EtCO₂", "mmHg"),
        ("Ketamine Ce", "ng/mL"), ("Dissociation", "0–10"), ("Sedation", "0–10"),
        ("Nausea", "0–10"), ("Anxiety", "0–1"), ("PaCO₂ (arterial)", "mmHg"),
        ("Alveolar ventilation", "× resting"), ("Midazolam Ce", "ng/mL"),
        ("Fentanyl Ce", "ng/mL"), ("Pump rate", "mg/kg/h"),
    ]  # fmt: skip
    assert [b.css for b in boxes.values()] == [
        "t-hr", "t-nibp truth-wide", "t-spo2", "t-rr", "t-etco2", "t-drug", "t-feel", "t-feel",
        "t-feel", "t-feel", "t-feel", "t-feel", "t-drug", "t-drug", "t-drug",
    ]  # fmt: skip
    css = CONSOLE_CSS.read_text(encoding="utf-8")
    for b in boxes.values():  # a channel's colour is the registry's (inline --ch), or a class's
        if b.colour:
            assert b.colour == channels.get(b.main[0]).colour, b.key
        else:
            assert f".{b.css.split()[0]} " in css, b.key
    assert ".truth-wide " in css


def test_activity_merges_actions_and_alarms_newest_first() -> None:
    actions = [
        {
            "seq": 1,
            "t_s": 10.0,
            "actor": "instructor",
            "kind": "inject_event",
            "outcome": "ok",
            "params": {"kind": "nausea", "params": {"severity": 6, "duration_min": 10}},
        },
        {
            "seq": 2,
            "t_s": 30.0,
            "actor": "trainee",
            "kind": "acknowledge",
            "outcome": "ok",
            "params": {"condition": "SYS_HI"},
        },
        {
            "seq": 3,
            "t_s": 40.0,
            "actor": "trainee",
            "kind": "pause_pump",
            "outcome": "ok",
            "params": {},
        },
    ]
    alarms = [
        {
            "seq": 5,
            "t_s": 20.0,
            "condition": "SYS_HI",
            "event": "active",
            "priority": "HIGH",
            "value": 201.0,
            "limit_value": 200.0,
            "actor": "",
            "detail": {},
        },
        {
            "seq": 6,
            "t_s": 25.0,
            "condition": "SYS_HI",
            "event": "pending",
            "priority": "HIGH",
            "value": 201.0,
            "limit_value": 200.0,
            "actor": "",
            "detail": {},
        },
        {
            "seq": 7,
            "t_s": 30.0,
            "condition": "SYS_HI",
            "event": "acknowledged",
            "priority": "HIGH",
            "value": 201.0,
            "limit_value": None,
            "actor": "trainee",
            "detail": {"after_s": 10.0},
        },
    ]
    rows = instructor_activity.rows(actions, alarms)
    assert [(r.who, r.text) for r in rows] == [
        ("trainee", "Pump paused"),
        ("trainee", "Acknowledged Systolic high after 10 s"),  # once, from the alarm log
        ("alarm", "*** Systolic high 201 (limit 200)"),
        ("instructor", "Injected Nausea: Severity 6 · 10 min"),
    ]
    assert rows[2].priority == "HIGH"
    many = [{**actions[2], "seq": i, "t_s": float(i)} for i in range(40)]
    assert len(instructor_activity.rows(many, [])) == instructor_activity.CAP


def test_new_rows_are_prepended_and_the_list_capped() -> None:
    row = instructor_activity.Row(5.0, 2, "trainee", "Reassured", "")
    p, shown = instructor_activity.patch([row, row, row], shown=instructor_activity.CAP - 1)
    assert isinstance(p, Patch)
    ops = p.to_plotly_json()["operations"]
    assert [o["operation"] for o in ops] == ["Prepend"] * 3 + ["Delete"] * 2
    assert [o["location"] for o in ops[3:]] == [[13], [12]]
    assert shown == instructor_activity.CAP
    p, shown = instructor_activity.patch([row], shown=0)  # the placeholder goes first
    assert [o["operation"] for o in p.to_plotly_json()["operations"]] == ["Clear", "Prepend"]
    assert shown == 1


# -- the console's tick and actions ----------------------------------------------------------


def test_the_tick_sends_everything_once_then_only_changes(rt: Runtime) -> None:
    first = instructor_live.bed_tick(rt, "chair1", None)
    assert first["status"] == "Infusion · 0:15:00"
    assert first["patient"].startswith("Hypertensive responder · seed 12")
    assert first["card"] == "ins-card st-running"
    truth = rt.beds["chair1"].session.source.truth()
    assert first["HR"] == f"{truth['HR']:.0f}"
    assert len(first["activity"]) >= 1
    cursor = first["cursor"]
    assert len(_json(cursor)) < 400
    again = instructor_live.bed_tick(rt, "chair1", cursor)
    assert set(again) == {"cursor"}  # nothing moved
    rt.submit("chair1", "reassure", {}, "trainee")
    rt.advance(1)
    nxt = instructor_live.bed_tick(rt, "chair1", again["cursor"])
    assert nxt["status"] == "Infusion · 0:15:01"
    assert isinstance(nxt["activity"], Patch)
    assert "Reassured" in _json(nxt["activity"])
    idle = instructor_live.bed_tick(rt, "chair2", None)
    assert idle["status"] == "No session"
    assert idle["card"] == "ins-card st-none"
    assert "activity" not in idle
    assert "HR" not in idle


def test_an_interrupted_session_offers_resume_and_close(rt: Runtime) -> None:
    s = rt.beds["chair1"].session
    s.status = "interrupted"  # as a crash or a fault leaves it
    out = instructor_live.bed_tick(rt, "chair1", None)
    assert out["card"] == "ins-card st-interrupted"
    assert out["status"] == "Interrupted at 0:15:00: resume or close it"
    assert "HR" in out  # its hidden state as it stopped
    refused = instructor_actions.perform(
        rt, "chair1", "inject", {"kind": "nausea", "mags": {"severity": 3, "duration_min": 5}}
    )
    assert not refused.ok
    assert "interrupted" in refused.message


def test_the_simulation_bar_follows_the_runtime(rt: Runtime) -> None:
    out, packed = instructor_live.sim_tick(rt, None)
    assert out["sim"] == "Running · x60"
    assert out["x60"] is True
    assert out["x10"] is False
    assert instructor_actions.simulation(rt, 10).ok
    assert instructor_actions.simulation(rt, "pause").message == "Paused"
    out, _ = instructor_live.sim_tick(rt, packed)
    assert out == {"sim": "Paused · x10 when resumed", "pause": "Resume", "x60": False, "x10": True}
    assert rt.control.paused
    assert rt.control.speed == 10
    assert instructor_actions.simulation(rt, "pause").message == "Simulation resumed"
    assert not rt.control.paused
    bad = instructor_actions.simulation(rt, 500)
    assert not bad.ok
    assert "120" in bad.message


def test_console_actions_go_through_the_runtime_as_the_instructor(rt: Runtime) -> None:
    busy = instructor_actions.perform(rt, "chair1", "start", {"scenario": "nausea-x"})
    assert not busy.ok
    assert "already has a session running" in busy.message
    assert instructor_actions.perform(rt, "chair2", "start", {"scenario": None}).message == (
        "Choose a scenario first."
    )
    bad = instructor_actions.perform(rt, "chair2", "start", {"scenario": "nope", "seed": 3})
    assert not bad.ok
    assert "nope" in bad.message
    assert not instructor_actions.perform(rt, "chair2", "start", {"scenario": "x", "seed": 1.5}).ok
    ok = instructor_actions.perform(
        rt, "chair2", "start", {"scenario": "uneventful-depression", "seed": "7"}
    )
    assert ok.message == "Session started: uneventful-depression, seed 7"
    sid = rt.beds["chair2"].session.session_id
    assert rt.store.session(sid)["seed"] == 7
    values = {"kind": "tachycardia", "mags": {"hr_rise_bpm": 200, "duration_min": 5}}
    refused = instructor_actions.perform(rt, "chair2", "inject", values)
    assert not refused.ok
    assert "hr_rise_bpm" in refused.message
    values["mags"]["hr_rise_bpm"] = 40
    done = instructor_actions.perform(rt, "chair2", "inject", values)
    assert done.message == "Injected at 0:00:00: Tachycardia: HR rise 40 bpm · 5 min"
    [row] = rt.feed.actions_since(sid, 0)
    assert (row["actor"], row["kind"]) == ("instructor", "inject_event")
    assert instructor_actions.perform(rt, "chair2", "end", {}).ok
    assert rt.beds["chair2"].session.status == "ended"
    again = instructor_actions.perform(rt, "chair2", "random", {})
    assert again.ok
    assert again.message.startswith("Random patient: uneventful-depression, seed ")


# -- limits --------------------------------------------------------------------------------


def test_the_table_shows_the_limits_the_engine_evaluates(rt: Runtime) -> None:
    engine = rt.beds["chair1"].session.engine
    table = rt.view("chair1").limits_in_force
    limits = engine.limits()
    for ch, _, _, prefix in settings_limits.CHANNELS:
        assert table[ch]["high"] == limits[f"{prefix}_HI"]
        assert table[ch]["low"] == limits[f"{prefix}_LO"]
    assert table["SPO2"]["high"] is None
    assert table["HR"]["critical_high"] is not None


def test_the_table_has_the_capnograph_from_the_registry(rt: Runtime) -> None:
    """EtCO2 is a row of the table (the registry's channel, the profile's limits), and an
    edit of it reaches the engine like any other."""
    assert ("ETCO2", "EtCO₂", "mmHg", "ETCO2") in settings_limits.CHANNELS
    table = rt.view("chair1").limits_in_force
    assert (table["ETCO2"]["low"], table["ETCO2"]["high"]) == (25, 50)
    out = settings_limits.apply(rt, "chair1", {("ETCO2", "high"): 55}, "instructor")
    assert (out.ok, out.message) == (True, "Limits set: EtCO₂ high 55")
    assert rt.beds["chair1"].session.engine.limits()["ETCO2_HI"] == 55
    assert settings_limits.apply(rt, "chair1", {("ETCO2", "high"): 50}, "instructor").ok


def test_an_edit_applies_in_a_valid_order_and_is_logged(rt: Runtime) -> None:
    s = rt.beds["chair1"].session
    table = rt.view("chair1").limits_in_force
    lo, hi = table["HR"]["low"], table["HR"]["high"]
    # a new low above the old high: only valid after the high has moved
    values = {("HR", "low"): hi + 5, ("HR", "high"): hi + 20, ("RR", "low"): table["RR"]["low"]}
    out = settings_limits.apply(rt, "chair1", values, "trainee")
    assert out.ok, out.message
    assert out.message == f"Limits set: HR high {hi + 20:g}, HR low {hi + 5:g}"  # in that order
    assert s.engine.limits()["HR_LO"] == hi + 5
    assert s.engine.limits()["HR_HI"] == hi + 20
    changed = [
        r
        for r in rt.feed.alarm_events_since(s.session_id, 0)
        if r["event"] == "limit_changed" and r["detail"]["cause"] == "set_limit"
    ]
    assert {
        (r["condition"], r["detail"]["before"]["limit"], r["detail"]["after"]["limit"], r["actor"])
        for r in changed
    } == {("HR_HI", hi, hi + 20, "trainee"), ("HR_LO", lo, hi + 5, "trainee")}
    assert settings_limits.apply(rt, "chair1", values, "instructor").message == "Nothing changed."


def test_a_bad_edit_changes_nothing_and_says_why(rt: Runtime) -> None:
    s = rt.beds["chair1"].session
    before = s.engine.limits()
    n = len(rt.feed.alarm_events_since(s.session_id, 0))
    hi = before["HR_HI"]
    values = {("RR", "high"): 35, ("HR", "low"): hi}  # the RR edit alone would be fine
    out = settings_limits.apply(rt, "chair1", values, "instructor")
    assert not out.ok
    assert out.message == f"HR high: {hi:g} must be above low ({hi:g})"
    cleared = settings_limits.apply(rt, "chair1", {("HR", "low"): ""}, "instructor")
    assert "a limit cannot be removed" in cleared.message
    assert not settings_limits.apply(rt, "chair1", {("HR", "low"): "x"}, "instructor").ok
    assert not settings_limits.apply(rt, "chair1", {("HR", "low"): 400}, "instructor").ok
    # an empty cell for a limit that is not set (SpO2 high) is no edit
    assert settings_limits.apply(rt, "chair1", {("SPO2", "high"): None}, "instructor").ok
    assert s.engine.limits() == before
    assert len(rt.feed.alarm_events_since(s.session_id, 0)) == n
    assert not settings_limits.apply(rt, "chair2", values, "instructor").ok  # no session


def test_alarm_off_is_shown_until_it_is_on(rt: Runtime) -> None:
    first = settings_live.bed_tick(rt, "chair1", None)
    assert first["head"] == "Infusion phase · profile ketamine-infusion"
    assert "lim-table" in _json(first["body"])
    assert first["notice"] == ""
    assert "Phase change" not in _json(first["log"])
    assert settings_limits.submit(
        rt, "chair1", "alarm_off", {"channel": "RR"}, "trainee", "RR alarms OFF"
    ).ok
    nxt = settings_live.bed_tick(rt, "chair1", first["cursor"])
    assert nxt["notice"] == "⚠ Alarms OFF: RR since 0:15:00"
    assert "body" in nxt  # the row shows OFF and a Turn on button
    assert "RR alarms OFF" in _json(nxt["log"])
    same = settings_live.bed_tick(rt, "chair1", nxt["cursor"])
    assert "body" not in same
    assert "notice" not in same
    assert "body" in settings_live.bed_tick(rt, "chair1", nxt["cursor"], redraw=True)
    twice = settings_limits.submit(rt, "chair1", "alarm_off", {"channel": "RR"}, "trainee", "")
    assert not twice.ok
    assert "already off" in twice.message
    assert settings_limits.submit(rt, "chair1", "alarm_on", {"channel": "RR"}, "trainee", "").ok
    back = settings_live.bed_tick(rt, "chair1", same["cursor"])
    assert back["notice"] == ""
    idle = settings_live.bed_tick(rt, "chair2", None)
    assert idle["head"] == "No session"
    assert "No session" in _json(idle["body"])


def test_the_change_log_groups_what_one_action_changed() -> None:
    def row(seq, t, cond, cause, before, after, actor="system"):
        return {
            "seq": seq,
            "t_s": t,
            "condition": cond,
            "event": "limit_changed",
            "actor": actor,
            "detail": {
                "cause": cause,
                "before": {"limit": before, "critical": 150.0},
                "after": {"limit": after, "critical": 150.0},
            },
        }

    rows = [
        row(1, 0.0, "HR_HI", "profile", None, 120.0),
        row(2, 600.0, "HR_HI", "set_phase", 120.0, 109.0),
        row(3, 600.0, "SYS_RISE", "set_phase", None, 183.0),
        row(4, 900.0, "HR_HI", "set_limit", 109.0, 130.0, "instructor"),
        {
            "seq": 5,
            "t_s": 950.0,
            "condition": "RR",
            "event": "alarm_off",
            "actor": "trainee",
            "detail": {},
        },
    ]
    rows.append(row(6, 3000.0, "SYS_RISE", "set_phase", 183.0, 190.0))
    rows.append(row(7, 3000.0, "DIA_RISE", "set_phase", 106.0, 110.0))
    found = settings_log.changes(rows)
    assert found.pop(0).text == "2 baseline rule limits changed"
    assert [(c.text, c.who, c.why) for c in found] == [
        ("RR alarms OFF", "trainee", ""),
        ("HR high 109 → 130", "instructor", "edit"),
        ("HR high 120 → 109 (+1 baseline rule limit)", "system", "phase change"),
    ]
    assert isinstance(settings_log.render(found)[0], html.Li)


# -- theme ---------------------------------------------------------------------------------

CONSOLE_PAIRS = [
    # body text and labels on the cards and the simulation bar
    ("text", "panel", 4.5),
    ("muted", "panel", 4.5),
    ("muted", "panel-2", 4.5),
    ("text", "panel-2", 4.5),
    ("link", "panel", 4.5),
    ("pump", "panel", 4.5),
    ("ok", "panel", 4.5),
    ("high-text", "panel", 4.5),
    ("medium", "panel", 4.5),
    ("low", "panel", 4.5),
    ("medium", "panel-2", 4.5),
    # truth labels (small) on their boxes
    ("hr", "panel-2", 4.5),
    ("spo2", "panel-2", 4.5),
    ("nibp", "panel-2", 4.5),
    ("rr", "panel-2", 4.5),
    ("pump", "panel-2", 4.5),
    # buttons and badges
    ("bg", "link", 4.5),
    ("bg", "ok", 4.5),
    ("on-medium", "medium", 4.5),
    ("high-text", "panel", 4.5),
]


@pytest.mark.parametrize(("fg", "bg", "need"), CONSOLE_PAIRS)
def test_console_text_pairs_reach_wcag_aa(fg: str, bg: str, need: float) -> None:
    ratio = theme.contrast(theme.PALETTE[fg], theme.PALETTE[bg])
    assert ratio >= need, f"{fg} on {bg}: {ratio:.2f} < {need}"


def test_console_css_uses_the_palette_only() -> None:
    css = CONSOLE_CSS.read_text(encoding="utf-8")
    assert not re.findall(r"#[0-9a-fA-F]{3,8}\b", css), "colours come from monitor.css"
    assert not re.findall(r"rgba?\(", css)
    used = set(re.findall(r"var\(--([a-z0-9-]+)\)", css))
    assert used <= set(theme.PALETTE) | {"nav-h", "num-font"}


def test_the_start_infusion_form_shows_only_while_the_chair_waits() -> None:
    """console.css hides the instructor's Start infusion form on any card without
    ph-baseline: a chair already in its infusion offers no override."""
    assert instructor_live.card_class("running", "baseline") == "ins-card st-running ph-baseline"
    assert instructor_live.card_class("running", "infusion") == "ins-card st-running"
    assert instructor_live.card_class(None, "baseline") == "ins-card st-none"
