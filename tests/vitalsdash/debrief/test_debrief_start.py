"""The debrief of the start of the infusion: who started it, what the check said, the
attempts it refused, an instructor's override; and the scenario's scripted events where
the session had them (moved with the real start, absent if it never started)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vitalsdash.actions import ActionError
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.debrief import Action, compute_debrief, infusion_start, session_from_store
from vitalsdash.report import start_lines
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store

pytestmark = pytest.mark.unit

BLOCKED = ["BP 172/108 mmHg is at or above 160/100: do not start"]


def test_a_refused_attempt_and_an_override():
    st = infusion_start([
        Action(600, "start_infusion", "trainee", {"check": "blocked", "reasons": BLOCKED},
               "refused", "Not started: ..."),
        Action(660, "start_infusion", "instructor", {"check": "blocked", "reasons": BLOCKED,
                                                      "override_reason": "GP letter: fine"}),
    ])  # fmt: skip
    assert st.overridden
    assert st.t_s == 660
    [refused] = st.refused
    assert (refused.actor, refused.t_s, refused.reasons) == ("trainee", 600, tuple(BLOCKED))


@pytest.mark.parametrize(
    ("params", "actor", "line"),
    [
        ({"check": "pass", "reasons": []}, "trainee",
         ("ok", "Infusion started by trainee at 0:10:00: the pre-infusion check passed.")),
        ({"check": "caution", "reasons": ["BP 150/85 mmHg is at or above 140/90: start with "
                                          "caution"]}, "trainee",
         ("caution", "Infusion started by trainee at 0:10:00 with caution: BP 150/85 mmHg is "
                     "at or above 140/90: start with caution")),
        ({"auto": True, "check": "pass", "reasons": []}, "system",
         ("ok", "Infusion started by itself (auto start) at 0:10:00: the pre-infusion check "
                "passed.")),
    ],
)  # fmt: skip
def test_the_words_of_each_start(params, actor, line):
    class D:
        start = infusion_start([Action(600, "start_infusion", actor, params)])

    assert start_lines(D()) == [line]  # type: ignore[arg-type]


def test_no_start_and_a_scheduled_one():
    class Never:
        start = infusion_start([], [(0.0, "baseline")])

    class Scheduled:
        start = infusion_start([], [(0.0, "baseline"), (600.0, "infusion")])

    assert start_lines(Never()) == [("muted", "The infusion was not started.")]  # type: ignore[arg-type]
    assert start_lines(Scheduled()) == [
        (
            "muted",
            "The infusion started at 0:10:00 on the "  # type: ignore[arg-type]
            "scenario's schedule (no pre-infusion check recorded).",
        )
    ]


@pytest.mark.integration
def test_scripted_events_are_where_the_session_had_them(tmp_path: Path):
    store = Store(tmp_path / "moved.sqlite")
    beds = [BedConfig(id=b, scenario="hypertensive-responder", seed=12) for b in ("late", "never")]
    rt = Runtime(ClinicConfig(clinic=ClinicSection(speed=60), beds=beds), store,
                 clock=ManualClock())  # fmt: skip
    rt.start()
    rt.advance(900)
    with pytest.raises(ActionError):
        rt.submit("late", "start_infusion", {}, "trainee")
    rt.submit("late", "start_infusion", {"override_reason": "late start"}, "instructor")
    rt.advance(2000)
    late = session_from_store(store, rt.beds["late"].session.session_id)  # type: ignore[union-attr]
    never = session_from_store(store, rt.beds["never"].session.session_id)  # type: ignore[union-attr]
    surge = [(e.t_s, e.detail["end_s"]) for e in late.session_events if e.source == "scenario"]
    assert surge == [(900.0 + 25 * 60, 900.0 + 40 * 60)]  # infusion+25min, 15 min long
    assert [e for e in never.session_events if e.source == "scenario"] == []
    db = compute_debrief(late)
    assert [cls for cls, _ in start_lines(db)] == ["refused", "bad", "bad"]
    assert start_lines(db)[1] == ("bad", "Infusion started by instructor despite a blocked "
                                         "check: late start")  # fmt: skip
    assert start_lines(compute_debrief(never)) == [("muted", "The infusion was not started.")]
    store.close()
