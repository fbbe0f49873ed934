"""Ticks come when a simulated second is due, so no second waits a tick period to be
computed (the reading-to-screen delay a nurse sees), and at high speeds the period holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vitalsdash.clock import ManualClock, SimControl
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store


@given(speed=st.floats(1.0, 120.0), steps=st.lists(st.floats(0.0, 3.0), max_size=20))
def test_the_next_second_is_due_exactly_when_it_says(speed: float, steps: list[float]) -> None:
    clock = ManualClock()
    control = SimControl(clock, speed)
    for dt in steps:
        clock.advance(dt)
        control.take_seconds()
    wait = control.wall_s_to_next_second()
    assert wait is not None
    assert 0.0 <= wait <= 1.0 / speed + 1e-9
    clock.advance(wait * 0.99)
    assert control.take_seconds() == 0  # not yet
    clock.advance(wait * 0.01 + 1e-6)
    assert control.take_seconds() == 1


def test_a_paused_clinic_has_no_second_due() -> None:
    control = SimControl(ManualClock())
    control.pause()
    assert control.wall_s_to_next_second() is None


def _runtime(tmp_path: Path, speed: float, tick_s: float) -> tuple[Runtime, ManualClock]:
    store = Store(str(tmp_path / "align.sqlite"))
    clock = ManualClock()
    bed = BedConfig(id="chair1", scenario="uneventful-depression", seed=3)
    clinic = ClinicConfig(clinic=ClinicSection(speed=speed, tick_s=tick_s), beds=[bed])
    rt = Runtime(clinic, store, Feed(store), clock=clock)
    rt.start()
    return rt, clock


@pytest.mark.parametrize("tick_s", [0.25, 0.5, 1.0])
def test_at_x1_every_second_is_computed_as_soon_as_it_is_due(tmp_path: Path,
                                                             tick_s: float) -> None:  # fmt: skip
    """Driving the loop's own waits: each session second appears within a few ms of its
    wall time, never up to a period late, and no wait exceeds the period."""
    rt, clock = _runtime(tmp_path, 1.0, tick_s)
    late = []
    for _ in range(40):
        wait = rt.next_tick_in()
        assert 0.0 < wait <= tick_s
        clock.advance(wait)
        before = rt.views().beds[0].t_s
        rt.tick()
        after = rt.views().beds[0].t_s
        if after > before:  # the second(s) just computed were due this late
            late.append(clock.now() - after)
    assert len(late) >= 9  # about one a second over the run
    assert max(late) < 0.01
    rt.store.close()


def test_at_high_speed_the_tick_period_holds(tmp_path: Path) -> None:
    """x60: a period holds many seconds; aligning would only tick more often."""
    rt, _ = _runtime(tmp_path, 60.0, 0.5)
    assert rt.next_tick_in() == 0.5
    rt.control.pause()
    assert rt.next_tick_in() == 0.5  # paused: ticks go on (health, real devices)
    rt.store.close()


@settings(max_examples=30, deadline=None)
@given(speed=st.sampled_from([1.0, 1.5, 2.0]), tick_s=st.sampled_from([0.25, 0.5, 1.0]))
def test_slow_speeds_never_wait_longer_than_a_period(speed: float, tick_s: float) -> None:
    rt, clock = _runtime(Path(__import__("tempfile").mkdtemp()), speed, tick_s)
    for _ in range(10):
        wait = rt.next_tick_in()
        assert 0.0 < wait <= tick_s
        clock.advance(wait)
        rt.tick()
    rt.store.close()
