"""The MLLP listener, the gateway and the HL7 source against real sockets on loopback."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import hl7
import pytest
from hl7.mllp import open_hl7_connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mllp_client import MllpClient, framed

from vitalsdash.adapters import SourceActionError
from vitalsdash.adapters.hl7 import (
    Hl7Error,
    Hl7Gateway,
    Hl7Source,
    MllpListener,
    SourceRegistry,
    parse_oru,
    read_ack,
)

pytestmark = pytest.mark.integration

ANCHOR = datetime(2026, 11, 21, 10, 14, 0, tzinfo=UTC)  # messages are stamped 10:15:00
NOW = ANCHOR + timedelta(seconds=65)
SB, EB = b"\x0b", b"\x1c\r"

DOC = "\r".join([
    "MSH|^~\\&|MONITOR^0012AB34CD56EF78^EUI-64||||20261121101500+0000||ORU^R01^ORU_R01|MSG00042|P|2.6|||NE|AL||||IHE PCD ORU-R01 2006^HL7^2.16.840.1.113883.9.n.m^HL7",  # noqa: E501
    "PID|||BED03^^^TRAINING^PI||Patient^Simulated",
    "PV1||I|INFUSION^^CHAIR3",
    "OBR|1|||182777000^monitoring of patient^SNOMED-CT|||20261121101500+0000",
    "OBX|1|NM|147842^MDC_ECG_HEART_RATE^MDC|1.1.1.147842|78|264864^MDC_DIM_BEAT_PER_MIN^MDC|||||R|||20261121101500+0000",
    "OBX|2|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|1.2.1.150456|97|262688^MDC_DIM_PERCENT^MDC|||||R|||20261121101500+0000",
    "OBX|3|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC|1.3.1.150021|131|266016^MDC_DIM_MMHG^MDC|||||R|||20261121101430+0000",
]) + "\r"  # fmt: skip
KEY = "INFUSION/CHAIR3"


def message(cid: str, *obx: str, location: str = "INFUSION^^CHAIR3",
            mtype: str = "ORU^R01^ORU_R01", end: str = "\r") -> str:  # fmt: skip
    segs = [
        f"MSH|^~\\&|MONITOR^0012AB34CD56EF78^EUI-64||||20261121101500+0000||{mtype}|{cid}|P|2.6",
        "PID|||BED03^^^TRAINING^PI||Patient^Simulated",
        f"PV1||I|{location}",
        "OBR|1|||182777000^monitoring of patient^SNOMED-CT|||20261121101500+0000",
        *obx,
    ]
    return end.join(segs) + end


def hr(value: str = "72", ts: str = "20261121101500+0000", sid: str = "1") -> str:
    return (f"OBX|{sid}|NM|147842^MDC_ECG_HEART_RATE^MDC|1.1.1.147842|{value}|"
            f"264864^MDC_DIM_BEAT_PER_MIN^MDC|||||R|||{ts}")  # fmt: skip


def acks_in(data: bytes) -> list[tuple[str, str, str]]:
    out = []
    for chunk in data.split(EB):
        i = chunk.find(SB)
        if i >= 0 and chunk[i + 1 :]:
            out.append(read_ack(chunk[i + 1 :].decode("ascii")))
    return out


def exchange(port: int, payload: bytes) -> tuple[list[tuple[str, str, str]], bool]:
    """Send ``payload``, half-close, read to EOF: (ACKs, whether the listener closed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        data = b""
        closed = False
        while True:
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                closed = True
                break
            data += chunk
    return acks_in(data), closed


def wait_until(cond, timeout: float = 3.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError("condition not reached")
        time.sleep(0.005)


@pytest.fixture
def registry() -> SourceRegistry:
    return SourceRegistry(anchor=ANCHOR, wall=lambda: NOW)


@pytest.fixture
def gateway(registry: SourceRegistry) -> Iterator[Hl7Gateway]:
    with Hl7Gateway(registry, port=0) as gw:
        yield gw


# --- end to end -------------------------------------------------------------------------------


def test_end_to_end_with_the_hl7_packages_own_client(gateway: Hl7Gateway,
                                                     registry: SourceRegistry) -> None:  # fmt: skip
    async def talk() -> list[hl7.Message]:
        reader, writer = await open_hl7_connection("127.0.0.1", gateway.port)
        acks = []
        for text in (DOC, message("MSG00043", hr("80", "20261121101501+0000"))):
            writer.writemessage(hl7.parse(text))
            await writer.drain()
            acks.append(await asyncio.wait_for(reader.readmessage(), 5))
        writer.close()
        await writer.wait_closed()
        return acks

    acks = asyncio.run(talk())
    assert [(str(a.segment("MSA")[1]), str(a.segment("MSA")[2])) for a in acks] == [
        ("AA", "MSG00042"),
        ("AA", "MSG00043"),
    ]
    assert str(acks[0].segment("MSH")[9]) == "ACK^R01^ACK"
    src = registry.sources[KEY]
    got = [(r.t_s, r.channel, r.value, r.quality, r.true_value) for r in src.advance(120)]
    assert got == [
        (30.0, "NIBP_SYS", 131.0, "ok", None),
        (60.0, "HR", 78.0, "ok", None),
        (60.0, "SPO2", 97.0, "ok", None),
        (61.0, "HR", 80.0, "ok", None),
    ]
    assert gateway.stats()["accepted"] == 2


SHAPES = {
    "crlf": (message("S1", hr("70"), end="\r\n"), [(60.0, "HR", 70.0)]),
    "lf": (message("S2", hr("71"), end="\n"), [(60.0, "HR", 71.0)]),
    "no set ids": (
        message("S3", hr("72", sid=""), "OBX||NM|150456^MDC_PULS_OXIM_SAT_O2^MDC||96|%|||||R"),
        [(60.0, "HR", 72.0), (60.0, "SPO2", 96.0)],
    ),
    "hierarchy": (
        message(
            "S4",
            "OBX|1||69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS^MDC|1|||||||X",
            "OBX|2||150020^MDC_PRESS_BLD_NONINV^MDC|1.3.1|||||||R",
            "OBX|3|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC|1.3.1.150021|140.5|MDC_DIM_MMHG|||||F",
        ),
        [(60.0, "NIBP_SYS", 140.5)],
    ),
    "kpa": (
        message(
            "S5",
            "OBX|1|NM|150022^MDC_PRESS_BLD_NONINV_DIA^MDC||10|265987^MDC_DIM_KILO_PASCAL^MDC|||||R",
        ),
        [(60.0, "NIBP_DIA", 75.00616827)],
    ),
    "vendor": (
        message(
            "S6",
            "OBX|1|NM|0002-4182^HR^99PHILIPS||abc|bpm|||||R",
            "OBX|2|ST|8001^COMEN_X^99COMEN||?||||||R",
            hr("73"),
        ),
        [(60.0, "HR", 73.0)],
    ),
    "offset": (message("S7", hr("74", "20261121111510.5+0100")), [(70.5, "HR", 74.0)]),
    "no offset": (message("S8", hr("75", "20261121101520")), [(80.0, "HR", 75.0)]),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_message_shape_is_accepted_and_stored(gateway: Hl7Gateway,
                                                    registry: SourceRegistry,
                                                    shape: str) -> None:  # fmt: skip
    text, expected = SHAPES[shape]
    acks, _ = exchange(gateway.port, framed(text))
    assert [a[0] for a in acks] == ["AA"]
    got = [(r.t_s, r.channel, r.value) for r in registry.sources[KEY].advance(600)]
    assert got == [(t, c, pytest.approx(v)) for t, c, v in expected]


# --- refusals and robustness --------------------------------------------------------------------


def test_oversized_message_gets_ar_and_the_connection_stays_usable(
    gateway: Hl7Gateway, registry: SourceRegistry
) -> None:
    huge = message("BIG1", hr("70")) + "NTE|1||" + "x" * 70_000 + "\r"
    c = MllpClient(gateway.port, timeout=5)
    code, cid, text = c.send(huge)
    assert (code, cid) == ("AR", "BIG1")
    assert "too large" in text
    assert c.send(message("OK1", hr("71")))[:2] == ("AA", "OK1")
    c.close()
    assert [r.value for r in registry.sources[KEY].advance(600)] == [71.0]
    assert gateway.stats()["rejected_by_reason"] == {"oversized": 1}


def test_a_message_at_the_cap_is_accepted() -> None:
    reg = SourceRegistry(anchor=ANCHOR)
    with Hl7Gateway(reg, port=0, max_bytes=2048) as gw:
        base = message("CAP1", hr("70")) + "NTE|1||"
        text = base + "y" * (2048 - len(base) - 1) + "\r"
        assert len(text) == 2048
        assert exchange(gw.port, framed(text))[0][0][0] == "AA"
        assert exchange(gw.port, framed(text.replace("CAP1", "CAP2") + "z"))[0][0][0] == "AR"


def test_garbage_before_a_start_block_is_skipped(gateway: Hl7Gateway) -> None:
    acks, _ = exchange(gateway.port, b"\x00hello\r\n\x1c\r" + framed(message("G1", hr())))
    assert [a[:2] for a in acks] == [("AA", "G1")]
    assert gateway.stats()["garbage_bytes"] == 10


@pytest.mark.parametrize(("text", "code", "kind"), [
    (message("N1", hr(), mtype="ADT^A01^ADT_A01"), "AR", "message_type"),
    (message("N2", hr(), mtype="ORU^R30"), "AR", "message_type"),
    (message("N3", hr("7x2")), "AE", "bad_number"),
    (message("N4", hr("400")), "AE", "out_of_range"),
    (message("N5", hr(ts="2026-11-21")), "AE", "bad_time"),
    ("PID|||x\r", "AR", "malformed"),
])  # fmt: skip
def test_refused_messages_are_answered_counted_logged_and_not_stored(
    gateway: Hl7Gateway, registry: SourceRegistry, caplog: pytest.LogCaptureFixture,
    text: str, code: str, kind: str,
) -> None:  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="vitalsdash.adapters.hl7"):
        acks, _ = exchange(gateway.port, framed(text))
    assert [a[0] for a in acks] == [code]
    assert acks[0][2]  # a reason in MSA-3
    assert registry.sources == {}
    stats = gateway.stats()
    assert (stats["accepted"], stats["rejected"], stats["rejected_by_reason"]) == (0, 1, {kind: 1})
    assert any(code in r.getMessage() for r in caplog.records)


def test_ae_and_ar_carry_an_err_segment(gateway: Hl7Gateway) -> None:
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=5) as s:
        s.sendall(framed(message("E1", hr("abc"))))
        data = b""
        while EB not in data:
            data += s.recv(4096)
    m = hl7.parse(data[1:-2].decode())
    assert str(m.segment("MSA")[1]) == "AE"
    assert str(m.segment("ERR")[2]) == "OBX^1^5"


def test_unknown_source_is_rejected_when_configured_and_nothing_stored() -> None:
    reg = SourceRegistry(unknown="reject", anchor=ANCHOR)
    known = reg.add("INFUSION/CHAIR1")
    with Hl7Gateway(reg, port=0) as gw:
        acks, _ = exchange(gw.port, framed(message("U1", hr(), location="ELSEWHERE^^9")))
        assert acks[0][0] == "AR"
        assert "unknown source" in acks[0][2]
        acks, _ = exchange(gw.port, framed(message("U2", hr(), location="INFUSION^^CHAIR1")))
        assert acks[0][0] == "AA"
        assert set(reg.sources) == {"INFUSION/CHAIR1"}
        assert known.received == 1
        assert gw.stats()["rejected_by_reason"] == {"unknown_source": 1}


def test_an_unknown_source_gets_a_new_bed_by_default(gateway: Hl7Gateway,
                                                     registry: SourceRegistry) -> None:  # fmt: skip
    for i, loc in enumerate(["A^^1", "B^^2", "A^^1"]):
        exchange(gateway.port, framed(message(f"K{i}", hr(), location=loc)))
    assert sorted(registry.sources) == ["A/1", "B/2"]
    assert registry.sources["A/1"].name == "A/1"


def test_a_resent_message_is_acknowledged_but_stored_once(
    gateway: Hl7Gateway, registry: SourceRegistry
) -> None:
    c = MllpClient(gateway.port, timeout=5)
    assert c.send(DOC)[:2] == ("AA", "MSG00042")
    c.close()
    c = MllpClient(gateway.port, timeout=5)
    code, cid, text = c.send(DOC)
    c.close()
    assert (code, cid) == ("AA", "MSG00042")
    assert "duplicate" in text
    assert len(registry.sources[KEY].advance(600)) == 3
    assert gateway.stats()["duplicates"] == 1


def test_pipelined_messages_get_their_acks_in_order(gateway: Hl7Gateway) -> None:
    texts = [message(f"P{i}", hr(str(60 + i))) for i in range(20)]
    texts[7] = message("P7", hr("x"))
    acks, closed = exchange(gateway.port, b"".join(framed(t) for t in texts))
    assert [a[1] for a in acks] == [f"P{i}" for i in range(20)]
    assert [a[0] for a in acks].count("AE") == 1
    assert acks[7][0] == "AE"
    assert closed


def test_reconnections_are_taken_in_stride_and_noted(gateway: Hl7Gateway,
                                                     registry: SourceRegistry) -> None:  # fmt: skip
    for i in range(3):
        c = MllpClient(gateway.port, timeout=5)
        assert c.send(message(f"R{i}", hr(str(70 + i), f"2026112110150{i}+0000")))[0] == "AA"
        c.close(reset=i == 1)
        wait_until(lambda: gateway.stats()["open_connections"] == 0)
    src = registry.sources[KEY]
    assert [r.value for r in src.advance(70)] == [70.0, 71.0, 72.0]
    notes = src.notes()
    assert [n.kind for n in notes] == ["device_connected", "device_disconnected"] * 3
    assert {n.t_s for n in notes} == {65.0}  # the receiver's clock at the events
    assert notes[0].detail["source"] == KEY
    assert notes[0].detail["peer"].startswith("127.0.0.1:")
    assert gateway.stats()["connections"] == 3


def test_a_broken_connection_does_not_affect_others(gateway: Hl7Gateway) -> None:
    a, b = MllpClient(gateway.port, timeout=5), MllpClient(gateway.port, timeout=5)
    a.sock.sendall(SB + message("HALF", hr()).encode()[:50])  # a frame never finished
    assert b.send(message("B1", hr()))[:2] == ("AA", "B1")
    a.close(reset=True)
    assert b.send(message("B2", hr()))[:2] == ("AA", "B2")
    c = MllpClient(gateway.port, timeout=5)
    c.sock.sendall(SB + b"MSH|^~\\&|x" + SB + framed(message("C1", hr()))[1:])
    assert c.ack()[0] == "AR"  # the cut frame
    assert c.ack()[:2] == ("AA", "C1")
    for x in (b, c):
        x.close()
    wait_until(lambda: gateway.stats()["open_connections"] == 0)
    assert gateway.stats()["rejected_by_reason"] == {"truncated_frame": 2}


def test_listener_binds_loopback_by_default_and_stops_cleanly() -> None:
    lst = MllpListener(lambda b: None, port=0)
    assert lst.host == "127.0.0.1"
    lst.start()
    port = lst.port
    assert port > 0
    assert lst.running
    c = MllpClient(port, timeout=5)
    wait_until(lambda: lst.stats()["open_connections"] == 1)
    lst.stop()
    assert not lst.running
    with pytest.raises(OSError):  # noqa: PT011 - refused, reset or closed
        c.send(message("Z", hr()))
    with pytest.raises(OSError):  # noqa: PT011
        socket.create_connection(("127.0.0.1", port), timeout=1)
    taken = MllpListener(lambda b: None, port=0).start()
    with pytest.raises(OSError):  # noqa: PT011 - address in use, raised by start()
        MllpListener(lambda b: None, port=taken.port).start()
    taken.stop()


def test_ack_is_sent_only_after_the_callback_returned() -> None:
    order: list[str] = []

    def on_batch(batch) -> None:
        time.sleep(0.05)
        order.append(f"stored {batch.control_id}")

    with MllpListener(on_batch, port=0) as lst:
        c = MllpClient(lst.port, timeout=5)
        c.send(message("O1", hr()))
        order.append("acked")
        c.close()
    assert order == ["stored O1", "acked"]


def test_callback_errors_become_ae_and_are_not_remembered_as_accepted() -> None:
    calls = []

    def flaky(batch) -> None:
        calls.append(batch.control_id)
        if len(calls) == 1:
            raise RuntimeError("disk full")

    with MllpListener(flaky, port=0) as lst:
        c = MllpClient(lst.port, timeout=5)
        assert c.send(message("F1", hr()))[0] == "AE"
        assert c.send(message("F1", hr()))[0] == "AA"  # the retry is stored, not deduplicated
        c.close()
    assert calls == ["F1", "F1"]


# --- the source -------------------------------------------------------------------------------


def batch(cid: str, *obx: str) -> object:
    return parse_oru(message(cid, *obx))


def test_source_returns_late_readings_with_their_own_time() -> None:
    src = Hl7Source("bed", anchor=ANCHOR, wall=lambda: NOW)
    src.push(batch("A", hr("70", "20261121101500+0000")))
    assert [(r.t_s, r.value) for r in src.advance(61)] == [(60.0, 70.0)]
    src.push(batch("B", hr("71", "20261121101459+0000"), hr("72", "20261121101501+0000")))
    assert [(r.t_s, r.value) for r in src.advance(62)] == [(59.0, 71.0), (61.0, 72.0)]
    assert src.late == 1
    assert src.advance(100) == []


def test_source_holds_readings_until_anchored_and_drops_earlier_ones() -> None:
    src = Hl7Source("bed", wall=lambda: NOW)
    src.push(batch("A", hr("70", "20261121101500+0000"), hr("69", "20261121101330+0000")))
    assert src.advance(10_000) == []
    src.set_anchor(ANCHOR.replace(tzinfo=None))  # naive = UTC
    assert [(r.t_s, r.value) for r in src.advance(10_001)] == [(60.0, 70.0)]
    assert src.dropped_before_start == 1


def test_source_refuses_observations_far_ahead_of_the_clocks() -> None:
    src = Hl7Source("bed", anchor=ANCHOR, max_ahead_s=300, wall=lambda: ANCHOR)
    with pytest.raises(Hl7Error) as info:
        src.push(batch("A", hr("70"), hr("71", "20261121102000+0000")))
    assert (info.value.code, info.value.kind) == ("AE", "future_time")
    assert src.pending() == 0  # all or nothing
    src.push(batch("B", hr("70", "20261121101900+0000")))  # 300 s ahead: accepted
    assert src.pending() == 1


def test_source_notes_no_data_and_resumption() -> None:
    src = Hl7Source("bed", anchor=ANCHOR, quiet_after_s=10, wall=lambda: NOW)
    src.push(batch("A", hr("70")))
    src.advance(65)
    assert src.notes() == []
    src.advance(71)
    (n,) = src.notes()
    assert (n.t_s, n.kind, n.source, n.detail["last_data_s"]) == (70.0, "no_data", "device", 60.0)
    src.advance(90)
    assert src.notes() == []  # once
    src.push(batch("B", hr("71", "20261121101531+0000")))
    src.advance(95)
    assert [(n.t_s, n.kind) for n in src.notes()] == [(91.0, "data_resumed")]


def test_source_is_a_real_device_not_a_patient() -> None:
    src = Hl7Source("bed")
    with pytest.raises(SourceActionError, match="real device"):
        src.apply("pause_pump", "trainee", {})
    with pytest.raises(SourceActionError):
        src.inject("desaturation", {})
    assert src.pump() is None
    assert src.truth() is None
    assert src.kind == "hl7"


# --- fuzzing -----------------------------------------------------------------------------------

FUZZ_CAP = 4096
FUZZ_CHECKS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@pytest.fixture(scope="module")
def fuzz_target() -> Iterator[tuple[Hl7Gateway, SourceRegistry]]:
    reg = SourceRegistry(anchor=ANCHOR, max_ahead_s=1e9)
    with Hl7Gateway(reg, port=0, max_bytes=FUZZ_CAP) as gw:
        yield gw, reg


def stored(reg: SourceRegistry) -> tuple[int, int]:
    return len(reg.sources), sum(s.received for s in reg.sources.values())


_ids = iter(range(10**9))
VALID = [message("V", hr("70")), DOC]


@st.composite
def invalid_payloads(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["random", "random framed", "truncated", "huge", "wrong type",
                                 "bad number", "cut start"]))  # fmt: skip
    cid = f"Z{next(_ids)}"
    if kind == "random":
        return draw(st.binary(max_size=2000))
    if kind == "random framed":
        body = draw(st.binary(max_size=2000).filter(lambda b: b"MSH" not in b))
        return framed(body.replace(SB, b"").replace(EB, b""))
    if kind == "truncated":  # a frame that never ends
        text = draw(st.sampled_from(VALID)).encode()
        return SB + text[: draw(st.integers(0, len(text)))]
    if kind == "huge":
        n = draw(st.integers(FUZZ_CAP + 1, 3 * FUZZ_CAP))
        return framed(message(cid, hr()) + "NTE|1||" + "h" * n + "\r")
    if kind == "wrong type":
        mtype = draw(st.sampled_from(["ADT^A01", "ACK", "ORM^O01", "ORU^R30", "QBP^Q11", ""])
                     | st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789^", max_size=10)
                     .filter(lambda s: not s.startswith("ORU^R01")))  # fmt: skip
        return framed(message(cid, hr(), mtype=mtype))
    if kind == "bad number":
        # no lone surrogates: a device sends encodable text (UTF-8 cannot carry them)
        alphabet = st.characters(blacklist_characters="|^~\\&\r\n\x0b\x1c",
                                 blacklist_categories=("Cs",))  # fmt: skip
        bad = draw(st.text(alphabet, min_size=1, max_size=20).filter(
            lambda s: s.strip() and not _is_number(s.strip())))  # fmt: skip
        return framed(message(cid, hr(bad)))
    # a frame whose start block is missing: garbage, then a lone end block
    return message(cid, hr()).encode() + EB


def _is_number(s: str) -> bool:
    import re

    return re.fullmatch(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", s) is not None


@settings(max_examples=250, deadline=None, suppress_health_check=FUZZ_CHECKS)
@given(payload=invalid_payloads())
def test_fuzz_invalid_input_never_stores_and_never_kills_the_listener(
    fuzz_target: tuple[Hl7Gateway, SourceRegistry], payload: bytes
) -> None:
    gw, reg = fuzz_target
    before = stored(reg)
    acks, closed = exchange(gw.port, payload)
    assert all(code in ("AE", "AR") for code, _, _ in acks), acks
    assert acks or closed  # answered, or the frame was closed with the connection
    assert stored(reg) == before
    assert gw.listener.running


@settings(max_examples=150, deadline=None, suppress_health_check=FUZZ_CHECKS)
@given(data=st.data())
def test_fuzz_mutated_messages_store_only_what_is_acknowledged(
    fuzz_target: tuple[Hl7Gateway, SourceRegistry], data: st.DataObject
) -> None:
    gw, reg = fuzz_target
    text = data.draw(st.sampled_from(VALID)).replace("MSG00042", "V").replace(
        "|V|", f"|M{next(_ids)}|")  # fmt: skip
    chars = st.sampled_from(list("|^~\\&\r\n0123456789.+-X \x0b\x1c")) | st.characters()
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(text)))
        text = text[:i] + data.draw(st.text(chars, max_size=3)) + text[i + data.draw(
            st.integers(0, 3)):]  # fmt: skip
    before = stored(reg)
    acks, _ = exchange(gw.port, framed(text))
    assert all(code in ("AA", "AE", "AR") for code, _, _ in acks)
    if not any(code == "AA" for code, _, _ in acks):
        assert stored(reg) == before
    assert gw.listener.running


def test_the_listener_still_serves_after_fuzzing(
    fuzz_target: tuple[Hl7Gateway, SourceRegistry],
) -> None:
    gw, _ = fuzz_target
    acks, _ = exchange(gw.port, framed(message("AFTER-FUZZ", hr())))
    assert acks[0][:2] == ("AA", "AFTER-FUZZ")
