"""``vitalsim stream`` into the HL7 listener: every observation arrives exactly once,
also when the receiver refuses a message or the connection drops."""

from __future__ import annotations

import contextlib
import math
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from vitalsdash.adapters.hl7 import Hl7Error, Hl7Gateway, SourceRegistry, parse_oru
from vitalsim import LiveSimulation, find_scenario, load_scenario
from vitalsim.stream import (
    Observation,
    StreamError,
    build_oru,
    observations_of,
    parse_target,
    stream,
)

pytestmark = pytest.mark.integration

START = datetime(2026, 11, 21, 9, 0, 0, tzinfo=UTC)
SCENARIO, SEED, SECONDS = "uneventful-depression", 5, 60
KEY = "VITALSIM/BED1"


class FakeTime:
    """clock/sleep for the streamer: sleeping moves the clock, nobody waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.now += s


def expected(seconds: int = SECONDS, seed: int = SEED) -> list[tuple[float, str, float]]:
    sim = LiveSimulation.from_scenario(load_scenario(find_scenario(SCENARIO)), seed)
    out = []
    for r in sim.advance(seconds):
        if r.channel in ("HR", "SPO2", "RR", "ETCO2", "NIBP_SYS", "NIBP_DIA", "NIBP_MAP") \
                and r.quality != "invalid" and not math.isnan(r.value):  # fmt: skip
            out.append((float(r.t_s), r.channel, float(r.value)))
    return sorted(out)


def received(reg: SourceRegistry) -> list[tuple[float, str, float]]:
    return sorted((r.t_s, r.channel, r.value) for r in reg.sources[KEY].advance(10**6))


def run(port: int, fake: FakeTime | None = None, **kw) -> object:
    fake = fake or FakeTime()
    opts = {"duration_s": SECONDS, "start_wall": START, "clock": fake.clock, "sleep": fake.sleep}
    opts.update(kw)
    return stream(SCENARIO, f"mllp://127.0.0.1:{port}", 10.0, SEED, **opts)


@pytest.fixture
def registry() -> SourceRegistry:
    return SourceRegistry(anchor=START, wall=lambda: START)


def test_every_observation_arrives_exactly_once(registry: SourceRegistry) -> None:
    fake = FakeTime()
    acked: list[Observation] = []
    with Hl7Gateway(registry, port=0) as gw:
        stats = run(gw.port, fake, on_acked=lambda cid, obs: acked.extend(obs))
        assert gw.stats()["accepted"] == stats.messages
    want = expected()
    assert len(want) > 2 * SECONDS  # HR and SpO2 each second, RR, NIBP
    assert {c for _, c, _ in want} >= {"HR", "SPO2", "RR", "ETCO2", "NIBP_SYS", "NIBP_DIA",
                                       "NIBP_MAP"}  # fmt: skip
    assert received(registry) == want
    assert sorted((o.t_s, o.channel, o.value) for o in acked) == want
    assert (stats.seconds, stats.naks, stats.sends) == (SECONDS, 0, stats.messages)
    assert stats.observations == len(want)
    # paced at x10: the last message was due 5.9 s of (fake) wall time after the first
    assert fake.now == pytest.approx((SECONDS - 1) / 10.0)


def test_a_nak_makes_it_resend_the_same_message_once(registry: SourceRegistry) -> None:
    seen: list[str] = []

    def flaky(key: str):
        if len(seen) == 3:
            seen.append("refused")
            raise Hl7Error("AE", "try again later", kind="busy")
        seen.append(key)
        return registry(key)

    fake = FakeTime()
    with Hl7Gateway(flaky, port=0) as gw:
        stats = run(gw.port, fake)
        assert gw.stats()["rejected_by_reason"] == {"busy": 1}
    assert received(registry) == expected()
    assert (stats.naks, stats.sends, stats.connects) == (1, stats.messages + 1, 2)
    assert fake.slept.count(0.05) == 1  # one backoff


class Proxy:
    """A TCP proxy that forwards MLLP frames one by one and can drop the connection instead.

    ``drop(direction, n)`` (direction "up" to the listener, "down" to the device; ``n``
    counts frames in that direction over all connections) says whether to cut the
    connection instead of forwarding that frame.
    """

    def __init__(self, target: int, drop: Callable[[str, int], bool]) -> None:
        self.target, self.drop = target, drop
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.counts = {"up": 0, "down": 0}
        self.lock = threading.Lock()
        self.drops = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            pair = (client, upstream)
            threading.Thread(target=self._pump, args=(client, upstream, "up", pair),
                             daemon=True).start()  # fmt: skip
            threading.Thread(target=self._pump, args=(upstream, client, "down", pair),
                             daemon=True).start()  # fmt: skip

    def _pump(self, src: socket.socket, dst: socket.socket, direction: str,
              pair: tuple[socket.socket, socket.socket]) -> None:  # fmt: skip
        buf = b""
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                buf += data
                while b"\x1c\r" in buf:
                    frame, _, buf = buf.partition(b"\x1c\r")
                    with self.lock:
                        self.counts[direction] += 1
                        cut = self.drop(direction, self.counts[direction])
                        self.drops += cut
                    if cut:
                        raise ConnectionAbortedError
                    dst.sendall(frame + b"\x1c\r")
        except OSError:
            pass
        for s in pair:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def gateway(registry: SourceRegistry) -> Iterator[Hl7Gateway]:
    with Hl7Gateway(registry, port=0) as gw:
        yield gw


def test_dropped_connections_lose_and_duplicate_nothing(
    gateway: Hl7Gateway, registry: SourceRegistry
) -> None:
    # the first ACK is lost after its message was stored; the first sending of the 10th
    # message (the 11th frame up, after the resent first) never reaches the listener
    proxy = Proxy(gateway.port, lambda d, n: (d, n) in {("down", 1), ("up", 11)})
    try:
        stats = run(proxy.port)
    finally:
        proxy.close()
    assert proxy.drops == 2
    assert received(registry) == expected()
    assert stats.disconnects == 2
    assert stats.sends == stats.messages + 2
    assert gateway.stats()["duplicates"] == 1  # the resend of the stored first message


def test_a_lost_ack_times_out_and_is_resent(gateway: Hl7Gateway, registry: SourceRegistry) -> None:
    swallowed = threading.Event()

    class Swallow(Proxy):
        def _pump(self, src, dst, direction, pair) -> None:
            if direction == "down" and not swallowed.is_set():
                src.recv(65536)  # eat the first ACK, keep the connection open
                swallowed.set()
            super()._pump(src, dst, direction, pair)

    proxy = Swallow(gateway.port, lambda d, n: False)
    try:
        stats = run(proxy.port, duration_s=5, ack_timeout_s=0.3)
    finally:
        proxy.close()
    assert stats.timeouts == 1
    assert received(registry) == expected(5)


def test_a_permanent_refusal_stops_the_stream() -> None:
    reg = SourceRegistry(unknown="reject", anchor=START)
    fake = FakeTime()
    with Hl7Gateway(reg, port=0) as gw, pytest.raises(StreamError, match="unknown source"):
        run(gw.port, fake, max_naks=3)
    assert fake.slept[:2] == [0.05, 0.1]  # exponential backoff


def test_no_receiver_is_retried_with_backoff_until_it_comes() -> None:
    reg = SourceRegistry(anchor=START, wall=lambda: START)
    gw = Hl7Gateway(reg, port=0).start()
    port = gw.port
    gw.stop()
    fake = FakeTime()
    later: list[Hl7Gateway] = []

    def sleep(s: float) -> None:
        fake.sleep(s)
        if len(fake.slept) == 3:  # the receiver comes up after three failed connects
            later.append(Hl7Gateway(reg, port=port).start())

    try:
        stats = stream(SCENARIO, f"mllp://127.0.0.1:{port}", 10.0, SEED, duration_s=3,
                       start_wall=START, clock=fake.clock, sleep=sleep)  # fmt: skip
    finally:
        for g in later:
            g.stop()
    assert stats.connect_failures == 3
    assert fake.slept[:3] == [0.05, 0.1, 0.2]
    assert received(reg) == expected(3)


def test_count_bounds_the_stream(gateway: Hl7Gateway, registry: SourceRegistry) -> None:
    stats = run(gateway.port, count=7)
    assert stats.messages == 7
    assert {t for t, _, _ in received(registry)} == set(map(float, range(7)))


# --- the messages --------------------------------------------------------------------------------


def test_messages_have_the_contract_shape_and_parse_back() -> None:
    obs = [Observation(31.0, "HR", 70.0), Observation(31.0, "SPO2", 97.5),
           Observation(31.0, "NIBP_SYS", 156.0), Observation(31.0, "NIBP_DIA", 95.0),
           Observation(31.0, "NIBP_MAP", 115.333)]  # fmt: skip
    text = build_oru(obs, control_id="V1", epoch0=START.timestamp(), device_id="5653494D00000005",
                     location="INFUSION^^CHAIR3", patient_id="SIM01")  # fmt: skip
    segs = text.split("\r")
    assert segs[-1] == ""
    assert "\n" not in text
    assert [s[:3] for s in segs[:-1]] == ["MSH", "PID", "PV1", "OBR"] + ["OBX"] * 6
    assert segs[0].startswith("MSH|^~\\&|VITALSIM^5653494D00000005^EUI-64||||20261121090031.000")
    assert "|ORU^R01^ORU_R01|V1|P|2.6|" in segs[0]
    assert segs[6] == "OBX|3||150020^MDC_PRESS_BLD_NONINV^MDC|1.3.1|||||||R"
    assert segs[5].startswith("OBX|2|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|1.2.1.150456|97.5|")
    b = parse_oru(text)
    assert b.source_key == "INFUSION/CHAIR3"
    assert b.keys["device"] == "5653494D00000005"
    assert [(r.t_s - START.timestamp(), r.channel, r.value) for r in b.readings] == [
        (31.0, o.channel, o.value) for o in obs
    ]


def test_etco2_goes_once_a_breath_with_its_own_time_and_parses_back() -> None:
    """A capnograph's EtCO2 at the breath's end (not the second's start): the monitor's
    apnoea timer runs from it."""
    obs = [Observation(31.0, "HR", 70.0), Observation(31.4, "ETCO2", 52.0)]
    text = build_oru(obs, control_id="V2", epoch0=START.timestamp(), device_id="5653494D00000005",
                     location="INFUSION^^CHAIR3", patient_id="SIM01")  # fmt: skip
    assert "|151708^MDC_CONC_AWAY_CO2_ET^MDC|" in text
    b = parse_oru(text)
    got = [(round(r.t_s - START.timestamp(), 3), r.channel, r.value) for r in b.readings]
    assert got == [(31.0, "HR", 70.0), (31.4, "ETCO2", 52.0)]


def test_observations_skip_invalid_and_unsent_channels() -> None:
    class Row:
        def __init__(self, ch: str, v: float, q: str = "ok") -> None:
            self.t_s, self.channel, self.value, self.quality = 3.0, ch, v, q

    rows = [
        Row("NIBP_SYS", 120),
        Row("HR", 70),
        Row("SPO2", math.nan, "invalid"),
        Row("RR", 12, "artefact"),
        Row("KET_CE", 100),
        Row("NIBP_DIA", 80, "invalid"),
    ]
    assert [(o.channel, o.value) for o in observations_of(rows)] == [
        ("HR", 70),
        ("RR", 12),
        ("NIBP_SYS", 120),
    ]


@pytest.mark.parametrize("url", ["http://x:1", "mllp://x", "mllp://:2575", "x:1", "mllp://h:99999"])
def test_bad_targets_are_refused(url: str) -> None:
    with pytest.raises(StreamError, match="mllp://HOST:PORT"):
        parse_target(url)
    assert parse_target("mllp://127.0.0.1:2575") == ("127.0.0.1", 2575)
