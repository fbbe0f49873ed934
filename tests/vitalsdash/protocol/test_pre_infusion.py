"""The pre-infusion check: a checklist of items, each pass / caution / blocked with its
words and the limit used; the check's status is the worst item's.

Boundaries (protocol depression-40min, clinical.md): BP blocked at or above 160/100,
caution at or above 140/90; SpO2 blocked below 94; HR blocked at or above 120 or below
40, caution at or above 100 or below 50; a HIGH alarm blocks, another is a caution; a
screening "yes" blocks, "untreated" hypertension is a caution.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vitalsdash.model import Channel, Quality, Sample
from vitalsdash.protocol import (
    SCREENING_WORDS,
    ConfigError,
    Latest,
    ProtocolConfig,
    load_protocol,
    pre_infusion_check,
)

pytestmark = pytest.mark.unit

CFG = load_protocol("depression-40min")
CALM = Latest(hr_bpm=72, spo2_pct=98)
NO = dict.fromkeys(SCREENING_WORDS, "no")


def bp(t_s: float, sys_: float, dia: float, *, ok: bool = True) -> list[Sample]:
    q = Quality.OK if ok else Quality.INVALID
    return [
        Sample(t_s, Channel.NIBP_SYS, sys_ if ok else math.nan, q),
        Sample(t_s, Channel.NIBP_DIA, dia if ok else math.nan, q),
    ]


def two_readings(sys_: float, dia: float) -> list[Sample]:
    return [*bp(60, 120, 75), *bp(360, sys_, dia)]


def check(sys_: float = 120, dia: float = 75, latest: Latest = CALM, alarms=(), screening=None,
          elapsed_s: float = 400, cfg: ProtocolConfig = CFG):  # fmt: skip
    return pre_infusion_check(cfg, two_readings(sys_, dia), elapsed_s, latest, alarms,
                              NO if screening is None else screening)  # fmt: skip


def item(c, name: str):
    (found,) = [i for i in c.items if i.name == name]
    return found


def bp_status(sys_: float, dia: float) -> str:
    if sys_ >= 160 or dia >= 100:
        return "blocked"
    if sys_ >= 140 or dia >= 90:
        return "caution"
    return "pass"


def hr_status(hr: float) -> str:
    if hr >= 120 or hr < 40:
        return "blocked"
    if hr >= 100 or hr < 50:
        return "caution"
    return "pass"


# --------------------------------------------------------------------------- boundaries


@pytest.mark.parametrize(
    ("sys_", "dia", "status"),
    [
        (160, 100, "blocked"),
        (160, 80, "blocked"),
        (130, 100, "blocked"),
        (159, 99, "caution"),
        (159.9, 99.9, "caution"),
        (140, 90, "caution"),  # "caution above 140/90" is read as at or above (grade 1)
        (140, 70, "caution"),
        (120, 90, "caution"),
        (139, 89, "pass"),
    ],
)
def test_bp_limits(sys_, dia, status):
    c = check(sys_, dia)
    assert c.status == status
    assert c.may_start == (status != "blocked")
    words = {
        "blocked": f"BP {sys_:g}/{dia:g} mmHg is at or above 160/100: do not start",
        "caution": f"BP {sys_:g}/{dia:g} mmHg is at or above 140/90: start with caution",
        "pass": f"BP {sys_:g}/{dia:g} mmHg (below 140/90)",
    }[status]
    assert item(c, "bp").text == words
    assert c.reasons == ([] if status == "pass" else [words])


@settings(max_examples=300, deadline=None)
@given(
    sys_=st.floats(90, 220).map(lambda v: round(v, 1)),
    dia=st.floats(40, 130).map(lambda v: round(v, 1)),
    hr=st.floats(25, 180).map(lambda v: round(v, 1)),
    spo2=st.floats(80, 100).map(lambda v: round(v, 1)),
)
def test_every_vital_is_judged_at_its_limits(sys_, dia, hr, spo2):
    c = check(sys_, dia, Latest(hr_bpm=hr, spo2_pct=spo2))
    expected = {
        "bp": bp_status(sys_, dia),
        "hr": hr_status(hr),
        "spo2": "blocked" if spo2 < 94 else "pass",
    }
    assert {k: item(c, k).status for k in expected} == expected
    rank = ["pass", "caution", "blocked"]
    assert c.status == max(expected.values(), key=rank.index)
    # every item that did not pass gives its words, blocked first, and the limit used
    assert c.reasons == [i.text for i in c.items if i.status == "blocked"] + [
        i.text for i in c.items if i.status == "caution"
    ]
    for reason in c.reasons:
        assert any(lim in reason for lim in ("160/100", "140/90", "94%", "120", "100", "40", "50"))


@pytest.mark.parametrize(
    ("hr", "status", "words"),
    [
        (120, "blocked", "HR 120 bpm is at or above 120: do not start"),
        (119.9, "caution", "HR 119.9 bpm is at or above 100: start with caution"),
        (100, "caution", "HR 100 bpm is at or above 100: start with caution"),
        (99.9, "pass", "HR 99.9 bpm (50 to 100)"),
        (50, "pass", "HR 50 bpm (50 to 100)"),
        (49.9, "caution", "HR 49.9 bpm is below 50: start with caution"),
        (40, "caution", "HR 40 bpm is below 50: start with caution"),
        (39.9, "blocked", "HR 39.9 bpm is below 40: do not start"),
    ],
)
def test_hr_limits(hr, status, words):
    c = check(latest=Latest(hr_bpm=hr, spo2_pct=98))
    assert (item(c, "hr").status, item(c, "hr").text) == (status, words)
    assert c.status == status


def test_spo2_floor_and_missing_values():
    assert item(check(latest=Latest(hr_bpm=70, spo2_pct=94)), "spo2").status == "pass"
    low = check(latest=Latest(hr_bpm=70, spo2_pct=93.9))
    assert (low.status, item(low, "spo2").text) == (
        "blocked",
        "SpO2 93.9% is below 94%: do not start",
    )
    gone = check(latest=Latest())
    assert item(gone, "spo2").text == "SpO2 not available: check the probe"
    assert item(gone, "hr").text == "HR not available: check the probe"
    assert gone.status == "blocked"


def test_limits_come_from_the_protocol_file():
    lim = CFG.pre_infusion.model_copy(
        update={"block_sys_mmhg": 170.0, "spo2_min_pct": 92.0, "hr_block_high_bpm": 130.0}
    )
    cfg = CFG.model_copy(update={"pre_infusion": lim})
    c = check(165, 80, Latest(hr_bpm=125, spo2_pct=92.5), cfg=cfg)
    assert c.status == "caution"
    assert item(c, "bp").text == "BP 165/80 mmHg is at or above 140/90: start with caution"
    assert item(c, "hr").text == "HR 125 bpm is at or above 100: start with caution"
    assert item(c, "spo2").text == "SpO2 92.5% (92% or more)"


def test_hr_limits_must_be_in_order(tmp_path):
    text = (
        '[protocol]\nname = "x"\ndose_mg_per_kg = 0.5\nover_min = 40\n'
        "[pre_infusion]\nhr_caution_high_bpm = 130\n"
    )
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_protocol(path)
    assert "pre_infusion.hr_caution_high_bpm" in str(err.value)
    assert "must be below hr_block_high_bpm (120), got 130" in str(err.value)


# --------------------------------------------------------------------------- the baseline


def test_the_last_reading_is_judged():
    assert check(135, 85).status == "pass"
    rising = [*bp(60, 135, 85), *bp(360, 162, 95)]
    assert pre_infusion_check(CFG, rising, 400, CALM, (), NO).status == "blocked"


def test_blocked_until_enough_readings_and_time():
    one = bp(60, 120, 75)
    c = pre_infusion_check(CFG, one, 400, CALM, (), NO)
    assert (c.status, c.reasons) == ("blocked", ["2 baseline BP readings needed, 1 taken"])
    c = pre_infusion_check(CFG, [*one, *bp(200, 0, 0, ok=False)], 200, CALM, (), NO)
    assert c.reasons == [
        "2 baseline BP readings needed, 1 taken",
        "Baseline of 5 min needed, 3 min so far",
    ]
    none = pre_infusion_check(CFG, [], 0, CALM, (), NO)
    assert none.reasons[:3] == [
        "2 baseline BP readings needed, 0 taken",
        "Baseline of 5 min needed, 0 min so far",
        "No baseline BP reading yet: take a reading",
    ]
    assert check(elapsed_s=299.9).status == "blocked"
    ok = check(elapsed_s=300)
    assert ok.status == "pass"
    assert item(ok, "baseline_time").text == "Baseline 5 min (5 min needed)"
    assert item(ok, "baseline_readings").text == "2 baseline BP readings taken (2 needed)"


def test_a_high_bp_shows_before_the_baseline_is_complete():
    c = pre_infusion_check(CFG, bp(60, 170, 95), 120, CALM, (), NO)
    assert c.status == "blocked"
    assert "BP 170/95 mmHg is at or above 160/100: do not start" in c.reasons
    c = pre_infusion_check(CFG, bp(60, 150, 85), 120, CALM, (), NO)
    assert c.status == "blocked"  # too early, whatever the BP
    assert c.reasons[-1] == "BP 150/85 mmHg is at or above 140/90: start with caution"


# --------------------------------------------------------------------------- alarms, screening


def test_alarms():
    high = check(alarms=[("HIGH", "SpO2 LOW 84 < 85"), ("LOW", "NIBP overdue")])
    assert (high.status, item(high, "alarms").text) == (
        "blocked",
        "High-priority alarm: SpO2 LOW 84 < 85: do not start",
    )
    low = check(alarms=[("MEDIUM", "HR HIGH 105 > 100")])
    assert (low.status, item(low, "alarms").text) == ("caution", "Alarm active: HR HIGH 105 > 100")
    assert item(check(), "alarms").text == "No active alarm"


@pytest.mark.parametrize("question", list(SCREENING_WORDS))
def test_a_yes_to_any_screening_question_blocks(question):
    c = check(screening={**NO, question: "yes"})
    assert c.status == "blocked"
    assert c.reasons == [f"{SCREENING_WORDS[question]}: yes: do not start"]
    assert item(check(), f"screening_{question}").text == f"{SCREENING_WORDS[question]}: no"


def test_untreated_hypertension_asks_for_care_and_the_bp_decides():
    untreated = {**NO, "uncontrolled_hypertension": "untreated"}
    c = check(130, 80, screening=untreated)
    assert c.status == "caution"
    assert c.reasons == ["Untreated high blood pressure: today's BP must stay below 160/100"]
    assert check(172, 108, screening=untreated).status == "blocked"


def test_questions_not_asked_are_a_caution_and_none_given_leaves_them_out():
    c = check(screening={})
    assert c.status == "caution"
    assert "Pregnancy: not asked" in c.reasons
    only_bp = pre_infusion_check(CFG, two_readings(120, 75), 400)
    assert [i.name for i in only_bp.items] == ["baseline_readings", "baseline_time", "bp", "alarms"]
    assert only_bp.status == "pass"
