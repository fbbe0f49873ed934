"""HL7 into the runtime through a real MLLP socket: AA means stored, and senders are admitted.

Each test talks to ``Hl7Gateway.for_runtime`` on 127.0.0.1 with raw MLLP frames and reads
the store right after the ACK (no tick in between: an AA must already be stored). The
runtime's clock is a ManualClock and its wall clock follows it, so ages and the
new-chair rate are exact.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from mllp_client import MllpClient

from vitalsdash.adapters.hl7 import Hl7Gateway, read_ack
from vitalsdash.adapters.hl7._parse import format_ts
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store, StoreError

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)  # the receiver's wall clock at the start
HR = "147842^MDC_ECG_HEART_RATE^MDC"
SPO2 = "150456^MDC_PULS_OXIM_SAT_O2^MDC"
BPM = "264864^MDC_DIM_BEAT_PER_MIN^MDC"
PCT = "262688^MDC_DIM_PERCENT^MDC"


def ts(dt: datetime) -> str:
    return format_ts(dt.timestamp())


def oru(cid: str, location: str, obx: list[tuple[str, str, str, str]], *,
        msh_time: str = "", obr_time: str = "") -> str:  # fmt: skip
    """An ORU^R01; ``obx`` rows are (code, value, unit, OBX-14)."""
    segs = [f"MSH|^~\\&|MON^0012AB34CD56EF78^EUI-64||||{msh_time}||ORU^R01^ORU_R01|{cid}|P|2.6",
            "PID|||P1^^^T^PI", f"PV1||I|{location}",
            f"OBR|1|||182777000^monitoring of patient^SNOMED-CT|||{obr_time}"]  # fmt: skip
    for i, (code, value, unit, when) in enumerate(obx, 1):
        segs.append(f"OBX|{i}|NM|{code}|1.1.1|{value}|{unit}|||||R|||{when}")
    return "\r".join(segs) + "\r"


class Clinic:
    def __init__(self, db: Path | str, beds: tuple[BedConfig, ...] = (), **settings: Any) -> None:
        self.store = Store(db)
        self.clock = ManualClock(1000.0)
        section = ClinicSection(**settings)
        self.rt = Runtime(ClinicConfig(clinic=section, beds=list(beds)), self.store,
                          Feed(self.store), clock=self.clock, wall=self.wall)  # fmt: skip
        self.rt.start()
        self.gateway = Hl7Gateway.for_runtime(self.rt, port=0).start()
        self.wire = MllpClient(self.gateway.port)

    def wall(self) -> datetime:
        return NOW + timedelta(seconds=self.clock.now() - 1000.0)

    def send(self, text: str) -> tuple[str, str, str]:
        """(MSA-1 code, MSA-3 text, the ERR segment or "") of the message's ACK."""
        ack = self.wire.exchange(text)
        code, _cid, reason = read_ack(ack)
        err = next((s for s in ack.split("\r") if s.startswith("ERR")), "")
        return code, reason, err

    def samples(self, bed_id: str) -> list[tuple[datetime, str, float]]:
        """Every stored sample of the bed's sessions as (wall time, channel, value)."""
        out = []
        for row in self.store.sessions(bed_id=bed_id):
            df = self.store.samples(row["id"])
            for t, ch, v in zip(df.t_s, df.channel, df.value, strict=True):
                out.append((row["started_wall"] + timedelta(seconds=float(t)), ch, float(v)))
        return sorted(out)

    def all_samples(self) -> int:
        return sum(len(self.store.samples(r["id"])) for r in self.store.sessions())

    def close(self) -> None:
        self.wire.close()
        self.gateway.stop()
        self.store.close()


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[Clinic]:
    c = Clinic(tmp_path / "ingest.sqlite")
    yield c
    c.close()


# --- AA means stored -------------------------------------------------------------------------


def test_the_first_message_of_a_new_sender_is_stored_before_its_aa(clinic: Clinic) -> None:
    at = NOW - timedelta(seconds=1)
    code, text, _ = clinic.send(
        oru("M1", "INFUSION^^CHAIR7", [(HR, "72", BPM, ts(at)), (SPO2, "97", PCT, ts(at))])
    )
    assert code == "AA", text
    assert clinic.samples("INFUSION-CHAIR7") == [(at, "HR", 72.0), (at, "SPO2", 97.0)]
    (row,) = clinic.store.sessions(bed_id="INFUSION-CHAIR7")
    assert row["started_wall"] == at  # the session starts at its first observation


def test_a_minutes_old_message_is_stored_at_its_obx14_time(clinic: Clinic) -> None:
    old = NOW - timedelta(minutes=5)
    code, text, _ = clinic.send(oru("M1", "CHAIR8", [(HR, "70", BPM, ts(old))],
                                    msh_time=ts(NOW), obr_time=ts(NOW)))  # fmt: skip
    assert code == "AA", text
    assert clinic.samples("CHAIR8") == [(old, "HR", 70.0)]
    # the bed's running session takes later and late readings at their own times
    clinic.clock.advance(60)
    clinic.rt.tick()
    late = NOW - timedelta(minutes=3)
    assert clinic.send(oru("M2", "CHAIR8", [(HR, "71", BPM, ts(late))]))[0] == "AA"
    assert clinic.samples("CHAIR8") == [(old, "HR", 70.0), (late, "HR", 71.0)]


def test_without_obx14_the_time_is_obr7_then_msh7(clinic: Clinic) -> None:
    obr, msh = NOW - timedelta(seconds=30), NOW - timedelta(seconds=20)
    assert clinic.send(oru("M1", "CHAIR9", [(HR, "60", BPM, "")], msh_time=ts(msh),
                           obr_time=ts(obr)))[0] == "AA"  # fmt: skip
    assert clinic.send(oru("M2", "CHAIR9", [(HR, "61", BPM, "")], msh_time=ts(msh)))[0] == "AA"
    assert clinic.samples("CHAIR9") == [(obr, "HR", 60.0), (msh, "HR", 61.0)]


def test_a_days_old_message_is_refused_with_the_whole_reason(clinic: Clinic) -> None:
    old = NOW - timedelta(days=2)
    code, text, err = clinic.send(oru("M1", "CHAIR1", [(HR, "70", BPM, ts(old))]))
    assert code == "AE"
    assert text == ("observation time 2026-11-20T10:00:00Z is 2 days before receipt "
                    "(2026-11-22T10:00:00Z); the receiver keeps data at most 12 h old "
                    "(hl7_max_age_s)")  # fmt: skip
    assert text in err.replace("\\F\\", "|")  # ERR-8 has it whole too
    assert clinic.all_samples() == 0
    assert clinic.rt.beds == {}  # a refused message creates no chair


def test_a_message_too_far_ahead_is_refused_and_a_little_ahead_is_stored(clinic: Clinic) -> None:
    ahead = NOW + timedelta(minutes=10)
    code, text, _ = clinic.send(oru("M1", "CHAIR1", [(HR, "70", BPM, ts(ahead))]))
    assert code == "AE"
    assert "10 min after receipt" in text
    assert "at most 2 min ahead (hl7_max_ahead_s)" in text
    assert clinic.all_samples() == 0
    soon = NOW + timedelta(seconds=60)
    assert clinic.send(oru("M2", "CHAIR1", [(HR, "70", BPM, ts(soon))]))[0] == "AA"
    assert clinic.samples("CHAIR1") == [(soon, "HR", 70.0)]


def test_a_resent_message_is_stored_once_also_after_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "resend.sqlite"
    msg = oru("SAME-ID", "CHAIR2", [(HR, "70", BPM, ts(NOW))])
    c = Clinic(db)
    try:
        assert c.send(msg)[0] == "AA"
        code, text, _ = c.send(msg)
        assert (code, text) == ("AA", "duplicate of a stored message; not stored again")
        assert c.samples("CHAIR2") == [(NOW, "HR", 70.0)]
    finally:
        c.close()
    again = Clinic(db)  # a new process on the same database: the id is remembered
    try:
        assert again.send(msg)[:2] == ("AA", "duplicate of a stored message; not stored again")
        assert again.samples("CHAIR2") == [(NOW, "HR", 70.0)]
        assert again.rt.beds == {}  # a resend makes no new chair or session
    finally:
        again.close()


def test_an_observation_before_the_running_session_is_refused(clinic: Clinic) -> None:
    assert clinic.send(oru("M1", "CHAIR3", [(HR, "70", BPM, ts(NOW))]))[0] == "AA"
    early = NOW - timedelta(minutes=1)
    code, text, _ = clinic.send(oru("M2", "CHAIR3", [(HR, "71", BPM, ts(early))]))
    assert code == "AE"
    assert "60 s before the session on 'CHAIR3' started (2026-11-22T10:00:00Z)" in text
    assert clinic.samples("CHAIR3") == [(NOW, "HR", 70.0)]


def test_a_store_failure_is_ae_with_its_reason_and_the_resend_is_stored(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert clinic.send(oru("M1", "CHAIR4", [(HR, "70", BPM, ts(NOW))]))[0] == "AA"

    def refuse(tick: Any) -> None:
        raise StoreError("tick not written (nothing of it was stored): database or disk is full")

    msg = oru("M2", "CHAIR4", [(HR, "71", BPM, ts(NOW + timedelta(seconds=1)))])
    monkeypatch.setattr(clinic.store, "write_tick", refuse)
    code, text, _ = clinic.send(msg)
    assert code == "AE"
    assert text == ("receiver could not store the message: tick not written (nothing of it "
                    "was stored): database or disk is full")  # fmt: skip
    monkeypatch.undo()
    assert clinic.send(msg)[0] == "AA"  # the device resends: stored now, once
    assert clinic.send(msg)[1] == "duplicate of a stored message; not stored again"
    assert [v for _, _, v in clinic.samples("CHAIR4")] == [70.0, 71.0]


# --- who may become a chair ----------------------------------------------------------------


def test_150_new_senders_are_capped_per_minute_and_in_total(tmp_path: Path) -> None:
    c = Clinic(tmp_path / "cap.sqlite", hl7_max_new_beds=6)
    try:
        codes = [c.send(oru(f"M{i}", f"WARD^^LOC{i}", [(HR, "70", BPM, ts(NOW))]))
                 for i in range(150)]  # fmt: skip
        assert [x[0] for x in codes[:4]] == ["AA"] * 4
        assert {x[0] for x in codes[4:]} == {"AR"}
        assert ("4 chairs were created for HL7 senders in the last minute, the limit "
                "(hl7_new_beds_per_min) is 4; try again in 60 s") in codes[4][1]  # fmt: skip
        assert len(c.rt.beds) == 4
        assert c.all_samples() == 4  # nothing of a refused sender is stored
        c.clock.advance(61)  # a minute later: two more, then the total cap
        later = [c.send(oru(f"N{i}", f"WARD^^LOC{i}", [(HR, "70", BPM, ts(c.wall()))]))
                 for i in range(4, 8)]  # fmt: skip
        assert [x[0] for x in later] == ["AA", "AA", "AR", "AR"]
        assert "already created 6 chairs, the limit (hl7_max_new_beds) is 6" in later[2][1]
        assert len(c.rt.beds) == 6
        # a known sender is never refused by the caps
        assert c.send(oru("K1", "WARD^^LOC0", [(HR, "71", BPM, ts(c.wall()))]))[0] == "AA"
    finally:
        c.close()


def test_a_sender_named_like_a_chair_gets_a_label_of_its_own(tmp_path: Path) -> None:
    chair = BedConfig(id="chair1", label="Chair 1", source="none", autostart=False)
    c = Clinic(tmp_path / "label.sqlite", beds=(chair,))
    try:
        assert c.send(oru("M1", "Chair 1", [(HR, "70", BPM, ts(NOW))]))[0] == "AA"
        assert c.send(oru("M2", "CHAIR 1 (HL7)", [(HR, "70", BPM, ts(NOW))]))[0] == "AA"
        labels = sorted(b.config.display_name for b in c.rt.beds.values())
        assert labels == ["CHAIR 1 (HL7) (HL7)", "Chair 1", "Chair 1 (HL7)"]
        assert len({x.casefold() for x in labels}) == len(labels)
    finally:
        c.close()


def test_nul_and_hl7_delimiters_do_not_reach_labels_or_ids(clinic: Clinic) -> None:
    # PV1-3 with a NUL and an escaped field separator (\F\ is "|" once unescaped)
    assert clinic.send(oru("M1", "BAD\x00NAME\\F\\X^^BED\x07", [(HR, "70", BPM, ts(NOW))]))[0] \
        == "AA"  # fmt: skip
    (bed,) = clinic.rt.beds.values()
    label = bed.config.display_name
    assert label == "BAD NAME X/BED"
    assert all(c.isprintable() and c not in "|^~\\&" for c in label)
    assert bed.id == "BAD-NAME-X-BED"
    summary = clinic.rt.bed_summary(bed.id)
    assert summary["label"] == label


def test_a_non_ascii_location_is_accepted(clinic: Clinic) -> None:
    code, text, _ = clinic.send(oru("M1", "ZÜRICH^^BETT1", [(HR, "70", BPM, ts(NOW))]))
    assert code == "AA", text
    bed = clinic.rt.beds["ZURICH-BETT1"]
    assert bed.config.display_name == "ZÜRICH/BETT1"
    assert clinic.samples("ZURICH-BETT1") == [(NOW, "HR", 70.0)]
    assert clinic.send(oru("M2", "北京^^床1", [(HR, "70", BPM, ts(NOW))]))[0] == "AA"
    (bed,) = (b for b in clinic.rt.beds.values() if b.config.hl7_source == "北京/床1")
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,32}", bed.id)  # the ASCII that is there, or "hl7"
    assert bed.config.display_name == "北京/床1"


def test_the_bed_evaluates_stored_readings_without_storing_them_again(clinic: Clinic) -> None:
    for i in range(5):
        at = NOW + timedelta(seconds=i)
        assert clinic.send(oru(f"M{i}", "CHAIR5", [(HR, "200", BPM, ts(at))]))[0] == "AA"
    for _ in range(20):
        clinic.clock.advance(1)
        clinic.rt.tick()
    assert len(clinic.samples("CHAIR5")) == 5
    s = clinic.rt.beds["CHAIR5"].session
    assert s is not None
    assert s.t_s >= 5
    assert clinic.rt.bed_summary("CHAIR5")["session"]["latest"]["HR"]["value"] == 200.0
    log = clinic.store.alarm_events(s.session_id)
    assert any(e["condition"] == "HR_HI" for e in log)  # the alarm engine saw them


def test_a_resend_older_than_the_memory_is_still_stored_once(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vitalsdash.runtime import _hl7_ingest

    monkeypatch.setattr(_hl7_ingest, "RECENT_IDS", 2)  # the store's key is the last guard
    first = oru("OLD-1", "CHAIR6", [(HR, "70", BPM, ts(NOW))])
    assert clinic.send(first)[0] == "AA"
    for i in range(3):
        at = ts(NOW + timedelta(seconds=i + 1))
        assert clinic.send(oru(f"NEW-{i}", "CHAIR6", [(HR, "71", BPM, at)]))[0] == "AA"
    assert clinic.send(first)[:2] == ("AA", "duplicate of a stored message; not stored again")
    assert len(clinic.samples("CHAIR6")) == 4


def test_stored_once_with_long_and_non_ascii_keys_on_either_database(db_url: str) -> None:
    location = "STATION-" + "Ü" * 250 + "^^BETT1"  # a key longer than the id column
    c = Clinic(db_url)
    try:
        msg = oru("X" * 199, location, [(HR, "70", BPM, ts(NOW))])
        assert c.send(msg)[0] == "AA"
        assert c.send(msg)[1] == "duplicate of a stored message; not stored again"
        (bed,) = c.rt.beds.values()
        assert c.samples(bed.id) == [(NOW, "HR", 70.0)]
        code, text, _ = c.send(oru("Y" * 200, location, [(HR, "70", BPM, ts(NOW))]))
        assert (code, text) == ("AR", "MSH-10 is 200 characters long; at most 199 are accepted")
    finally:
        c.close()
