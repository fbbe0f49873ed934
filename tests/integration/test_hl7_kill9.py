"""Fault injection: ``kill -9`` of the receiver in the middle of an HL7 stream.

A real ``vitalsdash run --headless --mllp-port P --db FILE`` process receives
``vitalsim.stream`` (paced, back-dated like ``--speed``); the process is killed with
SIGKILL after some messages were acknowledged and started again on the same ports and
database. The sender reconnects and resends what was not acknowledged (same MSH-10).
Afterwards every acknowledged observation is in the store exactly once, and nothing is
stored twice (a message stored just before the kill, its ACK lost, is recognised when
it comes again).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vitalsdash.store import Store
from vitalsim.stream import Observation, StreamStats, start_epoch, stream

pytestmark = pytest.mark.integration
WAIT_S = 60.0
DURATION_S = 150  # simulated seconds, one message each
SPEED = 15.0
CLINIC = """
[clinic]
name = "HL7 kill test"
tick_s = 0.25
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """``vitalsdash run --headless --mllp-port`` as a process."""

    def __init__(self, tmp: Path, db: Path, http: int, mllp: int) -> None:
        (tmp / "clinic.toml").write_text(CLINIC)
        self.cmd = [sys.executable, "-m", "vitalsdash.cli", "run", "--headless",
                    "--port", str(http), "--mllp-port", str(mllp), "--db", str(db),
                    "--clinic", str(tmp / "clinic.toml")]  # fmt: skip
        self.tmp, self.mllp = tmp, mllp
        self.proc: subprocess.Popen[bytes] | None = None
        self.runs = 0

    def start(self) -> None:
        self.runs += 1
        log = (self.tmp / f"receiver-{self.runs}.log").open("w")
        self.proc = subprocess.Popen(self.cmd, cwd=self.tmp, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:  # listening once a connection is taken
            assert self.proc.poll() is None, self.output()
            try:
                socket.create_connection(("127.0.0.1", self.mllp), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"the receiver did not listen: {self.output()}")

    def output(self) -> str:
        return (self.tmp / f"receiver-{self.runs}.log").read_text()

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(WAIT_S)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(WAIT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(WAIT_S)


def test_kill_9_mid_stream_loses_and_duplicates_no_acknowledged_observation(
    tmp_path: Path,
) -> None:
    db = tmp_path / "hl7.sqlite"
    rx = Receiver(tmp_path, db, free_port(), free_port())
    acked: list[tuple[str, list[Observation]]] = []
    result: dict[str, StreamStats | BaseException] = {}
    epoch0 = start_epoch(None, SPEED, DURATION_S)

    def send() -> None:
        try:
            result["stats"] = stream(
                "hypertensive-responder", f"mllp://127.0.0.1:{rx.mllp}", speed=SPEED, seed=5,
                duration_s=DURATION_S, location="INFUSION^^CHAIR4",
                start_wall=datetime.fromtimestamp(epoch0, UTC), ack_timeout_s=3.0,
                backoff_s=0.05, max_backoff_s=0.5, max_naks=3,
                on_acked=lambda cid, obs: acked.append((cid, obs)))  # fmt: skip
        except BaseException as exc:  # reported by the test below
            result["error"] = exc

    rx.start()
    sender = threading.Thread(target=send, name="hl7-sender", daemon=True)
    try:
        sender.start()
        deadline = time.monotonic() + WAIT_S
        while len(acked) < 40 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(acked) >= 40, rx.output()
        rx.kill9()  # mid-stream: the sender now waits for an ACK that never comes
        killed_after = len(acked)
        rx.start()  # same ports, same database
        sender.join(WAIT_S * 3)
        assert not sender.is_alive(), "the stream did not finish"
    finally:
        rx.stop()
    assert "error" not in result, result.get("error")
    stats = result["stats"]
    assert isinstance(stats, StreamStats)
    assert stats.messages == len(acked) > killed_after  # it went on after the restart
    assert stats.disconnects + stats.timeouts + stats.connect_failures >= 1

    with Store(db) as store:
        rows = store.sessions(bed_id="INFUSION-CHAIR4")
        assert len(rows) == 2  # the first process's session, then the restarted one's
        stored: Counter[tuple[float, str, float]] = Counter()
        for row in rows:
            df = store.samples(row["id"])
            for t, ch, v in zip(df.t_s, df.channel, df.value, strict=True):
                wall = row["started_wall"] + timedelta(seconds=float(t))
                stored[(round(wall.timestamp(), 3), ch, round(float(v), 6))] += 1
    sent = Counter(
        (round(epoch0 + o.t_s, 3), o.channel, round(o.value, 6)) for _, obs in acked for o in obs
    )
    missing = sent - stored
    assert not missing, f"{sum(missing.values())} acknowledged observations not stored"
    assert max(stored.values()) == 1  # nothing stored twice
    assert sum(stored.values()) == sum(sent.values())  # and nothing unacknowledged either
