"""The debrief's discharge decision with the discharge action: an assessment charted before
the end of the infusion does not count (as at the bedside), a discharge names who, when
and the note, an end without one says the patient was never discharged, and the actions
file of a recording takes ``discharge`` with its note."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from vitalsdash.debrief import (
    Action,
    Observation,
    SessionData,
    SessionEvent,
    compute_debrief,
    read_actions_file,
)
from vitalsdash.durations import hms
from vitalsdash.protocol import load_protocol

pytestmark = pytest.mark.unit

EARLY = "alertness charted before the infusion ended: assess again (Aldrete/PADSS >= 9 needed)"


def clock(t: float) -> str:
    return hms(t, elapsed=True)


def _session(actions: list[Action], charted: list[tuple[float, float]],
             info: dict | None = None) -> SessionData:  # fmt: skip
    """Baseline 0-600 s (120/80, HR 70, SpO2 98), infusion to 3000 s, then observation;
    NIBP every 900 s from 3000 s; no alarm; alertness as ``charted`` (t, score)."""
    rows = []
    for t in range(0, 7200):
        rows += [(float(t), "HR", 70.0), (float(t), "SPO2", 98.0)]
        if t in (60, 300) or (t >= 3000 and (t - 3000) % 900 == 0):
            rows += [(float(t), "NIBP_SYS", 120.0), (float(t), "NIBP_DIA", 80.0)]
    samples = pd.DataFrame(rows, columns=["t_s", "channel", "value"])
    samples["quality"], samples["true_value"] = "ok", samples["value"]
    return SessionData(
        title="discharge", source="test", samples=samples, alarm_events=[], actions=actions,
        observations=[Observation(t, "alertness", v) for t, v in charted],
        session_events=[SessionEvent(600.0, "phase", "device", {"phase": "infusion"}),
                        SessionEvent(3000.0, "phase", "device", {"phase": "observation"})],
        end_t_s=7200.0, info=info or {}, protocol=load_protocol("depression-40min"),
    )  # fmt: skip


@pytest.mark.parametrize("charted_at", [1800.0, 3000.0])  # in the infusion; in its last second
def test_an_assessment_before_the_end_of_the_infusion_does_not_count(charted_at: float) -> None:
    d = compute_debrief(_session([Action(6700.0, "discharge")], [(charted_at, 10.0)])).discharge
    assert (d.ready, d.missing) == (False, (EARLY,))
    assert d.first_ready_t_s is None  # never ready: no assessment after the infusion
    assert d.verdict == "discharged before readiness was met"


def test_an_assessment_after_the_end_counts_whatever_came_before() -> None:
    d = compute_debrief(
        _session([Action(6700.0, "discharge")], [(1800.0, 10.0), (3001.0, 10.0)])
    ).discharge
    assert (d.ready, d.first_ready_t_s) == (True, 6600.0)


def test_a_discharge_says_who_when_and_the_note() -> None:
    wall = datetime(2026, 3, 2, 10, 51, 40, tzinfo=UTC)
    action = Action(6700.0, "discharge", "instructor", {"note": "home with escort"})
    data = _session([action], [(6000.0, 9.0)], info={"discharged_at": wall.isoformat()})
    d = compute_debrief(data).discharge
    assert (d.kind, d.discharged, d.actor, d.note, d.discharged_at) == (
        "discharge", True, "instructor", "home with escort", wall)  # fmt: skip
    assert d.lines(clock) == [
        "Discharged by instructor at 1:51:40 (2026-03-02 10:51:40 UTC).",
        "Discharge note: home with escort",
    ]


def test_an_end_without_a_discharge_or_no_decision_says_never_discharged() -> None:
    d = compute_debrief(_session([Action(6700.0, "end_session")], [(6000.0, 9.0)])).discharge
    assert (d.kind, d.discharged) == ("end_session", False)
    assert d.lines(clock) == ["Session ended by trainee at 1:51:40.",
                              "The patient was never discharged."]  # fmt: skip
    d = compute_debrief(_session([], [(6000.0, 9.0)])).discharge
    assert d.lines(clock) == ["The patient was never discharged."]


def test_a_recordings_actions_file_takes_discharge_with_its_note(tmp_path: Path) -> None:
    path = tmp_path / "actions.csv"
    path.write_text("t,action,actor,target,value,text\n"
                    "6000,chart,trainee,alertness,10,\n"
                    '6700,discharge,trainee,,,"home, with escort"\n')  # fmt: skip
    _, records = read_actions_file(path)
    assert records[-1] == Action(6700.0, "discharge", "trainee", {"note": "home, with escort"})


def test_the_report_shows_the_discharge_with_the_note_escaped() -> None:
    from vitalsdash.report import render_report

    note = "<b>home</b> & rest"
    html = render_report(_session([Action(6700.0, "discharge", "trainee", {"note": note})],
                                  [(6000.0, 9.0)]))  # fmt: skip
    assert "Discharged by trainee at 1:51:40." in html
    assert "Discharge note: &lt;b&gt;home&lt;/b&gt; &amp; rest" in html
    assert note not in html
    html = render_report(_session([], [(6000.0, 9.0)]))
    assert "The patient was never discharged." in html
