"""Each bed's views are built once per change of the runtime and shared by every reader.

Within a tick every reader gets the same frozen object; a tick, a command (acknowledge,
pause pump, set_limits, start and end of a session), an HL7 sender's new chair and
anything else done under the runtime's lock are seen by the very next read.
"""

from __future__ import annotations

import threading

import pytest

from vitalsdash.config import BedConfig
from vitalsdash.runtime import Command, LimitEdit, Runtime, set_limits
from vitalsdash.runtime._core import Bed
from vitalsdash.runtime._view_cache import CountingLock

pytestmark = pytest.mark.unit


def test_within_a_tick_every_reader_gets_the_same_view(rt: Runtime) -> None:
    one = rt.view("chair1")
    assert one is not None
    assert rt.view("chair1") is one
    clinic = rt.views()
    assert clinic.beds[0] is one  # views() and view(bed) agree: the same object
    assert rt.views().beds[1] is rt.view("chair2")
    truth = rt.truth("chair1")
    assert truth is not None
    assert rt.truth("chair1") is truth
    assert rt.views(beds=False).beds == ()


def test_a_tick_gives_fresh_views(rt: Runtime) -> None:
    before, truth = rt.view("chair1"), rt.truth("chair1")
    assert before is not None
    assert truth is not None
    rt.advance(5)
    after = rt.view("chair1")
    assert after is not None
    assert after is not before
    assert after.t_s == before.t_s + 5
    assert rt.truth("chair1").t_s == truth.t_s + 5  # type: ignore[union-attr]
    assert rt.views().beds[0] is after
    assert rt.views().tick_count == rt.tick_count


def test_a_command_shows_in_the_very_next_view(rt: Runtime) -> None:
    assert rt.view("chair1").pump.running  # type: ignore[union-attr]
    rt.submit(Command("pause_pump", "chair1", {}, "trainee"))  # no tick in between
    assert not rt.view("chair1").pump.running  # type: ignore[union-attr]
    assert not rt.views().beds[0].pump.running  # type: ignore[union-attr]
    rt.submit(Command("resume_pump", "chair1", {}, "trainee"))
    assert rt.view("chair1").pump.running  # type: ignore[union-attr]


def test_set_limits_and_acknowledge_show_at_once(rt: Runtime) -> None:
    view = rt.view("chair1")
    assert view is not None
    hr = view.latest["HR"][1]
    table = view.limits_in_force["HR"]
    low = max(table["low"] or 30.0, hr - 30)
    rt.submit(set_limits("chair1", [LimitEdit("HR", "high", hr - 10),
                                    LimitEdit("HR", "low", low)], "trainee"))  # fmt: skip
    now = rt.view("chair1").limits_in_force["HR"]  # type: ignore[union-attr]
    assert (now["high"], now["low"]) == (hr - 10, low)
    rt.advance(30)  # HR over its new high limit: the alarm sounds
    alarm = next(a for a in rt.view("chair1").signals.alarms  # type: ignore[union-attr]
                 if a.condition == "HR_HI")  # fmt: skip
    assert not alarm.acknowledged
    rt.submit("chair1", "acknowledge", {"condition": "HR_HI"}, "trainee")
    acked = next(a for a in rt.views().beds[0].signals.alarms  # type: ignore[union-attr]
                 if a.condition == "HR_HI")  # fmt: skip
    assert acked.acknowledged


def test_a_refused_command_leaves_the_view_as_it_was(rt: Runtime) -> None:
    before = rt.view("chair1")
    hi = before.limits_in_force["HR"]["high"]  # type: ignore[union-attr]
    with pytest.raises(Exception, match="must be above low"):
        rt.submit(set_limits("chair1", [LimitEdit("HR", "low", hi)], "trainee"))
    after = rt.view("chair1")
    assert after == before  # built again (the lock was taken), and the same


def test_sessions_starting_and_ending_show_at_once(rt: Runtime) -> None:
    assert rt.view("chair2").session_id is None  # type: ignore[union-attr]
    sid = rt.submit("chair2", "start_session", {}, "instructor")["session_id"]
    assert rt.view("chair2").session_id == sid  # type: ignore[union-attr]
    assert rt.views().beds[1].status == "running"
    rt.submit("chair2", "end_session", {}, "instructor")
    assert rt.view("chair2").status == "ended"  # type: ignore[union-attr]
    assert rt.truth("chair2").status == "ended"  # type: ignore[union-attr]


def test_speed_and_pause_show_at_once(rt: Runtime) -> None:
    beds = rt.views().beds
    rt.submit(None, "set_speed", {"speed": 10}, "instructor")
    rt.submit(None, "pause_simulation", {}, "instructor")
    clinic = rt.views()
    assert (clinic.speed, clinic.paused) == (10, True)
    assert clinic.beds == beds
    rt.submit(None, "resume_simulation", {}, "instructor")
    assert not rt.views(beds=False).paused


def test_an_hl7_senders_new_chair_shows_at_once(rt: Runtime) -> None:
    before = rt.views()
    rt.hl7_source_for("INFUSION^^CHAIR9")
    after = rt.views()
    assert len(after.beds) == len(before.beds) + 1
    new = after.beds[-1]
    assert new.source == "hl7"
    assert new.session_id is not None
    assert rt.view(new.bed_id) is new


def test_whatever_is_done_under_the_lock_is_seen(rt: Runtime) -> None:
    """Held with ``with runtime.lock`` (as tests and the HL7 intake do): counted as a change,
    and a bed replaced under the same id is built again."""
    old = rt.view("chair2")
    with rt.lock:
        rt.beds["chair2"] = Bed(BedConfig(id="chair2", label="Chair two",
                                          scenario="uneventful-depression"))  # fmt: skip
        inside = rt.view("chair2")  # from inside the change: built now, not kept
    assert inside is not None
    assert inside.label == "Chair two"
    assert rt.view("chair2") is not old
    assert rt.view("chair2").label == "Chair two"  # type: ignore[union-attr]
    with rt.lock:  # read, changed and read again inside one section: nothing kept stale
        assert rt.view("chair1").patient.get("age_years") != 99  # type: ignore[union-attr]
        rt.beds["chair1"].patient = {"age_years": 99}
        assert rt.view("chair1").patient["age_years"] == 99  # type: ignore[union-attr]
    assert rt.view("chair1").patient["age_years"] == 99  # type: ignore[union-attr]


def test_the_lock_counts_sections_not_reads() -> None:
    lock = CountingLock()
    with lock.plain:
        assert not lock.changing
    assert lock.version == 0
    with lock:
        assert lock.changing
        with lock:  # re-entrant
            pass
        assert lock.changing
    assert not lock.changing
    assert lock.version == 2
    assert lock.acquire(timeout=1)
    lock.release()
    assert lock.version == 3


def test_readers_in_other_threads_see_whole_ticks(rt: Runtime) -> None:
    """Readers racing the ticks never see a view older than the tick they saw finish."""
    seen: list[tuple[int, float]] = []
    stop = threading.Event()
    errors: list[BaseException] = []

    def read() -> None:
        try:
            while not stop.is_set():
                ticks = rt.tick_count
                view = rt.view("chair1")
                assert view is not None
                seen.append((ticks, view.t_s))
        except BaseException as exc:  # reported below
            errors.append(exc)

    start_t, start_ticks = rt.view("chair1").t_s, rt.tick_count  # type: ignore[union-attr]
    readers = [threading.Thread(target=read) for _ in range(3)]
    for r in readers:
        r.start()
    for _ in range(20):
        rt.advance(1)
    stop.set()
    for r in readers:
        r.join(timeout=10)
    assert not errors
    assert seen
    for ticks, t_s in seen:
        assert t_s >= start_t + (ticks - start_ticks)  # one simulated second per tick
