"""Every action row a command writes says who asked: ``user_id`` and ``user_name`` of a
logged-in person (None for the open demo, the tests, the system), refused attempts too."""

from __future__ import annotations

import json
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
    rt.submit(Command("pause_pump", "chair1", {}, "trainee", **ANA))
    rt.submit(Command("resume_pump", "chair1", {}, "trainee"))  # no login
    rt.submit(Command("chart", "chair1", {"kind": "note", "text": "calm"}, "trainee", **ANA))
    hi = rt.view("chair1").limits_in_force["HR"]["high"]
    rt.submit(set_limits("chair1", [LimitEdit("HR", "high", hi + 5),
                                    LimitEdit("HR", "critical_high", hi + 30)],
                         "instructor", **BEN))  # fmt: skip
    rt.submit(Command("reassure", "chair1", {}, "trainee", **ANA))
    got = [(r["kind"], _who(r)) for r in _rows(rt)]
    assert got[-6:] == [
        ("pause_pump", (7, "Ana Lima")),
        ("resume_pump", (None, None)),
        ("chart", (7, "Ana Lima")),
        ("set_limit", (9, "Ben Ortiz")),
        ("set_limit", (9, "Ben Ortiz")),
        ("reassure", (7, "Ana Lima")),
    ]
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
        with pytest.raises(ActionError) as refused:
            rt.submit(Command("start_infusion", "chair1", {}, "trainee", **ANA))
        assert refused.value.code == "pre_infusion_check_failed"
        rt.submit(Command("start_infusion", "chair1", {"override_reason": "the doctor saw her"},
                          "instructor", **BEN))  # fmt: skip
        starts = [(r["outcome"], r["actor"], _who(r)) for r in _rows(rt)
                  if r["kind"] == "start_infusion"]  # fmt: skip
        assert starts == [("refused", "trainee", (7, "Ana Lima")),
                          ("ok", "instructor", (9, "Ben Ortiz"))]  # fmt: skip
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
        second.submit(Command("resume_session", "chair1", {}, "instructor", **BEN))
        resumed = [e for e in store.session_events(sid) if e["kind"] == interruptions.RESUMED]
        assert resumed[-1]["detail"]["user_name"] == "Ben Ortiz"
        assert (
            interruptions.resumed_label(resumed[-1]["detail"]) == "Monitoring resumed by Ben Ortiz"
        )
        assert interruptions.resumed_label({"actor": "instructor"}) == (
            "Monitoring resumed by instructor")  # fmt: skip
    finally:
        store.close()
