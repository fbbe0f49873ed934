"""The protocol's discharge rules added with the discharge action: an alertness score only
counts when charted after the infusion ended, the observation reminder's time and the
``[observation] max_minutes`` key, and the reminder never holding a discharge back."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vitalsdash.protocol import (
    CRITERION_LABELS,
    NOT_BLOCKING_DISCHARGE,
    Baseline,
    ConfigError,
    Latest,
    ObservationRules,
    alertness_counts,
    alertness_for_discharge,
    criterion_names,
    discharge_readiness,
    load_protocol,
    observation_overdue_s,
)

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3]
CFG = load_protocol("depression-40min")
END_S = 3000.0
BASE = Baseline(120, 80, 93.3, 70, 97, 2)
LATEST = Latest(sys_mmhg=125, dia_mmhg=82, nibp_t_s=END_S + 3500, hr_bpm=72, spo2_pct=97)
EARLY = "alertness charted before the infusion ended: assess again (Aldrete/PADSS >= 9 needed)"


def _alertness_detail(charted: list[tuple[float, float]], end: float | None = END_S) -> str:
    score, early = alertness_for_discharge(charted, end)
    r = discharge_readiness(CFG, BASE, LATEST, END_S + 3700, end, [], score,
                            alertness_early=early)  # fmt: skip
    return next(c.detail for c in r.criteria if c.name == "alertness")


def test_only_a_score_charted_after_the_end_of_the_infusion_counts():
    assert not alertness_counts(END_S - 600, END_S)  # during the infusion
    assert not alertness_counts(END_S, END_S)  # in the very second it ended: before it
    assert alertness_counts(END_S + 1, END_S)
    assert not alertness_counts(END_S + 1, None)  # the infusion has not ended
    assert _alertness_detail([(END_S - 600, 10)]) == EARLY
    assert _alertness_detail([(END_S, 10)]) == EARLY
    assert _alertness_detail([(END_S - 600, 10), (END_S + 60, 10)]) == (
        "alertness 10 charted (Aldrete/PADSS >= 9 met)"
    )
    assert _alertness_detail([(END_S + 60, 7)]) == "alertness 7 charted (Aldrete/PADSS >= 9 needed)"
    assert _alertness_detail([]) == "alertness not charted (Aldrete/PADSS >= 9 needed)"
    assert _alertness_detail([(600, 10)], end=None) == EARLY


charts = st.lists(st.tuples(st.floats(0, 9000), st.integers(0, 10).map(float)), max_size=6)


@settings(max_examples=300, deadline=None)
@given(charted=charts, end=st.none() | st.floats(0, 9000))
def test_the_score_that_counts_is_the_last_charted_after_the_end(charted, end):
    score, early = alertness_for_discharge(charted, end)
    after = sorted(c for c in charted if end is not None and c[0] > end)
    assert score == (after[-1][1] if after else None)
    assert early == (not after and bool(charted))
    # what is charted before the end changes nothing once a later score exists
    if after:
        assert alertness_for_discharge(after, end) == (score, False)


def test_the_observation_reminder_never_holds_a_discharge_back():
    assert "OBSERVATION_OVERDUE" in NOT_BLOCKING_DISCHARGE
    r = discharge_readiness(CFG, BASE, LATEST, END_S + 3700, END_S, ["OBSERVATION_OVERDUE"], 10)
    assert r.ready
    r = discharge_readiness(CFG, BASE, LATEST, END_S + 3700, END_S,
                            ["OBSERVATION_OVERDUE", "SYS_HI"], 10)  # fmt: skip
    assert r.missing == ["1 active alarm: SYS_HI"]


def test_max_minutes_defaults_and_the_shipped_protocols():
    for name in ("depression-40min", "chronic-pain-4h"):
        assert load_protocol(name).observation.max_minutes == 120
    assert ObservationRules().max_minutes == 120
    assert ObservationRules(min_minutes=30.0).max_minutes == 120
    # a file from before max_minutes with 2 h of observation stays valid: an hour past it
    assert ObservationRules(min_minutes=120.0).max_minutes == 180
    assert observation_overdue_s(CFG, None) is None
    assert observation_overdue_s(CFG, END_S) == END_S + 120 * 60


@pytest.mark.parametrize(
    ("new", "reason"),
    [
        ("max_minutes = 60", "must be above min_minutes (60), got 60"),
        ("max_minutes = 45", "must be above min_minutes (60), got 45"),
        ("max_minutes = 0", "more than 0"),
        ('max_minutes = "2 h"', "must be a number"),
    ],
)
def test_a_bad_max_minutes_names_file_key_and_reason(tmp_path, new, reason):
    text = (REPO / "config/protocols/depression-40min.toml").read_text()
    assert "max_minutes = 120" in text
    path = tmp_path / "p.toml"
    path.write_text(text.replace("max_minutes = 120", new, 1))
    with pytest.raises(ConfigError) as err:
        load_protocol(path)
    assert (err.value.key, err.value.path) == ("observation.max_minutes", str(path))
    assert reason in err.value.reason


def test_an_old_file_without_max_minutes_still_loads(tmp_path):
    text = (REPO / "config/protocols/depression-40min.toml").read_text()
    lines = [
        ln for ln in text.splitlines() if "max_minutes" not in ln and "for discharge (LOW" not in ln
    ]
    path = tmp_path / "old.toml"
    path.write_text("\n".join(lines).replace("min_minutes = 60 ", "min_minutes = 150 "))
    assert load_protocol(path).observation.max_minutes == 210


@pytest.mark.parametrize("no_alarm", [True, False])
def test_the_criteria_are_known_before_the_first_judgement(no_alarm: bool):
    cfg = CFG.model_copy(
        update={"discharge": CFG.discharge.model_copy(update={"require_no_active_alarm": no_alarm})}
    )
    judged = discharge_readiness(cfg, BASE, LATEST, END_S + 60, END_S, [], None)
    assert criterion_names(cfg) == [c.name for c in judged.criteria]
    assert all(n in CRITERION_LABELS for n in criterion_names(cfg))
