"""MLLP connections cannot be held open for free: idle and half-sent connections are closed,
connections beyond the cap are refused, and the listener's health says what it does.

Real sockets on 127.0.0.1 against a listener with short limits; each wait is bounded by a
generous deadline (no timing assertions).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from mllp_client import MllpClient

from vitalsdash.adapters.hl7 import Hl7Gateway, SourceRegistry
from vitalsdash.adapters.hl7._mllp import SB
from vitalsim.stream import Observation, build_oru

pytestmark = pytest.mark.integration
WAIT_S = 20.0
LIMITS = {"idle_timeout_s": 0.6, "frame_timeout_s": 0.6, "max_connections": 3}


def message(cid: str) -> str:
    return build_oru([Observation(0.0, "HR", 70.0)], control_id=cid,
                     epoch0=datetime.now(UTC).timestamp(), device_id="0012AB34CD56EF78",
                     location="INFUSION^^CHAIR1", patient_id="P1")  # fmt: skip


@pytest.fixture
def gateway() -> Iterator[Hl7Gateway]:
    g = Hl7Gateway(SourceRegistry(), port=0, **LIMITS).start()  # type: ignore[arg-type]
    yield g
    g.stop()


def connect(g: Hl7Gateway) -> MllpClient:
    return MllpClient(g.port, timeout=WAIT_S)


def closed_by_peer(s: socket.socket) -> bool:
    """Wait (bounded) until the receiver closes ``s``."""
    s.settimeout(WAIT_S)
    try:
        while True:
            if not s.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


def eventually(check: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_an_idle_connection_is_closed(gateway: Hl7Gateway) -> None:
    s = connect(gateway)
    try:
        assert s.send(message("IDLE1"))[0] == "AA"
        assert closed_by_peer(s.sock)  # then nothing more: closed after the idle limit
    finally:
        s.close()
    assert gateway.stats()["idle_closed"] == 1
    assert eventually(lambda: gateway.stats()["open_connections"] == 0)


def test_a_half_sent_frame_is_closed_even_while_bytes_trickle(gateway: Hl7Gateway) -> None:
    s = connect(gateway).sock
    try:
        s.sendall(SB + b"MSH|^~\\&|SLOW")
        deadline = time.monotonic() + WAIT_S
        closed = False
        while time.monotonic() < deadline:  # one byte every 0.1 s: never idle
            try:
                s.sendall(b"x")
            except OSError:
                closed = True
                break
            s.settimeout(0.1)
            try:
                if s.recv(65536) == b"":
                    closed = True
                    break
            except TimeoutError:
                pass
            except OSError:
                closed = True
                break
        assert closed
    finally:
        s.close()
    stats = gateway.stats()
    assert stats["frame_timeouts"] == 1
    assert stats["rejected_by_reason"] == {"frame_timeout": 1}  # not also a truncated frame
    assert stats["idle_closed"] == 0


def test_connections_beyond_the_cap_are_refused_and_counted(gateway: Hl7Gateway) -> None:
    held = [connect(gateway) for _ in range(3)]
    try:
        for i, s in enumerate(held):  # each one is served (and so registered)
            assert s.send(message(f"CAP{i}"))[0] == "AA"
        extra = connect(gateway)
        try:
            assert closed_by_peer(extra.sock)
        finally:
            extra.close()
        assert gateway.stats()["refused_connections"] == 1
        health = gateway.health()
        assert health["ok"] is True
        assert health["listening"] is True
        assert (health["port"], health["connections"], health["max_connections"]) == (
            gateway.port, 3, 3)  # fmt: skip
        assert health["refused_connections"] == 1
    finally:
        for s in held:
            s.close()
    # once they are gone there is room again
    assert eventually(lambda: gateway.stats()["open_connections"] == 0)
    s = connect(gateway)
    try:
        assert s.send(message("CAP9"))[0] == "AA"
    finally:
        s.close()


def test_health_says_when_the_listener_is_down() -> None:
    g = Hl7Gateway(SourceRegistry(), port=0).start()  # type: ignore[arg-type]
    assert g.health()["ok"] is True
    g.stop()
    down = g.health()
    assert (down["ok"], down["listening"]) == (False, False)


def test_the_clinic_settings_size_the_listener() -> None:
    from vitalsdash.config import ClinicSection

    c = ClinicSection()
    assert (c.mllp_max_connections, c.mllp_idle_timeout_s, c.mllp_frame_timeout_s) == (
        64, 300.0, 30.0)  # fmt: skip

    class FakeRuntime:
        clinic = type("C", (), {"clinic": ClinicSection(mllp_max_connections=5,
                                                        mllp_idle_timeout_s=9,
                                                        mllp_frame_timeout_s=4)})()  # fmt: skip

        def ingest_hl7(self, batch: object) -> None:
            return None

    g = Hl7Gateway.for_runtime(FakeRuntime(), port=0)
    lst = g.listener
    assert (lst.max_connections, lst.idle_timeout_s, lst.frame_timeout_s) == (5, 9.0, 4.0)
