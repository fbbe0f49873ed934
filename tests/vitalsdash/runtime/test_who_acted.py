"""Every action row a command writes says who asked: ``user_id`` and ``user_name`` of a
logged-in person (None for the open demo, the tests, the system), refused attempts too;
a logged-in trainee acts only on the chair assigned to them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from vitalsdash import interruptions
from vitalsdash.actions import ActionError
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Command, LimitEdit, Runtime, set_limits
from vitalsdash.store import Store

pytestmark = pytest.mark.integration

ANA: dict[str, Any] = {"user_id": 7, "user_name": "Ana Lima"}
BEN: dict[str, Any] = {"user_id": 9, "user_name": "Ben Ortiz"}


def _sign_up(store: Store) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ana Lima, a trainee given chair1, and Ben Ortiz, the instructor: as they log in."""
    ana = store.add_user("Ana Lima", "trainee")
    ben = store.add_user("Ben Ortiz", "instructor")
    store.assign_chair("chair1", ana, ben, datetime.now(UTC))
    return {"user_id": ana, "user_name": "Ana Lima"}, {"user_id": ben, "user_name": "Ben Ortiz"}


def _rows(rt: Runtime, bed: str = "chair1") -> list[dict[str, Any]]:
    sid = rt.view(bed).session_id
    return rt.store.actions(sid)


def _who(row: dict[str, Any]) -> tuple[Any, Any]:
    return row["user_id"], row["user_name"]


def test_a_command_with_a_person_crosses_json_unchanged() -> None:
    c = Command("pause_pump", "chair1", {}, "trainee", **ANA)
    assert Command.from_dict(json.loads(json.dumps(c.to_dict()))) == c
    assert Command("pause_pump", "chair1").to_dict()["user_name"] is None
    edits = set_limits("chair1", [LimitEdit("HR", "high", 130)], "trainee", **BEN)
    assert (edits.user_id, edits.user_name) == (9, "Ben Ortiz")
    assert Command.from_dict(json.loads(json.dumps(edits.to_dict()))) == edits


def test_every_row_names_who_asked_and_nobody_without_a_login(rt: Runtime) -> None:
    ana, ben = _sign_up(rt.store)
    rt.submit(Command("pause_pump", "chair1", {}, "trainee", **ana))
    rt.submit(Command("resume_pump", "chair1", {}, "trainee"))  # no login
    rt.submit(Command("chart", "chair1", {"kind": "note", "text": "calm"}, "trainee", **ana))
    hi = rt.view("chair1").limits_in_force["HR"]["high"]
    rt.submit(set_limits("chair1", [LimitEdit("HR", "high", hi + 5),
                                    LimitEdit("HR", "critical_high", hi + 30)],
                         "instructor", **ben))  # fmt: skip
    rt.submit(Command("reassure", "chair1", {}, "trainee", **ana))
    a, b = (ana["user_id"], "Ana Lima"), (ben["user_id"], "Ben Ortiz")
    got = [(r["kind"], _who(r)) for r in _rows(rt)]
    assert got[-6:] == [("pause_pump", a), ("resume_pump", (None, None)), ("chart", a),
                        ("set_limit", b), ("set_limit", b), ("reassure", a)]  # fmt: skip
    live = rt.feed.actions_since(rt.view("chair1").session_id, 0)
    assert [(r["kind"], _who(r)) for r in live][-6:] == got[-6:]  # the feed says the same


def test_a_refused_start_is_logged_with_who_tried(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "s.sqlite"))
    try:
        rt = Runtime(ClinicConfig(clinic=ClinicSection(),
                                  beds=[BedConfig(id="chair1", scenario="uncontrolled-hypertension",
                                                  seed=4)]),
                     store, Feed(store), clock=ManualClock())  # fmt: skip
        rt.start()
        rt.advance(600)
        ana, ben = _sign_up(store)
        with pytest.raises(ActionError) as refused:
            rt.submit(Command("start_infusion", "chair1", {}, "trainee", **ana))
        assert refused.value.code == "pre_infusion_check_failed"
        rt.submit(Command("start_infusion", "chair1", {"override_reason": "the doctor saw her"},
                          "instructor", **ben))  # fmt: skip
        starts = [(r["outcome"], r["actor"], _who(r)) for r in _rows(rt)
                  if r["kind"] == "start_infusion"]  # fmt: skip
        assert starts == [("refused", "trainee", (ana["user_id"], "Ana Lima")),
                          ("ok", "instructor", (ben["user_id"], "Ben Ortiz"))]  # fmt: skip
    finally:
        store.close()


def test_a_resume_names_who_resumed(tmp_path: Path) -> None:
    db = str(tmp_path / "s.sqlite")
    bed = BedConfig(id="chair1", scenario="uneventful-depression", seed=3)
    cfg = ClinicConfig(clinic=ClinicSection(), beds=[bed])
    store = Store(db)
    first = Runtime(cfg, store, Feed(store), clock=ManualClock())
    first.start()
    first.advance(120)
    sid = first.view("chair1").session_id
    store.close()  # the process dies: the session is interrupted
    store = Store(db)
    try:
        second = Runtime(cfg, store, Feed(store), clock=ManualClock())
        second.start()
        _, ben = _sign_up(store)
        second.submit(Command("resume_session", "chair1", {}, "instructor", **ben))
        resumed = [e for e in store.session_events(sid) if e["kind"] == interruptions.RESUMED]
        assert resumed[-1]["detail"]["user_name"] == "Ben Ortiz"
        assert (
            interruptions.resumed_label(resumed[-1]["detail"]) == "Monitoring resumed by Ben Ortiz"
        )
        assert interruptions.resumed_label({"actor": "instructor"}) == (
            "Monitoring resumed by instructor")  # fmt: skip
    finally:
        store.close()


# -- the chair check: a logged-in trainee acts only on the chair assigned to them ---------


def _state(rt: Runtime) -> tuple[Any, ...]:
    view = rt.view("chair1")
    return len(_rows(rt)), view.pump.state, view.limits_in_force["HR"]["high"]


def _people(rt: Runtime) -> tuple[dict[str, Any], dict[str, Any]]:
    ana = rt.store.add_user("Ana Lima", "trainee")
    ben = rt.store.add_user("Ben Ortiz", "trainee")
    return {"user_id": ana, "user_name": "Ana Lima"}, {"user_id": ben, "user_name": "Ben Ortiz"}


def test_a_trainee_acts_only_on_their_own_chair(rt: Runtime) -> None:
    ana, ben = _people(rt)
    before = _state(rt)
    hi = before[2]
    note = {"kind": "note", "text": "x"}
    for command in (Command("pause_pump", "chair1", {}, "trainee", **ana),
                    set_limits("chair1", [LimitEdit("HR", "high", hi + 5)], "trainee", **ana),
                    Command("chart", "chair1", note, "trainee", **ana)):  # fmt: skip
        with pytest.raises(ActionError) as refused:
            rt.submit(command)
        assert (refused.value.code, refused.value.status) == ("forbidden", 403)
        assert refused.value.words == (
            "chair1 is not assigned to you: ask the instructor to assign it.")  # fmt: skip
    assert _state(rt) == before  # nothing changed, nothing stored

    rt.store.assign_chair("chair1", ben["user_id"], None, datetime.now(UTC))
    with pytest.raises(ActionError) as theirs:
        rt.submit(Command("pause_pump", "chair1", {}, "trainee", **ana))
    assert theirs.value.words == "chair1 is assigned to Ben Ortiz: you can watch it, not act on it."
    assert theirs.value.message == theirs.value.words
    assert _state(rt) == before

    rt.submit(Command("pause_pump", "chair1", {}, "trainee", **ben))  # their own chair
    assert rt.view("chair1").pump.state == "paused"
    assert _who(_rows(rt)[-1]) == (ben["user_id"], "Ben Ortiz")


def test_who_is_not_chair_checked(rt: Runtime) -> None:
    """The open demo and tests (no person), the instructor, and an unknown bed (a 404)."""
    ana, ben = _people(rt)
    rt.store.assign_chair("chair1", ben["user_id"], None, datetime.now(UTC))
    rt.submit(Command("pause_pump", "chair1", {}, "trainee"))  # no login: anyone at the bedside
    teacher = rt.store.add_user("Cleo Park", "instructor")
    rt.submit(Command("resume_pump", "chair1", {}, "instructor", teacher, "Cleo Park"))
    assert rt.view("chair1").pump.state == "running"
    with pytest.raises(ActionError) as unknown:
        rt.submit(Command("pause_pump", "nowhere", {}, "trainee", **ana))
    assert unknown.value.code == "unknown_bed"
