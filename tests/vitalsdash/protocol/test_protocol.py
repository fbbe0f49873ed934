"""Protocol: files, baseline, pre-infusion check, phases, discharge readiness."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vitalsdash.model import Channel, Phase, Quality, Sample
from vitalsdash.protocol import (
    CLEAN_WITHIN_S,
    Baseline,
    ConfigError,
    Latest,
    PhaseTracker,
    ProtocolConfig,
    baseline_from,
    clean_value,
    discharge_readiness,
    latest_from,
    list_protocols,
    load_protocol,
    nibp_interval_s,
    nibp_readings,
)

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3]
SHIPPED = ("depression-40min", "chronic-pain-4h")
CFG = load_protocol("depression-40min")
END_S = 3000.0  # end of the infusion in the readiness tests
NOW_S = END_S + 3700.0  # 61 min later


def bp(t_s: float, sys_: float, dia: float, map_: float | None = None, *, ok: bool = True):
    q = Quality.OK if ok else Quality.INVALID
    out = [
        Sample(t_s, Channel.NIBP_SYS, sys_ if ok else math.nan, q),
        Sample(t_s, Channel.NIBP_DIA, dia if ok else math.nan, q),
    ]
    if map_ is not None:
        out.append(Sample(t_s, Channel.NIBP_MAP, map_, q))
    return out


def with_discharge(cfg: ProtocolConfig, **changes) -> ProtocolConfig:
    return cfg.model_copy(update={"discharge": cfg.discharge.model_copy(update=changes)})


# --------------------------------------------------------------------------- files


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_protocols_load(name):
    cfg = load_protocol(name)
    assert name in list_protocols()
    assert cfg.name
    assert cfg.pre_infusion.block_sys_mmhg == 160
    assert cfg.pre_infusion.caution_dia_mmhg == 90
    assert cfg.discharge.within_pct_of_baseline == 20
    assert cfg.observation.min_minutes == 60
    assert load_protocol(REPO / "config" / "protocols" / f"{name}.toml") == cfg


def test_shipped_dosing():
    dep, pain = load_protocol("depression-40min"), load_protocol("chronic-pain-4h")
    assert (dep.protocol.dose_mg_per_kg, dep.protocol.infusion_min) == (0.5, 40)
    assert dep.protocol.rate_mg_per_kg_per_h == pytest.approx(0.75)
    assert (pain.protocol.rate_mg_per_kg_h, pain.protocol.infusion_min) == (0.5, 240)


def test_name_resolves_under_cwd_first(tmp_path, monkeypatch):
    folder = tmp_path / "config" / "protocols"
    folder.mkdir(parents=True)
    text = (REPO / "config/protocols/depression-40min.toml").read_text()
    (folder / "depression-40min.toml").write_text(
        text.replace("min_minutes = 60", "min_minutes = 90")
    )
    (folder / "local-only.toml").write_text(text)
    monkeypatch.chdir(tmp_path)
    assert load_protocol("depression-40min").observation.min_minutes == 90
    assert {"local-only", *SHIPPED} <= set(list_protocols())


def test_unknown_name_lists_the_available_protocols():
    with pytest.raises(ConfigError) as err:
        load_protocol("depresion-40min")
    assert err.value.key == "(file)"
    assert "no protocol named 'depresion-40min'" in err.value.reason
    assert "chronic-pain-4h" in err.value.reason
    assert "depression-40min" in err.value.reason


@pytest.mark.parametrize(
    ("old", "new", "key", "reason"),
    [
        (
            "block_sys_mmhg = 160",
            "block_sys_mmhg = 130",
            "pre_infusion.caution_sys_mmhg",
            "must be below block_sys_mmhg (130), got 140",
        ),
        (
            "block_dia_mmhg = 100",
            "block_dia_mmhg = 90",
            "pre_infusion.caution_dia_mmhg",
            "must be below block_dia_mmhg (90)",
        ),
        (
            "[observation]\nmin_minutes = 60",
            "[observation]\nmin_minutes = -5",
            "observation.min_minutes",
            "must be at least 0 (got -5)",
        ),
        ("min_minutes = 5 ", "min_minutes = -1 ", "baseline.min_minutes", "at least"),
        ("spo2_floor_pct = 94", "spo2_floor = 94", "discharge.spo2_floor", "unknown key"),
        (
            "over_min = 40",
            "over_min = 40\nrate_mg_per_kg_h = 0.5\nfor_min = 40",
            "protocol.rate_mg_per_kg_h",
            "two dosing forms",
        ),
        ("over_min = 40", "", "protocol.over_min", "required with dose_mg_per_kg"),
        (
            "within_pct_of_baseline = 20",
            "within_pct_of_baseline = 120",
            "discharge.within_pct_of_baseline",
            "must be at most 100 (got 120)",
        ),
        ("min_readings = 2", 'min_readings = "2"', "baseline.min_readings", "whole number"),
        ("[nibp]", "[nibp\n", "(syntax)", "not valid TOML"),
    ],
)
def test_invalid_files_name_file_key_and_reason(tmp_path, old, new, key, reason):
    text = (REPO / "config/protocols/depression-40min.toml").read_text()
    assert old in text
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ConfigError) as err:
        load_protocol(path)
    assert err.value.path == str(path)
    assert err.value.key == key
    assert reason in err.value.reason
    assert str(err.value).startswith(f"{path}: {key}: ")
    assert "Traceback" not in str(err.value)


def test_no_dose_at_all(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('[protocol]\nname = "x"\n')
    with pytest.raises(ConfigError) as err:
        load_protocol(path)
    assert (err.value.key, err.value.reason.split(";")[0]) == (
        "protocol.dose_mg_per_kg",
        "no dose given",
    )


def test_protocol_does_not_import_dash():
    code = (
        "import sys, vitalsdash.protocol;print(any(m.split('.')[0] == 'dash' for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- NIBP program


def test_nibp_interval_per_phase_matches_vitalsim_settings():
    from vitalsim.scenario import NibpSettings

    pain = load_protocol("chronic-pain-4h")
    sim = NibpSettings(**pain.nibp.model_dump())
    for phase in ("baseline", "infusion", "observation"):
        assert pain.nibp.interval_s(phase) == sim.interval_s(phase)
    assert nibp_interval_s(CFG, Phase.BASELINE) == 300
    assert nibp_interval_s(CFG, Phase.INFUSION) == 600
    assert nibp_interval_s(CFG, Phase.OBSERVATION) == 900
    assert nibp_interval_s(CFG, Phase.READY) == 900
    assert nibp_interval_s(CFG, Phase.ENDED) == 900


# --------------------------------------------------------------------------- baseline


def test_baseline_means_nibp_and_medians_continuous_ignoring_invalid():
    samples = [
        *bp(60, 130, 80, 97),
        *bp(300, 999, 999, ok=False),  # cuff failure
        *bp(360, 136, 84),  # no MAP: computed
        Sample(1, Channel.HR, 70),
        Sample(2, Channel.HR, 74),
        Sample(3, Channel.HR, 200),
        Sample(4, Channel.HR, math.nan, Quality.INVALID),
        Sample(1, Channel.SPO2, 97),
        Sample(2, Channel.SPO2, 85, Quality.ARTEFACT),
        Sample(3, Channel.SPO2, 98),
        Sample(4, Channel.RR, 14),
    ]
    b = baseline_from(samples)
    assert (b.sys_mmhg, b.dia_mmhg, b.n_nibp_readings) == (133, 82, 2)
    assert b.map_mmhg == pytest.approx((97 + 84 + 52 / 3) / 2)
    assert (b.hr_bpm, b.spo2_pct) == (74, 97)


def test_empty_baseline():
    assert baseline_from([]) == Baseline(None, None, None, None, None, 0)


def test_latest_from_keeps_last_valid_bp_and_current_continuous_values():
    samples = [
        *bp(100, 130, 80),
        *bp(400, 0, 0, ok=False),
        Sample(390, Channel.HR, 80),
        Sample(400, Channel.HR, 82),
        Sample(390, Channel.SPO2, 97),
        Sample(400, Channel.SPO2, math.nan, Quality.INVALID),  # probe off now
    ]
    assert latest_from(iter(samples)) == Latest(130, 80, 100, 82, None)
    assert [r.t_s for r in nibp_readings(samples)] == [100]


def test_readiness_ignores_artefact_and_stale_values():
    assert clean_value((100.0, 97.0), None, 130.0) == 97.0
    assert clean_value((100.0, 97.0), 120.0, 130.0) is None  # the probe came off after it
    assert clean_value((100.0, 97.0), 90.0, 130.0) == 97.0  # and back on before it
    assert clean_value((100.0, 97.0), None, 100.0 + CLEAN_WITHIN_S) == 97.0
    assert clean_value((100.0, 97.0), None, 100.1 + CLEAN_WITHIN_S) is None
    assert clean_value(None, None, 0.0) is None
    samples = [
        Sample(390, Channel.SPO2, 97),
        Sample(395, Channel.SPO2, 81, Quality.ARTEFACT),  # motion: neither for nor against
        Sample(396, Channel.SPO2, 99, Quality.ARTEFACT),
        Sample(390, Channel.HR, 80),
        Sample(420, Channel.HR, 150, Quality.ARTEFACT),
        *(Sample(421 + k, Channel.HR, 150, Quality.ARTEFACT) for k in range(60)),
    ]
    latest = latest_from(samples)
    assert latest.spo2_pct == 97
    assert latest.hr_bpm is None  # no clean heart rate for over a minute


# --------------------------------------------------------------------------- pre-infusion
# (tests/vitalsdash/protocol/test_pre_infusion.py)


# --------------------------------------------------------------------------- readiness

BASE = Baseline(132, 80, 97, 70, 97, 2)
GOOD = Latest(sys_mmhg=140, dia_mmhg=84, nibp_t_s=NOW_S - 120, hr_bpm=76, spo2_pct=97)


def readiness(cfg=CFG, base=BASE, latest=GOOD, now=NOW_S, end=END_S, alarms=(), score=9):
    return discharge_readiness(cfg, base, latest, now, end, list(alarms), score)


def test_all_met_is_ready_with_every_criterion_explained():
    r = readiness()
    assert r.ready
    assert r.missing == []
    assert r.summary == "ready for discharge"
    assert [(c.name, c.detail) for c in r.criteria] == [
        ("observation", "observation 61 of 60 min"),
        ("bp_current", "last BP 2 min ago"),
        ("sbp", "SBP 140 mmHg: within 20% of baseline 132"),
        ("dbp", "DBP 84 mmHg: within 20% of baseline 80"),
        ("hr", "HR 76 bpm: within 20% of baseline 70"),
        ("spo2", "SpO2 97% (floor 94%)"),
        ("no_active_alarm", "no active alarm"),
        ("alertness", "alertness 9 charted (Aldrete/PADSS >= 9 met)"),
    ]


def _latest(**changes) -> Latest:
    fields = {k: getattr(GOOD, k) for k in GOOD.__slots__}
    return Latest(**(fields | changes))


@pytest.mark.parametrize(
    ("kwargs", "name", "detail"),
    [
        ({"now": END_S + 42 * 60 + 30}, "observation", "observation 42 of 60 min"),
        ({"end": None}, "observation", "infusion not ended: 60 min observation follows"),
        (
            {"latest": _latest(nibp_t_s=NOW_S - 22 * 60 - 5)},
            "bp_current",
            "last BP 22 min ago: take a new reading",
        ),
        (
            {"latest": _latest(sys_mmhg=168)},
            "sbp",
            "SBP 168 mmHg: more than 20% above baseline 132 and above 160",
        ),
        (
            {"latest": _latest(sys_mmhg=100)},
            "sbp",
            "SBP 100 mmHg: more than 20% below baseline 132",
        ),
        ({"latest": _latest(dia_mmhg=97)}, "dbp", "DBP 97 mmHg: more than 20% above baseline 80"),
        ({"latest": _latest(dia_mmhg=63)}, "dbp", "DBP 63 mmHg: more than 20% below baseline 80"),
        ({"latest": _latest(hr_bpm=85)}, "hr", "HR 85 bpm: more than 20% above baseline 70"),
        ({"latest": _latest(hr_bpm=None)}, "hr", "HR not measured yet"),
        ({"base": Baseline(132, 80, 97, None, 97, 2)}, "hr", "HR 76 bpm: no baseline recorded"),
        ({"latest": _latest(spo2_pct=93)}, "spo2", "SpO2 93%: below the 94% floor"),
        ({"latest": _latest(spo2_pct=None)}, "spo2", "SpO2 not available: check the probe"),
        ({"alarms": ["SYS_HI"]}, "no_active_alarm", "1 active alarm: SYS_HI"),
        (
            {"alarms": ["SYS_HI", "HR_HI", "SYS_HI"]},
            "no_active_alarm",
            "2 active alarms: SYS_HI, HR_HI",
        ),
        ({"score": None}, "alertness", "alertness not charted (Aldrete/PADSS >= 9 needed)"),
        ({"score": 8}, "alertness", "alertness 8 charted (Aldrete/PADSS >= 9 needed)"),
    ],
)
def test_each_unmet_criterion_explains_itself(kwargs, name, detail):
    r = readiness(**kwargs)
    assert not r.ready
    assert r.missing == [detail]
    assert [c.name for c in r.criteria if not c.met] == [name]
    assert r.summary == f"not ready: {detail}"


def test_no_bp_reading_at_all():
    r = readiness(latest=Latest(hr_bpm=76, spo2_pct=97))
    assert r.missing == [
        "no BP reading yet: take a reading",
        "SBP not measured yet",
        "DBP not measured yet",
    ]


@pytest.mark.parametrize(
    ("base_sys", "sbp", "met", "detail"),
    [
        (140, 168, True, "SBP 168 mmHg: within 20% of baseline 140"),  # exactly +20 % is within
        (140, 168.5, False, "SBP 168.5 mmHg: more than 20% above baseline 140 and above 160"),
        (132, 158.4, True, "SBP 158.4 mmHg: within 20% of baseline 132"),  # float boundary
        (100, 80, True, "SBP 80 mmHg: within 20% of baseline 100"),  # exactly -20 %
        (100, 79, False, "SBP 79 mmHg: more than 20% below baseline 100"),  # the cap never helps
        (120, 159, True, "SBP 159 mmHg: more than 20% above baseline 120 but below 160"),
        (120, 160, False, "SBP 160 mmHg: more than 20% above baseline 120 and not below 160"),
    ],
)
def test_sbp_boundaries_percentage_inclusive_cap_strict(base_sys, sbp, met, detail):
    r = readiness(base=Baseline(base_sys, 80, 97, 70, 97, 2), latest=_latest(sys_mmhg=sbp))
    (c,) = [c for c in r.criteria if c.name == "sbp"]
    assert (c.met, c.detail) == (met, detail)


def test_other_boundaries():
    assert readiness(latest=_latest(dia_mmhg=96, hr_bpm=84, spo2_pct=94)).ready  # +20 %, floor
    assert readiness(now=END_S + 3600).ready  # exactly 60 min
    assert not readiness(now=END_S + 3599.9).ready
    # current for the observation interval + 60 s, inclusive
    assert readiness(latest=_latest(nibp_t_s=NOW_S - 16 * 60)).ready
    assert not readiness(latest=_latest(nibp_t_s=NOW_S - 16 * 60 - 1)).ready
    assert readiness(score=10).ready


def test_sbp_without_baseline_falls_back_to_the_cap():
    no_base = Baseline(None, 80, None, 70, 97, 0)
    r = readiness(base=no_base)
    assert r.criteria[2].detail == "SBP 140 mmHg: no baseline recorded, below 160"
    r = readiness(base=no_base, latest=_latest(sys_mmhg=160))
    assert r.missing == ["SBP 160 mmHg: no baseline recorded, not below 160"]


def test_alarm_criterion_absent_when_not_required():
    cfg = with_discharge(CFG, require_no_active_alarm=False)
    r = readiness(cfg=cfg, alarms=["SYS_HI"])
    assert r.ready
    assert "no_active_alarm" not in [c.name for c in r.criteria]


def test_several_missing_in_criterion_order():
    r = readiness(now=END_S + 600, alarms=["SPO2_LO"], latest=_latest(spo2_pct=90), score=None)
    assert r.missing == [
        "observation 10 of 60 min",
        "SpO2 90%: below the 94% floor",
        "1 active alarm: SPO2_LO",
        "alertness not charted (Aldrete/PADSS >= 9 needed)",
    ]


opt = st.none() | st.floats(0, 250, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(
    base=st.builds(Baseline, opt, opt, opt, opt, opt, st.integers(0, 5)),
    latest=st.builds(Latest, opt, opt, st.none() | st.floats(0, 9000), opt, opt),
    now=st.floats(0, 9000),
    end=st.none() | st.floats(0, 9000),
    alarms=st.lists(st.sampled_from(["SYS_HI", "HR_HI", "SPO2_LO"]), max_size=3),
    score=st.none() | st.integers(0, 10),
    need_no_alarm=st.booleans(),
)
def test_property_ready_iff_all_criteria_met(base, latest, now, end, alarms, score, need_no_alarm):
    cfg = with_discharge(CFG, require_no_active_alarm=need_no_alarm)
    r = discharge_readiness(cfg, base, latest, now, end, alarms, score)
    met = {c.name: c.met for c in r.criteria}
    assert len(met) == len(r.criteria)
    assert r.ready == all(met.values())
    assert r.missing == [c.detail for c in r.criteria if not c.met]
    assert all(c.detail for c in r.criteria)
    # An independent reading of the rules for the simple criteria.
    assert met["observation"] == (end is not None and now - end >= 3600)
    assert met["spo2"] == (latest.spo2_pct is not None and latest.spo2_pct >= 94)
    assert met["alertness"] == (score is not None and score >= 9)
    assert met.get("no_active_alarm", True) == (not alarms or not need_no_alarm)
    assert ("no_active_alarm" in met) == need_no_alarm
    sbp, b = latest.sys_mmhg, base.sys_mmhg
    if sbp is not None and b is not None and abs(sbp - b) > 0.2 * b + 1e-6:
        assert met["sbp"] == (b < sbp < 160)
    if r.ready:
        assert latest.nibp_t_s is not None
        assert now - latest.nibp_t_s <= 960


# --------------------------------------------------------------------------- phases


def test_phase_walk_with_readiness_lost_and_regained():
    pt = PhaseTracker(CFG)
    assert pt.update(100) is Phase.BASELINE
    assert pt.update(700, infusion_started_s=650) is Phase.INFUSION
    assert pt.update(3100, infusion_started_s=650, infusion_ended_s=3050) is Phase.OBSERVATION
    # readiness met, but the observation time is not over yet
    assert pt.update(3050 + 3599, infusion_started_s=650, infusion_ended_s=3050, ready=True) is (
        Phase.OBSERVATION
    )
    assert pt.update(3050 + 3600, ready=True, infusion_started_s=650, infusion_ended_s=3050) is (
        Phase.READY
    )
    assert pt.update(6700, ready=False, infusion_started_s=650, infusion_ended_s=3050) is (
        Phase.OBSERVATION
    )
    assert pt.update(6800, ready=readiness()) is Phase.READY
    assert pt.update(6900, ready=True, end=True) is Phase.ENDED
    assert pt.update(7000, ready=False) is Phase.ENDED
    assert pt.transitions == [
        (0.0, Phase.BASELINE),
        (650, Phase.INFUSION),
        (3050, Phase.OBSERVATION),
        (6650, Phase.READY),
        (6700, Phase.OBSERVATION),
        (6800, Phase.READY),
        (6900, Phase.ENDED),
    ]


def test_start_and_end_reported_together_and_end_from_any_phase():
    pt = PhaseTracker(CFG)
    assert pt.update(5000, infusion_started_s=60, infusion_ended_s=2460) is Phase.OBSERVATION
    assert pt.transitions == [
        (0.0, Phase.BASELINE),
        (60, Phase.INFUSION),
        (2460, Phase.OBSERVATION),
    ]
    early = PhaseTracker(CFG)
    assert early.update(30, end=True) is Phase.ENDED
    assert early.transitions == [(0.0, Phase.BASELINE), (30, Phase.ENDED)]


def test_ready_needs_the_observation_time_even_if_readiness_says_so():
    pt = PhaseTracker(CFG)
    pt.update(100, infusion_started_s=10)
    pt.update(200, infusion_started_s=10, infusion_ended_s=150)
    assert pt.update(300, ready=True) is Phase.OBSERVATION


@pytest.mark.parametrize(
    ("calls", "message"),
    [
        ([{"now_s": 100}, {"now_s": 50}], "time went backwards"),
        ([{"now_s": 100, "infusion_started_s": 200}], "after now"),
        ([{"now_s": 100, "infusion_ended_s": 90}], "without its start"),
        ([{"now_s": 100, "infusion_started_s": -5}], "before the baseline"),
        ([{"now_s": 100, "infusion_started_s": 80, "infusion_ended_s": 70}], "before its start"),
    ],
)
def test_inconsistent_inputs_raise(calls, message):
    pt = PhaseTracker(CFG)
    *earlier, last = calls
    for call in earlier:
        pt.update(**call)
    before = list(pt.transitions)
    with pytest.raises(ValueError, match=message):
        pt.update(**last)
    assert pt.transitions == before  # nothing changed
