"""``vitalsim stream --speed 10`` against a running listener: every message AA and stored.

The command of the README (``make stream STREAM_ARGS="--speed 10"``) runs as a process
against a runtime with real clocks. Its stamps used to run ahead of the wall clock (the
simulated seconds went 10x faster) until the receiver refused them as from the future;
the receiver here allows only 5 s ahead, so a bounded stream shows it within seconds.
A stream the receiver refuses prints the receiver's whole reason.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vitalsdash.adapters.hl7 import Hl7Gateway
from vitalsdash.config import ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store
from vitalsim.stream import start_epoch

pytestmark = pytest.mark.integration
COUNT = 40


class Receiver:
    def __init__(self, db: Path, **settings: object) -> None:
        self.store = Store(db)
        clinic = ClinicConfig(clinic=ClinicSection(tick_s=0.25, **settings))  # type: ignore[arg-type]
        self.rt = Runtime(clinic, self.store, Feed(self.store))
        self.rt.start()
        self.rt.run_in_thread()
        self.gateway = Hl7Gateway.for_runtime(self.rt, port=0).start()

    def close(self) -> None:
        self.gateway.stop()
        self.rt.stop()
        self.store.close()


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    r = Receiver(tmp_path / "speed.sqlite", hl7_max_ahead_s=5.0)
    yield r
    r.close()


def vitalsim_stream(port: int, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "vitalsim.cli", "stream", "hypertensive-responder",
           "--to", f"mllp://127.0.0.1:{port}", *args]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)


def test_a_stream_at_speed_10_is_all_acknowledged_and_all_stored(receiver: Receiver) -> None:
    started = datetime.now(UTC)
    done = vitalsim_stream(receiver.gateway.port, "--speed", "10", "--count", str(COUNT))
    assert done.returncode == 0, done.stderr
    assert f"vitalsim stream: {COUNT} messages" in done.stderr
    assert "0 NAKs" in done.stderr
    stats = receiver.gateway.stats()
    assert (stats["accepted"], stats["rejected"]) == (COUNT, 0)
    (row,) = receiver.store.sessions()
    # back-dated: the stream's t = 0 lies before the wall clock, never ahead of it
    assert row["started_wall"] < started
    samples = receiver.store.samples(row["id"])
    values = int(done.stderr.split("messages (")[1].split(" values")[0])
    assert len(samples) == values  # every acknowledged value, once
    latest = row["started_wall"] + timedelta(seconds=float(samples.t_s.max()))
    assert latest <= datetime.now(UTC)


def test_the_stream_prints_the_receivers_whole_reason(tmp_path: Path) -> None:
    r = Receiver(tmp_path / "refuse.sqlite", unknown_hl7_sources="reject")
    try:
        done = vitalsim_stream(r.gateway.port, "--count", "1")
    finally:
        r.close()
    assert done.returncode == 2
    reason = ("unknown source 'VITALSIM/BED1': the clinic file names its HL7 devices "
              '(unknown_hl7_sources = "reject")')  # fmt: skip
    assert f"refused 5 times: AR {reason}" in done.stderr


def test_fast_streams_back_date_their_start_by_the_time_they_gain() -> None:
    now = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    at = now.timestamp()
    assert start_epoch(None, 1.0, 6600, now) == at  # real time: stamps are now
    assert start_epoch(None, 10.0, 6600, now) == pytest.approx(at - 5940)  # 6600 * 0.9
    assert start_epoch(None, 0.5, 6600, now) == at  # slower: never ahead anyway
    assert start_epoch(now - timedelta(hours=1), 10.0, 6600) == at - 3600  # as given
