"""Real devices: HL7 over MLLP into the runtime, on loopback, with a manual runtime clock.

The sender is the virtual patient streaming PCD-01 (``vitalsim.stream``, paced by a fake
clock so it sends at once) or the ``hl7`` package's own MLLP client. A message is stored
before its AA; an HL7 bed's alarm engine then reads it on ``runtime.control.clock`` (a
ManualClock here), following the device's clock a little behind, so the test decides
when the bed evaluates what arrived.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import hl7
import pytest
from mllp_client import send_by_hl7_package

from vitalsdash.adapters.hl7 import Hl7Gateway
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import HL7_LAG_S, Runtime
from vitalsdash.store import Store
from vitalsim.stream import Observation, build_oru, stream

pytestmark = pytest.mark.integration

SENT_AT = datetime(2026, 11, 21, 10, 0, 0, tzinfo=UTC)  # the device's clock at its t = 0
STREAM_S = 120
# the receiver's wall clock when the stream arrives (all at once): just after its end
RECEIVED = SENT_AT + timedelta(seconds=STREAM_S + 0.4)


class Clinic:
    def __init__(self, path: Path, *, unknown: str = "create", beds=()) -> None:
        clinic = ClinicConfig(clinic=ClinicSection(unknown_hl7_sources=unknown), beds=list(beds))
        self.store = Store(path)
        self.clock = ManualClock(1000.0)
        self.rt = Runtime(clinic, self.store, Feed(self.store), clock=self.clock, wall=self.wall)
        self.rt.start()
        self.gateway = Hl7Gateway(ingest=self.rt.ingest_hl7, port=0).start()

    def wall(self) -> datetime:
        return RECEIVED + timedelta(seconds=self.clock.now() - 1000.0)

    def run_for(self, seconds: float) -> None:
        """Wall time passes; the runtime ticks once (HL7 beds follow the clock)."""
        self.clock.advance(seconds)
        self.rt.tick()

    def close(self) -> None:
        self.gateway.stop()
        self.store.close()


@pytest.fixture
def clinic(tmp_path: Path):
    c = Clinic(tmp_path / "hl7.sqlite")
    yield c
    c.close()


def send_stream(port: int, location: str = "INFUSION^^CHAIR7") -> list[Observation]:
    """120 s of a simulated patient as 1 message per second, each acknowledged AA."""
    sent: list[Observation] = []
    stats = stream(
        "uneventful-depression",
        f"mllp://127.0.0.1:{port}",
        speed=120,
        seed=3,
        duration_s=STREAM_S,
        location=location,
        start_wall=SENT_AT,
        clock=lambda: 0.0,
        sleep=lambda _s: None,
        max_naks=1,
        on_acked=lambda _cid, obs: sent.extend(obs),
    )
    assert stats.messages == STREAM_S
    assert stats.naks == 0
    return sent


def send_one(port: int, location: str) -> hl7.Message:
    """One ORU^R01 by the hl7 package's MLLP client; returns the ACK."""
    text = build_oru(
        [Observation(5.0, "HR", 71.0)],
        control_id="TEST0001",
        epoch0=SENT_AT.timestamp(),
        device_id="0012AB34CD56EF78",
        location=location,
        patient_id="P1",
    )

    return send_by_hl7_package(port, text, timeout_s=5)


def test_an_unknown_sender_gets_a_bed_and_its_readings_are_stored(clinic: Clinic):
    assert clinic.rt.beds == {}
    sent = send_stream(clinic.gateway.port)
    first = min(o.t_s for o in sent)
    bed = clinic.rt.beds["INFUSION-CHAIR7"]  # named after the sender's PV1-3
    assert (bed.config.source, bed.config.label, bed.config.hl7_source) == (
        "hl7",
        "INFUSION/CHAIR7",
        "INFUSION/CHAIR7",
    )
    s = bed.session
    assert s is not None
    assert s.status == "running"
    assert s.t_s == 0
    # AA means stored: every reading is in the store before the bed evaluated any, the
    # session starting at the first observation (nothing of the message before it)
    row = clinic.store.session(s.session_id)
    assert row["started_wall"] == SENT_AT + timedelta(seconds=first)
    expected = sorted((round(o.t_s - first, 3), o.channel, o.value) for o in sent)
    stored = clinic.store.samples(s.session_id)
    got = sorted(zip(stored.t_s.round(3), stored.channel, stored.value, strict=True))
    assert got == expected
    # the bed's clock follows the device's (HL7_LAG_S behind), then the wall clock
    clinic.run_for(1.0)
    assert STREAM_S - first - HL7_LAG_S - 1 <= s.t_s <= STREAM_S
    clinic.run_for(HL7_LAG_S + 1)
    assert s.t_s == STREAM_S + 1
    stored = clinic.store.samples(s.session_id)  # evaluated, and not stored again
    got = sorted(zip(stored.t_s.round(3), stored.channel, stored.value, strict=True))
    assert got == expected
    assert set(stored.quality) == {"ok"}
    assert stored.true_value.isna().all()
    assert {"HR", "SPO2", "NIBP_SYS", "NIBP_DIA", "NIBP_MAP"} <= set(stored.channel)
    row = clinic.store.session(s.session_id)
    assert (row["bed_id"], row["status"], row["last_t_s"]) == (
        "INFUSION-CHAIR7",
        "running",
        s.t_s,
    )
    summary = clinic.rt.bed_summary("INFUSION-CHAIR7")["session"]
    assert summary["latest"]["HR"]["value"] == next(
        o.value for o in reversed(sent) if o.channel == "HR"
    )
    assert summary["alarms"] == [] or all(
        a["condition"].startswith("NIBP") for a in summary["alarms"]
    )
    events = [e["kind"] for e in clinic.store.session_events(s.session_id)]
    assert events[:2] == ["session_started", "device_connected"]


def test_a_quiet_device_raises_no_data(clinic: Clinic):
    sent = send_stream(clinic.gateway.port)
    first = min(o.t_s for o in sent)
    clinic.run_for(HL7_LAG_S + 1)
    bed = clinic.rt.beds["INFUSION-CHAIR7"]
    assert not {a["condition"] for a in clinic.rt.bed_summary(bed.id)["session"]["alarms"]} & {
        "NO_DATA_HR",
        "NO_DATA_SPO2",
    }
    clinic.run_for(30.0)  # the device sends nothing for 30 s of wall time
    alarms = {a["condition"] for a in clinic.rt.bed_summary(bed.id)["session"]["alarms"]}
    assert {"NO_DATA_HR", "NO_DATA_SPO2"} <= alarms
    sid = bed.session.session_id  # type: ignore[union-attr]
    log = clinic.store.alarm_events(sid)
    started = {e["condition"]: e["t_s"] for e in log if e["event"] == "active"}
    last_hr = max(o.t_s for o in sent if o.channel == "HR") - first
    assert last_hr + 10 <= started["NO_DATA_HR"] < last_hr + 11  # the 10 s stale timeout
    quiet = [e for e in clinic.store.session_events(sid) if e["kind"] == "no_data"]
    assert len(quiet) == 1
    assert quiet[0]["source"] == "device"
    # data again clears it
    more = stream(
        "uneventful-depression",
        f"mllp://127.0.0.1:{clinic.gateway.port}",
        seed=3,
        duration_s=5,
        location="INFUSION^^CHAIR7",
        start_wall=SENT_AT + timedelta(seconds=STREAM_S + 30),
        clock=lambda: 0.0,
        sleep=lambda _s: None,
    )
    assert more.messages == 5
    clinic.run_for(10.0)
    alarms = {a["condition"] for a in clinic.rt.bed_summary(bed.id)["session"]["alarms"]}
    assert not alarms & {"NO_DATA_HR", "NO_DATA_SPO2"}


def test_reject_mode_answers_ar_and_stores_nothing(tmp_path: Path):
    known = BedConfig(id="chair3", source="hl7", hl7_source="INFUSION/CHAIR3")
    c = Clinic(tmp_path / "reject.sqlite", unknown="reject", beds=[known])
    try:
        ack = send_one(c.gateway.port, "INFUSION^^CHAIR9")
        assert str(ack.segment("MSA")[1]) == "AR"
        assert "unknown source" in str(ack.segment("MSA")[3]).lower() or "unknown source" in str(
            ack.segment("ERR")
        )
        c.run_for(10.0)
        assert sorted(c.rt.beds) == ["chair3"]
        assert c.rt.beds["chair3"].session is None
        assert c.store.sessions() == []
        # a configured device is welcome, and lands in its bed
        ack = send_one(c.gateway.port, "INFUSION^^CHAIR3")
        assert str(ack.segment("MSA")[1]) == "AA"
        c.run_for(10.0)
        s = c.rt.beds["chair3"].session
        assert s is not None
        stored = c.store.samples(s.session_id)
        # stored at once, at t = 0: the session starts at the message's observation
        assert list(
            zip(stored.channel, stored.value.round(3), stored.t_s.round(3), strict=True)
        ) == [("HR", 71.0, 0.0)]
        started = c.store.session(s.session_id)["started_wall"]
        assert started == SENT_AT + timedelta(seconds=5)
        assert [x["bed_id"] for x in c.store.sessions()] == ["chair3"]
        assert c.gateway.stats()["rejected_by_reason"] == {"unknown_source": 1}
    finally:
        c.close()
