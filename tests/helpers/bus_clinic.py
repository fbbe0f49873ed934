"""A clinic published to a throwaway Redis, and a web worker's view of it (bus tests).

``Clinic`` holds a runtime on a ManualClock (chair1 running the hypertensive responder,
chair2 idle until a test starts it), its Publisher and a RemoteRuntime on the same store:
a test moves the runtime, calls ``publish()`` (a synchronous flush: no waiting on the
publishing thread) and compares what the remote reads with what the runtime answers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vitalsdash.bus import Publisher, RemoteRuntime
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store
from vitalsdash.waves import encode_packet

EVENT_READS = ("alarm_events_since", "actions_since", "observations_since",
               "session_events_since")  # fmt: skip


class StepClock:
    """Epoch seconds that move only when told to (the publisher's stream ids)."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t


@dataclass
class Clinic:
    rt: Runtime
    publisher: Publisher
    remote: RemoteRuntime
    store: Store
    url: str
    prefix: str
    now: StepClock  # the publisher's stream ids
    remote_clock: ManualClock  # when the remote tries Redis again after a failure

    def publish(self) -> None:
        assert self.publisher.flush(), self.publisher.health()

    def sessions(self) -> list[int]:
        return [v.session_id for v in self.rt.views().beds if v.session_id is not None]


def make_clinic(tmp_path: Path, url: str, prefix: str, *, keep_s: float = 900.0,
                command_timeout_s: float = 5.0, start: bool = True) -> Clinic:  # fmt: skip
    beds = [
        BedConfig(id="chair1", scenario="hypertensive-responder", seed=12),
        BedConfig(id="chair2", scenario="uneventful-depression", seed=11, autostart=False),
    ]
    clinic = ClinicConfig(clinic=ClinicSection(speed=60), beds=beds)
    store = Store(str(tmp_path / "bus.sqlite"))
    rt = Runtime(clinic, store, Feed(store), clock=ManualClock())
    rt.start()
    now = StepClock()
    publisher = Publisher(rt, url, prefix, keep_s=keep_s, now_s=now)
    if start:
        publisher.start()
    remote_clock = ManualClock()
    remote = RemoteRuntime(url, store, clinic, prefix, command_timeout_s=command_timeout_s,
                           clock=remote_clock.now)  # fmt: skip
    return Clinic(rt, publisher, remote, store, url, prefix, now, remote_clock)


def close_clinic(c: Clinic) -> None:
    c.remote.stop()
    c.publisher.stop()
    c.rt.stop()
    c.store.close()


# -- comparing answers ----------------------------------------------------------------


def plain_samples(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Samples with NaN as None, so that equal answers compare equal."""
    return [(t, ch, None if isinstance(v, float) and math.isnan(v) else v, q)
            for t, ch, v, q in rows]  # fmt: skip


def plain_latest(latest: dict[str, tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
    return {ch: (t, None if math.isnan(v) else v, q) for ch, (t, v, q) in latest.items()}


def plain_waves(answer: tuple[int, list[Any]]) -> tuple[int, list[Any]]:
    """A ``waves_since`` answer as a page gets it: each segment as its packet's bytes (a
    worker's segments come packed, the runtime's as samples)."""
    newest, got = answer
    return newest, [(sid, encode_packet(0, [(str(sid), s)])) for sid, s in got]


def same_feed(rt: Runtime, remote: RemoteRuntime, sid: int,
              cursors_t: list[float | None], cursors_seq: list[int],
              channels: list[list[str] | None] | None = None) -> None:  # fmt: skip
    """Every read asked of both feeds answers the same."""
    for after in cursors_t:
        for chs in channels or [None]:
            assert plain_samples(remote.feed.samples_since(sid, after, chs)) == plain_samples(
                rt.feed.samples_since(sid, after, chs)
            ), (sid, after, chs)
    for name in EVENT_READS:
        for seq in cursors_seq:
            mine: Callable[..., Any] = getattr(rt.feed, name)
            theirs: Callable[..., Any] = getattr(remote.feed, name)
            assert theirs(sid, seq) == mine(sid, seq), (name, sid, seq)
    assert plain_latest(remote.feed.latest(sid)) == plain_latest(rt.feed.latest(sid))
