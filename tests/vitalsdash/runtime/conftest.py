"""A small running clinic for the runtime's tests: chair1 (hypertensive responder) 10 min
into its infusion, with alarms and a pump; chair2 (uneventful) with no session.

A test module may define its own ``rt`` fixture instead."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from infusion_start import start_infusion

from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    beds = [
        BedConfig(id="chair1", scenario="hypertensive-responder", seed=12),
        BedConfig(id="chair2", scenario="uneventful-depression", seed=11, autostart=False),
    ]
    store = Store(str(tmp_path / "runtime.sqlite"))
    runtime = Runtime(
        ClinicConfig(clinic=ClinicSection(speed=60), beds=beds), store, Feed(store),
        clock=ManualClock(),
    )  # fmt: skip
    runtime.start()
    runtime.advance(600)  # the end of chair1's baseline: its infusion is started
    start_infusion(runtime, "chair1")
    runtime.advance(600)  # into chair1's infusion, with alarms and a pump
    yield runtime
    store.close()
