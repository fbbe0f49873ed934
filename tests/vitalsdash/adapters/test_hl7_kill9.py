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

import socket
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from served import Served, free_port

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


def start_listening(rx: Served, mllp: int) -> None:
    """Start (or restart) the receiver; it is ready once the MLLP port takes a connection."""

    def listening() -> bool:
        socket.create_connection(("127.0.0.1", mllp), timeout=1).close()
        return True

    rx.start()
    rx.wait_for("the MLLP listener", listening)


def test_kill_9_mid_stream_loses_and_duplicates_no_acknowledged_observation(
    tmp_path: Path,
) -> None:
    db, mllp = tmp_path / "hl7.sqlite", free_port()
    (tmp_path / "clinic.toml").write_text(CLINIC)
    rx = Served(tmp_path, "--headless", "--mllp-port", str(mllp), "--db", str(db),
                "--clinic", str(tmp_path / "clinic.toml"), timeout_s=WAIT_S)  # fmt: skip
    acked: list[tuple[str, list[Observation]]] = []
    result: dict[str, StreamStats | BaseException] = {}
    epoch0 = start_epoch(None, SPEED, DURATION_S)

    def send() -> None:
        try:
            result["stats"] = stream(
                "hypertensive-responder", f"mllp://127.0.0.1:{mllp}", speed=SPEED, seed=5,
                duration_s=DURATION_S, location="INFUSION^^CHAIR4",
                start_wall=datetime.fromtimestamp(epoch0, UTC), ack_timeout_s=3.0,
                backoff_s=0.05, max_backoff_s=0.5, max_naks=3,
                on_acked=lambda cid, obs: acked.append((cid, obs)))  # fmt: skip
        except BaseException as exc:  # reported by the test below
            result["error"] = exc

    start_listening(rx, mllp)
    sender = threading.Thread(target=send, name="hl7-sender", daemon=True)
    try:
        sender.start()
        deadline = time.monotonic() + WAIT_S
        while len(acked) < 40 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(acked) >= 40, rx.output()
        rx.kill()  # mid-stream: the sender now waits for an ACK that never comes
        killed_after = len(acked)
        start_listening(rx, mllp)  # same ports, same database
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
