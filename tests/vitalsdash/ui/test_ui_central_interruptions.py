"""The central station marks a monitoring interruption on each tile's sparkline, as the
bedside trend and the review's timeline do: the band where session time stopped, in the
bedside's warning colour, with the same words. A page open across the restart gets it as a
fresh figure on its next tick; a tile without interruptions draws none.

The restart is the runtime's own: a runtime on a store that is simply closed (its
sessions stay running), and a new one on the same database with a later wall clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from redis_server import bus_prefix, redis_server  # noqa: F401  (fixtures)

from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.report import INTERRUPTION
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store
from vitalsdash.ui.live.central import central_tick
from vitalsdash.ui.theme import PALETTE
from vitalsdash.ui.widgets import sparkline

pytestmark = pytest.mark.unit

LABEL = "Monitoring interrupted 2 min 13 s (server restart)"
GAP_S = 133
STOPPED_S = 300.0


class Wall:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _clinic() -> ClinicConfig:
    beds = [BedConfig(id="c1", scenario="hypertensive-responder", seed=5),
            BedConfig(id="c2", scenario="uneventful-depression", seed=6)]  # fmt: skip
    return ClinicConfig(clinic=ClinicSection(resume_interrupted=True), beds=beds)


class Restart:
    """A runtime that ran ``STOPPED_S`` seconds, and (``again``) its successor on the same
    database ``GAP_S`` wall-clock seconds later."""

    def __init__(self, db: Path) -> None:
        self.db, self.wall = db, Wall()
        self.store = Store(db)
        self.rt = Runtime(_clinic(), self.store, Feed(self.store), clock=ManualClock(),
                          wall=self.wall)  # fmt: skip
        self.rt.start()
        self.rt.advance(int(STOPPED_S))

    def again(self) -> Runtime:
        self.store.close()  # the crash: its sessions stay running in the store
        self.wall.now += timedelta(seconds=GAP_S)
        self.store = Store(self.db)
        self.rt = Runtime(_clinic(), self.store, Feed(self.store), clock=ManualClock(),
                          wall=self.wall)  # fmt: skip
        self.rt.start()  # marks the sessions interrupted and resumes them
        return self.rt


@pytest.fixture
def restart(tmp_path: Path) -> Iterator[Restart]:
    r = Restart(tmp_path / "clinic.sqlite")
    yield r
    r.store.close()


def _bands(fig: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in fig["layout"].get("shapes", []) if s.get("name") == INTERRUPTION]


def _last_x(fig: dict[str, Any]) -> float:
    return max(fig["data"][0]["x"])


def test_a_tile_opened_after_the_restart_shows_the_band_in_words(restart: Restart) -> None:
    rt = restart.again()
    rt.advance(60)
    up = central_tick(rt, ["c1", "c2"], None, {})
    for bed in ("c1", "c2"):  # every session the crash left running
        [band] = _bands(up.figures[bed])
        assert band["x0"] == band["x1"] == STOPPED_S  # where session time stopped
        assert (band["xref"], band["yref"], band["y0"], band["y1"]) == ("x", "paper", 0, 1)
        assert band["line"]["color"] == band["label"]["font"]["color"] == PALETTE["medium"]
        assert band["label"]["text"] == LABEL
    assert _last_x(up.figures["c1"]) == STOPPED_S + 60  # the lines go on past it

    rt.advance(30)
    nxt = central_tick(rt, ["c1", "c2"], up.cursor, {})
    assert nxt.figures == {}  # drawn once: the band stays in the figure
    assert set(nxt.extends) == {"c1", "c2"}


def test_a_page_open_across_the_restart_gets_a_fresh_figure_with_the_band(
    restart: Restart,
) -> None:
    before = central_tick(restart.rt, ["c1"], None, {})
    assert _bands(before.figures["c1"]) == []

    rt = restart.again()
    rt.advance(30)
    up = central_tick(rt, ["c1"], before.cursor, {})
    assert up.extends == {}  # not appended to the old figure: drawn again, with the band
    [band] = _bands(up.figures["c1"])
    assert (band["x0"], band["label"]["text"]) == (STOPPED_S, LABEL)
    xs = up.figures["c1"]["data"][0]["x"]
    assert (min(xs), max(xs)) == (15, STOPPED_S + 30)  # the whole window, read again

    rt.advance(30)
    nxt = central_tick(rt, ["c1"], up.cursor, {})
    assert (nxt.figures, set(nxt.extends)) == ({}, {"c1"})


def test_a_tile_without_interruptions_draws_no_band(restart: Restart) -> None:
    up = central_tick(restart.rt, ["c1", "c2"], None, {})
    assert set(up.figures) == {"c1", "c2"}
    assert all("shapes" not in fig["layout"] for fig in up.figures.values())
    restart.rt.advance(60)
    nxt = central_tick(restart.rt, ["c1", "c2"], up.cursor, {})
    assert (nxt.figures, set(nxt.extends)) == ({}, {"c1", "c2"})


def test_the_words_move_to_the_inner_side_and_the_band_leaves_with_the_window(
    restart: Restart,
) -> None:
    rt = restart.again()
    up = central_tick(rt, ["c1"], None, {})
    [band] = _bands(up.figures["c1"])
    assert band["label"]["xanchor"] == "right"  # the newest part: the words on its left
    cursor, seen = up.cursor, []
    for _ in range(int(sparkline.WINDOW_S // 60) + 2):
        rt.advance(60)
        up = central_tick(rt, ["c1"], cursor, {})
        cursor = up.cursor
        if "c1" in up.figures:
            seen.append([b["label"]["xanchor"] for b in _bands(up.figures["c1"])])
    # redrawn twice: once the band is in the older half, once it has left the window
    assert seen == [["left"], []]


@given(
    gaps=st.lists(st.floats(0, 20_000), max_size=6),
    end_s=st.floats(0, 20_000),
)
def test_only_the_bands_in_the_window_are_drawn_with_words_towards_its_middle(
    gaps: list[float], end_s: float
) -> None:
    drawn = sparkline.bands([[t, "words"] for t in gaps], end_s)
    assert [b[0] for b in drawn] == sorted(t for t in gaps if t >= end_s - sparkline.WINDOW_S)
    mid = (max(0.0, end_s - sparkline.WINDOW_S) + end_s) / 2
    for t, _, side in drawn:
        assert side == ("left" if t > mid else "right")
    fig = sparkline.figure([], {}, drawn)
    assert [s["x0"] for s in fig["layout"].get("shapes", [])] == [b[0] for b in drawn]


@pytest.mark.integration
def test_a_web_worker_draws_the_same_band_through_redis(
    tmp_path: Path,
    redis_server: Any,  # noqa: F811
    bus_prefix: str,  # noqa: F811
) -> None:
    """A worker's central page open across the restart reads the interruption from the
    new runtime's streams (or the store behind them) and draws what the runtime would."""
    from bus_clinic import StepClock

    from vitalsdash.bus import Publisher, RemoteRuntime

    store, wall, now = Store(str(tmp_path / "clinic.sqlite")), Wall(), StepClock()
    first = Runtime(_clinic(), store, Feed(store), clock=ManualClock(), wall=wall)
    first.start()
    first.advance(int(STOPPED_S) - 4)
    old = Publisher(first, redis_server.url, bus_prefix, now_s=now).start()
    remote = RemoteRuntime(redis_server.url, store, _clinic(), bus_prefix)
    new = None
    try:
        for _ in range(2):
            first.advance(2)
            now.t += 0.5
            assert old.flush()
        before = central_tick(remote, ["c1", "c2"], None, {})
        assert not any(_bands(fig) for fig in before.figures.values())
        old.stop()  # the crash: nothing more from it

        wall.now += timedelta(seconds=GAP_S)
        now.t += GAP_S
        second = Runtime(_clinic(), store, Feed(store), clock=ManualClock(), wall=wall)
        second.start()  # marks the sessions interrupted and resumes them
        new = Publisher(second, redis_server.url, bus_prefix, now_s=now).start()
        second.advance(2)
        now.t += 0.5
        assert new.flush()
        there = central_tick(remote, ["c1", "c2"], before.cursor, {})
        here = central_tick(second, ["c1", "c2"], before.cursor, {})
        assert repr(vars(there)) == repr(vars(here))
        for bed in ("c1", "c2"):
            [band] = _bands(there.figures[bed])
            assert (band["x0"], band["label"]["text"]) == (STOPPED_S, LABEL)
    finally:
        remote.stop()
        for p in (old, new):
            if p is not None:
                p.stop()
        store.close()
