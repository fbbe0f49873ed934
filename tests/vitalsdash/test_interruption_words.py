"""Interruptions in words and in the API's shape: durations, labels, pairing with resumes,
and the bedside chart's decor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vitalsdash import interruptions as ints
from vitalsdash.ui.widgets import trends

pytestmark = pytest.mark.unit
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(None, ""), (0, "0 s"), (59.4, "59 s"), (60, "1 min"), (133, "2 min 13 s"),
     (3600, "1 h"), (3725, "1 h 2 min"), (-3, "0 s")],
)  # fmt: skip
def test_durations_read_as_people_say_them(seconds, words) -> None:
    assert ints.duration_words(seconds) == words


@given(st.floats(min_value=0, max_value=10 * 86400, allow_nan=False))
def test_every_gap_gets_a_label_in_words(gap: float) -> None:
    detail = ints.interrupted_detail(T0, T0 + timedelta(seconds=gap))
    text = ints.label(detail)
    assert text.startswith("Monitoring interrupted ")
    assert text.endswith("(server restart)")
    assert "_" not in text  # no code names for people


def test_the_detail_carries_both_wall_times_and_the_gap() -> None:
    d = ints.interrupted_detail(T0, T0 + timedelta(seconds=133))
    assert d == {
        "reason": "server restart",
        "last_write_wall": "2026-03-02T09:00:00+00:00",
        "restart_wall": "2026-03-02T09:02:13+00:00",
        "gap_s": 133.0,
    }
    assert ints.label(d) == "Monitoring interrupted 2 min 13 s (server restart)"
    unknown = ints.interrupted_detail(None, T0)
    assert unknown["gap_s"] is None
    assert ints.label(unknown) == "Monitoring interrupted (server restart)"
    # a wall clock set back between the runs is no negative gap
    assert ints.interrupted_detail(T0, T0 - timedelta(seconds=5))["gap_s"] == 0.0


def _ev(t: float, kind: str, **detail) -> dict:
    return {"t_s": t, "kind": kind, "detail": detail}


def test_each_interruption_is_paired_with_the_resume_after_it() -> None:
    events = [
        _ev(0, "session_started"),
        _ev(300, ints.INTERRUPTED, gap_s=133.0),
        _ev(300, ints.RESUMED, actor="instructor", wall="w1"),
        _ev(360, ints.INTERRUPTED, gap_s=5.0),
    ]
    found = ints.summarise(events)
    assert [(i["t_s"], i["gap_s"], i["resumed_by"], i["resumed_wall"]) for i in found] == [
        (300.0, 133.0, "instructor", "w1"),
        (360.0, 5.0, None, None),
    ]
    rows = ints.annotate([{"id": 1}, {"id": 2}], {1: events})
    assert (rows[0]["resumed"], len(rows[0]["interruptions"])) == (True, 2)
    assert (rows[1]["resumed"], rows[1]["interruptions"]) == (False, [])


def test_the_bedside_decor_carries_the_band_and_changes_its_key() -> None:
    gaps = [[86_700_000, "Monitoring interrupted 2 min 13 s (server restart)"]]
    plain = trends.decor({}, None, [])
    marked = trends.decor({}, None, [], gaps)
    assert plain["i"] == []
    assert marked["i"] == gaps
    assert marked["w"]  # drawn in the warning colour
    assert trends.decor_key({}, None, []) != trends.decor_key({}, None, [], gaps)
