"""A stored session whose actions name the people who did them, for the debrief's tables.

A hypertensive responder: "Ana Lima" (a logged-in trainee, given the chair) starts the
infusion and pauses the pump when the systolic alarm comes; acknowledgements come from
the bedside with no login (the open demo), so their rows name nobody.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Command, Runtime
from vitalsdash.store import Store

BED = "chair1"
NAME = "Ana Lima"


def named_session(path: Path) -> tuple[Store, int, float, int]:
    """(store, session id, when the pump was paused, Ana's user id) of an ended session
    in ``path``."""
    store = Store(str(path))
    rt = Runtime(ClinicConfig(clinic=ClinicSection(),
                              beds=[BedConfig(id=BED, scenario="hypertensive-responder",
                                              seed=12)]),
                 store, Feed(store), clock=ManualClock())  # fmt: skip
    rt.start()
    rt.advance(600)
    user_id = store.add_user(NAME, "trainee")
    store.assign_chair(BED, user_id, None, datetime.now(UTC))
    ana: dict[str, Any] = {"user_id": user_id, "user_name": NAME}
    rt.submit(Command("start_infusion", BED, {}, "trainee", **ana))  # a caution: it starts
    paused_at = None
    for _ in range(300):
        rt.advance(10)
        alarms = rt.bed_summary(BED)["session"]["alarms"]
        if any(a["condition"] == "SYS_HI" for a in alarms):
            paused_at = rt.submit(Command("pause_pump", BED, {}, "trainee", **ana))["t_s"]
            break
    assert paused_at is not None, "the scenario's systolic alarm came"
    for a in rt.bed_summary(BED)["session"]["alarms"]:
        if not a["acknowledged"]:
            rt.submit(Command("acknowledge", BED, {"condition": a["condition"]}, "trainee"))
    rt.advance(60)
    sid = rt.view(BED).session_id
    rt.submit(Command("end_session", BED, {}, "instructor"))
    return store, sid, paused_at, user_id
