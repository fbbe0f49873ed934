"""Start-up objects leave the cyclic collector's care in every serving process."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from vitalsdash.server import _processes, _workers
from vitalsdash.server._serve import freeze_startup_heap


@pytest.fixture
def collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_what_exists_at_start_is_frozen_and_later_objects_are_collected(collector: None) -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self  # a cycle: only the cyclic collector frees it

    freeze_startup_heap(_workers.GC_THRESHOLDS)
    assert gc.get_freeze_count() > 1000  # the modules, classes and functions loaded so far
    assert gc.get_threshold() == _workers.GC_THRESHOLDS
    Node()
    assert gc.collect() >= 1  # created after the freeze: still collected


def test_the_runtime_process_freezes_before_its_first_tick(
    collector: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    order: list[str] = []
    monkeypatch.setattr(_processes, "freeze_startup_heap", lambda *a: order.append("freeze"))

    class StopError(Exception):
        pass

    class FakeStore:
        def close(self) -> None:
            order.append("closed")

    class FakeRuntime:
        store = FakeStore()

        def add_health_check(self, *a: object) -> None:
            pass

        def run_in_thread(self) -> None:
            order.append("tick")
            raise StopError

        def stop(self) -> None:
            pass

    class FakePublisher:
        def __init__(self, *a: object) -> None:
            pass

        def start(self) -> None:
            order.append("publish")

        def stop(self) -> None:
            pass

        health = None

    class Bus:
        Publisher = FakePublisher

    monkeypatch.setattr(_processes, "load_bus", lambda: Bus)
    monkeypatch.setattr(_processes, "build_runtime", lambda opts: FakeRuntime())
    with pytest.raises(StopError):
        _processes.run_runtime(_processes.RuntimeOptions(redis="redis://127.0.0.1:1/0"))
    assert order == ["publish", "freeze", "tick", "closed"]
