"""HL7 messages into the runtime: stored before they are acknowledged (docs/hl7.md).

:meth:`Hl7Intake.ingest` runs under the runtime's lock for one parsed message and either
returns (the listener then answers AA) or raises :class:`Hl7Error` (AE/AR with the
reason). In order:

1. A message id (MSH-10) already stored from the same sender is a resend (a lost ACK, a
   reconnect, a restart): answered AA again, nothing stored twice. The ids are kept in
   the store (``hl7_received``, primary key sender + id), written in the same
   transaction as the samples, so this holds across a crash. The check is in memory:
   a sender's last ``RECENT_IDS`` ids are read from the store when it is first seen
   (a device resends what was not acknowledged: its latest few), and the key refuses
   anything older that slips past (then answered as the resend it is).
2. Time policy. Each reading's time is its OBX-14, else OBR-7, else MSH-7 (the parser's
   rule). Older than ``hl7_max_age_s`` or more than ``hl7_max_ahead_s`` after receipt:
   AE naming the time, the distance and the limit.
3. Admission: the sender's bed (the clinic file's ``hl7_source``/id), or a new chair
   within the caps of :mod:`vitalsdash.runtime._hl7_admission`.
4. Session: the bed's running session, or a new one anchored at the message's first
   observation (so nothing of it falls before its start). An observation before the
   running session's start is AE (it belongs to no session of this chair).
5. One transaction: the samples at ``t = observation - session start`` and the id. A
   store failure is AE with the store's reason. Then the live feed, then the bed's alarm
   engine queue (the bed's Hl7Source; ``BedSession.advance`` evaluates readings in time
   order and does not store them again).

The bed's clock follows the device: it runs at wall-clock pace from the newest
observation received (``realtime_start`` only moves earlier), ``HL7_LAG_S`` behind, and
never back. A device whose clock is late (a backlog, a replayed or accelerated stream)
is evaluated at its own pace; a quiet device's bed runs on, so NO_DATA comes in time.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from vitalsdash.adapters.hl7 import Hl7Error, ObservationBatch
from vitalsdash.config import BedConfig
from vitalsdash.runtime._hl7_admission import (
    Admission,
    bed_id_for,
    clean_label,
    sender_key,
    unique_label,
)
from vitalsdash.store import StoreError, TickWrite

if TYPE_CHECKING:
    from vitalsdash.runtime._core import Bed, Runtime

log = logging.getLogger("vitalsdash.hl7")
CONTROL_ID_MAX = 199  # HL7 v2.5+ MSH-10
DUPLICATE = "duplicate of a stored message; not stored again"
RECENT_IDS = 4096  # per sender, the ids kept in memory for the resend check


@dataclass(frozen=True)
class IngestResult:
    """What the listener answers AA with: stored (``stored`` readings) or a resend."""

    stored: int = 0
    duplicate: bool = False
    session_id: int | None = None
    bed_id: str | None = None
    source: Any = None  # the bed's Hl7Source (device connection notes go there)
    text: str = ""


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def human(seconds: float) -> str:
    """A duration for a person: 45 s, 12 min, 6 h, 2 days."""
    s = abs(seconds)
    if s < 120:
        return f"{s:.0f} s"
    if s < 2 * 3600:
        return f"{s / 60:.0f} min"
    if s < 2 * 86400:
        return f"{s / 3600:.1f} h".replace(".0 h", " h")
    return f"{s / 86400:.1f} days".replace(".0 days", " days")


class Hl7Intake:
    """The runtime's HL7 intake (one per runtime; every call under ``runtime.lock``)."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        c = runtime.clinic.clinic
        self.max_age_s = float(c.hl7_max_age_s)
        self.max_ahead_s = float(c.hl7_max_ahead_s)
        self.admission = Admission(c.hl7_new_beds_per_min, c.hl7_max_new_beds,
                                   runtime.control.clock.now)  # fmt: skip
        self._seen: dict[str, OrderedDict[str, int]] = {}  # sender -> recent ids -> session
        self.stored = 0
        self.duplicates = 0

    # -- senders and sessions ------------------------------------------------------------
    def find_bed(self, key: str) -> Bed | None:
        return next((b for b in self.rt.beds.values() if b.config.source == "hl7"
                     and (b.config.hl7_source or b.id) == key), None)  # fmt: skip

    def bed_for(self, key: str) -> Bed:
        """The sender's bed; a new chair when the clinic creates them and the caps allow;
        else Hl7Error (AR)."""
        from vitalsdash.runtime._core import Bed

        bed = self.find_bed(key)
        if bed is not None:
            return bed
        if self.rt.clinic.clinic.unknown_hl7_sources != "create":
            raise Hl7Error("AR", f"unknown source {key[:60]!r}: the clinic file names its HL7 "
                           "devices (unknown_hl7_sources = \"reject\")", "PV1-3",
                           kind="unknown_source", err_code=204)  # fmt: skip
        self.admission.check(key)
        beds = self.rt.beds
        label = unique_label(clean_label(key), (b.config.display_name for b in beds.values()))
        bed_id = bed_id_for(key, beds)
        bed = Bed(BedConfig(id=bed_id, label=label, source="hl7", hl7_source=key))
        beds[bed_id] = bed
        self.admission.record()
        log.info("HL7: new chair %s (%r) for sender %r", bed_id, label, key[:80])
        return bed

    def session_for(self, bed: Bed, first: float) -> Any:
        """The bed's running session, or a new one starting at ``first`` (epoch s)."""
        s = bed.session
        if s is None or s.status != "running":
            self.rt._start_session(bed, {}, started_wall=datetime.fromtimestamp(first, UTC))
            s = bed.session
        return s

    # -- messages ----------------------------------------------------------------------
    def ingest(self, batch: ObservationBatch) -> IngestResult:
        key = batch.source_key
        cid = batch.control_id
        if len(cid) > CONTROL_ID_MAX:
            raise Hl7Error("AR", f"MSH-10 is {len(cid)} characters long; at most "
                           f"{CONTROL_ID_MAX} are accepted", "MSH-10", kind="malformed",
                           err_code=102)  # fmt: skip
        skey = sender_key(key)
        stored_in = self._stored_in(skey, cid)
        if stored_in is not None:
            self.duplicates += 1
            bed = self.find_bed(key)
            src = bed.session.source if bed is not None and bed.session is not None else None
            return IngestResult(duplicate=True, session_id=stored_in, source=src,
                                text=DUPLICATE)  # fmt: skip
        readings = batch.readings
        if not readings:  # nothing to store: no chair is made for it either
            bed = self.find_bed(key)
            if bed is None and self.rt.clinic.clinic.unknown_hl7_sources != "create":
                self.bed_for(key)  # raises: the sender is unknown here
            return IngestResult(bed_id=bed.id if bed else None,
                                text="no observations in the message")  # fmt: skip
        receipt = self.rt.wall().timestamp()
        oldest = min(r.t_s for r in readings)
        newest = max(r.t_s for r in readings)
        self._check_times(oldest, newest, receipt)
        bed = self.bed_for(key)
        s = self.session_for(bed, oldest)
        src = s.source
        anchor = src.anchor
        if oldest < anchor - 1e-6:
            raise Hl7Error("AE", f"observation time {_iso(oldest)} is {human(anchor - oldest)} "
                           f"before the session on {bed.config.display_name!r} started "
                           f"({_iso(anchor)}); a session keeps data from its start on",
                           "OBX-14", kind="before_session", err_code=102)  # fmt: skip
        sid = s.session_id
        rows = [{"session_id": sid, "t_s": r.t_s - anchor, "channel": r.channel,
                 "value": r.value, "quality": r.quality, "true_value": r.true_value}
                for r in readings]  # fmt: skip
        tick = TickWrite(samples=rows, hl7_received=[(skey, cid, sid)])
        try:
            self.rt.store.write_tick(tick)
        except StoreError as exc:
            stored_in = self._in_store(skey, cid)
            if stored_in is not None:  # an old id the memory had lost: a resend
                self.duplicates += 1
                return IngestResult(duplicate=True, session_id=stored_in, source=src,
                                    text=DUPLICATE)  # fmt: skip
            log.warning("HL7 %s from %r not stored: %s", cid[:40], key[:80], exc)
            self.rt.note_store_error(exc)  # /api/health: the store refuses writes
            raise Hl7Error("AE", f"receiver could not store the message: {exc}",
                           kind="store_failed", err_code=207) from None  # fmt: skip
        self._remember(skey, cid, sid)
        try:
            self.rt.feed.append(tick)
        except Exception:  # stored: live pages read the store instead
            log.exception("HL7 %s: live feed append failed (the samples are stored)", cid[:40])
        src.prestored = True  # stored here: the bed evaluates them and must not store them
        src.queue(readings)
        # the bed's clock: wall-clock pace from the newest observation, never back
        now = self.rt.control.clock.now()
        if s.realtime_start is None or now - (newest - anchor) < s.realtime_start:
            s.realtime_start = now - (newest - anchor)
        self.stored += len(rows)
        return IngestResult(stored=len(rows), session_id=sid, bed_id=bed.id, source=src)

    def _check_times(self, oldest: float, newest: float, receipt: float) -> None:
        if receipt - oldest > self.max_age_s:
            raise Hl7Error("AE", f"observation time {_iso(oldest)} is "
                           f"{human(receipt - oldest)} before receipt ({_iso(receipt)}); the "
                           f"receiver keeps data at most {human(self.max_age_s)} old "
                           "(hl7_max_age_s)", "OBX-14", kind="too_old",
                           err_code=102)  # fmt: skip
        if newest - receipt > self.max_ahead_s:
            raise Hl7Error("AE", f"observation time {_iso(newest)} is "
                           f"{human(newest - receipt)} after receipt ({_iso(receipt)}): the "
                           "device clock is ahead of the receiver's; the receiver accepts "
                           f"at most {human(self.max_ahead_s)} ahead (hl7_max_ahead_s)",
                           "OBX-14", kind="future_time", err_code=102)  # fmt: skip

    def _stored_in(self, skey: str, cid: str) -> int | None:
        seen = self._seen.get(skey)
        if seen is None:
            try:
                recent = self.rt.store.hl7_recent(skey, RECENT_IDS)
            except Exception as exc:  # cannot tell: refuse rather than risk storing twice
                raise Hl7Error("AE", f"receiver could not check for a resend: {exc}",
                               kind="store_failed", err_code=207) from None  # fmt: skip
            seen = self._seen[skey] = OrderedDict(recent)
        return seen.get(cid)

    def _in_store(self, skey: str, cid: str) -> int | None:
        try:
            return self.rt.store.hl7_received(skey, cid)
        except Exception:
            return None

    def _remember(self, skey: str, cid: str, sid: int) -> None:
        seen = self._seen.setdefault(skey, OrderedDict())
        seen[cid] = sid
        if len(seen) > RECENT_IDS:
            seen.popitem(last=False)

    def stats(self) -> dict[str, int]:
        return {"stored_readings": self.stored, "duplicates": self.duplicates,
                "chairs_created": self.admission.created,
                "senders_refused": self.admission.refused}  # fmt: skip
