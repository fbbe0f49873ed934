"""Writing the beds' rows when the store may refuse them: one bad bed never stops the others.

A tick is written in one transaction. If the store refuses it, each bed is tried again in
its own transaction (a transaction that fails leaves nothing in the store): the beds the
store takes go on; a bed it refuses HOLDS. A held bed does not advance, keeps its pending
rows and retries them with backoff (doubling from one tick period up to
``MAX_BACKOFF_S``); when the store takes them it goes on with nothing lost. So the buffer
is bounded by construction: at most one tick's rows per bed wait, however long the store
is away (a lost connection, PostgreSQL restarting: the driver's errors are StoreError, and
the pool's pre-ping replaces the connections a restart cut). A simulated or replayed
bed carries on from where it held: the seconds it held are not made up.

After ``store_fault_after_s`` of refusals the bed's session is FAULTED: its pending rows
are dropped (a log line counts them), the session becomes ``interrupted`` and a ``fault``
session event with the reason, the error and what was dropped replaces them. That small
write is retried until the store takes it (the stored session then says ``interrupted``
and its events say why); until then the stored status is the last one written. The
instructor resumes or closes a faulted session like any interrupted one.

An action's rows are written at once, for its bed only (:meth:`StoreWriter.write_bed`);
when the store refuses them the caller puts the bed back as it was (:class:`Snapshot`)
and answers 503: an acknowledged action is applied and stored, a refused one neither.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from vitalsdash.clock import Clock
from vitalsdash.feed import Feed
from vitalsdash.runtime._health import Health, error_text
from vitalsdash.store import Store, StoreError, TickWrite

if TYPE_CHECKING:
    from vitalsdash.runtime._core import Bed

log = logging.getLogger("vitalsdash.runtime")
MAX_BACKOFF_S = 5.0
# "waves": the bed's waveform segments, stored with its samples in the same transaction
PENDING_KINDS = ("samples", "alarm_events", "actions", "observations", "session_events",
                 "waves")  # fmt: skip
# what an action may change on a BedSession besides its source, engine, queue and pending
_SESSION_FIELDS = ("phase", "status", "alertness", "readiness", "infusion_start_s",
                   "infusion_end_s", "start_s", "pre_infusion", "overdue_sent",
                   "discharge")  # fmt: skip


@dataclass
class Hold:
    """A bed whose rows the store refuses."""

    session_id: int
    since: float  # the runtime clock's time of the first refusal
    since_wall: datetime
    error: str
    retry_at: float
    stored_t_s: float | None  # the last second of this session the store took
    failures: int = 1
    faulted: bool = False


class StoreWriter:
    """The runtime's writes: ticks with isolation and holds, actions all or nothing."""

    def __init__(self, store: Store, feed: Feed, clock: Clock, wall: Callable[[], datetime],
                 health: Health, build: Callable[[list[Bed]], TickWrite], tick_s: float,
                 fault_after_s: float) -> None:  # fmt: skip
        self.store, self.feed, self.clock, self.wall = store, feed, clock, wall
        self.health, self.build = health, build
        self.tick_s, self.fault_after_s = tick_s, fault_after_s
        self.holds: dict[str, Hold] = {}  # by bed id
        self.faulted: dict[str, Hold] = {}  # faults stored, until the session leaves them
        self.ended: dict[int, datetime] = {}  # sessions ended in memory, their end not stored
        self.orphans: dict[int, datetime] = {}  # created, but their start was not stored
        self.stored_t_s: dict[int, float] = {}

    def held(self, bed_id: str) -> bool:
        return bed_id in self.holds

    # -- writing
    def _write(self, beds: list[Bed]) -> Exception | None:
        """Write these beds' pending rows in one transaction; the error if it failed."""
        tick = self.build(beds)
        for sid, upd in tick.session_updates.items():
            if sid in self.ended:
                upd["ended_wall"] = self.ended[sid]
        try:
            self.store.write_tick(tick)
        except Exception as exc:  # StoreError, or whatever a broken driver raises
            self.health.store_failed(exc)
            return exc
        try:
            self.feed.append(tick)
        except Exception:  # stored: live pages read the store instead; never write it twice
            log.exception("live feed append failed (the rows are stored)")
        for bed in beds:
            s = bed.session
            if s is not None:
                s.pending.clear()
                self.ended.pop(s.session_id, None)
                if s.status in ("ended", "discharged"):
                    self.stored_t_s.pop(s.session_id, None)
                else:
                    self.stored_t_s[s.session_id] = float(s.t_s)
        return None

    def flush_tick(self, beds: Iterable[Bed]) -> None:
        """Write a tick: every bed not held in one transaction, else each in its own;
        held beds when their retry is due. Never raises for the store."""
        now = self.clock.now()
        group, due = [], []
        for bed in beds:
            s = bed.session
            if s is None:
                continue
            h = self.holds.get(bed.id)
            if h is not None and h.session_id != s.session_id:  # a new session: not held
                del self.holds[bed.id]
                h = None
            if h is None:
                group.append(bed)
                continue
            if not h.faulted and now - h.since >= self.fault_after_s:
                self._fault(bed, h, now)
                due.append(bed)
            elif now >= h.retry_at:
                due.append(bed)
        err = self._write(group) if group else None
        if err is not None:
            for bed in group:
                e = self._write([bed]) if len(group) > 1 else err
                if e is not None:
                    self._hold(bed, e, now)
        for bed in due:
            e = self._write([bed])
            if e is None:
                self._release(bed, now)
            else:
                self._retry_later(bed, e, now)
        self._end_orphans()

    def write_bed(self, bed: Bed) -> None:
        """Write one bed's pending rows now (an action's); StoreError if the store refused."""
        err = self._write([bed])
        if err is not None:
            raise err if isinstance(err, StoreError) else StoreError(error_text(err))
        if bed.id in self.holds:  # its held rows went with the action's
            self._release(bed, self.clock.now())

    # -- holding, faulting
    def _backoff(self, failures: int) -> float:
        return min(self.tick_s * 2 ** (failures - 1), MAX_BACKOFF_S)

    def _hold(self, bed: Bed, exc: Exception, now: float) -> None:
        s = bed.session
        assert s is not None
        text = error_text(exc)
        self.holds[bed.id] = Hold(s.session_id, now, self.wall(), text, now + self._backoff(1),
                                  self.stored_t_s.get(s.session_id))  # fmt: skip
        log.warning("%s: the store refused session %d's rows (%s); the bed holds and retries, "
                    "faulting it after %g s", bed.id, s.session_id, text,
                    self.fault_after_s)  # fmt: skip

    def _retry_later(self, bed: Bed, exc: Exception, now: float) -> None:
        h = self.holds[bed.id]
        h.failures += 1
        h.error = error_text(exc)
        h.retry_at = now + self._backoff(h.failures)

    def _release(self, bed: Bed, now: float) -> None:
        h = self.holds.pop(bed.id)
        if h.faulted:
            self.faulted[bed.id] = h
            log.warning("%s: session %d's fault is stored", bed.id, h.session_id)
        else:
            log.warning("%s: the store took session %d's rows again after %.0f s; nothing "
                        "lost", bed.id, h.session_id, now - h.since)  # fmt: skip

    def _fault(self, bed: Bed, h: Hold, now: float) -> None:
        """Give up on a held bed's rows: drop them, interrupt its session, say why."""
        s = bed.session
        assert s is not None
        p = s.pending
        dropped = {k: n for k in PENDING_KINDS if (n := len(getattr(p, k)))}
        p.clear()
        s.status = "interrupted"
        h.faulted = True
        reason = (f"the store refused this session's rows for {now - h.since:.0f} s "
                  f"(limit {self.fault_after_s:g} s)")  # fmt: skip
        p.session_events.append(
            {"session_id": s.session_id, "t_s": float(s.t_s), "kind": "fault",
             "source": "system", "detail": {"error": f"store: {h.error}", "reason": reason,
                                            "dropped": dropped, "unstored_from_t_s": h.stored_t_s,
                                            "unstored_to_t_s": float(s.t_s)}})  # fmt: skip
        log.error("%s: session %d faulted (interrupted): %s: %s; dropped %s", bed.id,
                  s.session_id, reason, h.error,
                  ", ".join(f"{n} {k}" for k, n in dropped.items()) or "nothing")  # fmt: skip

    def _end_orphans(self) -> None:
        """End the sessions created for a start the store then refused (best effort)."""
        if not self.orphans:
            return
        ups = {sid: {"status": "ended", "phase": "ended", "ended_wall": w}
               for sid, w in self.orphans.items()}  # fmt: skip
        try:
            self.store.write_tick(TickWrite(session_updates=ups))
        except Exception as exc:
            self.health.store_failed(exc)
            return
        self.orphans.clear()

    # -- health
    def problems(self, beds: Iterable[Bed]) -> list[dict[str, Any]]:
        """A problem for each held bed and each faulted session not yet resumed or closed."""
        now, out = self.clock.now(), []
        for bed in beds:
            s = bed.session
            h = self.holds.get(bed.id)
            if h is not None:
                out.append({"check": "bed", "bed": bed.id, "session_id": h.session_id,
                            "state": "faulted" if h.faulted else "held",
                            "message": ("faulted: its fault is not stored yet" if h.faulted
                                        else "held: the store refuses its rows; retrying"),
                            "error": h.error, "since": h.since_wall.isoformat(),
                            "seconds": round(now - h.since, 1),
                            "pending_rows": 0 if s is None else sum(
                                len(getattr(s.pending, k)) for k in PENDING_KINDS)})  # fmt: skip
                continue
            f = self.faulted.get(bed.id)
            if f is None:
                continue
            if s is None or s.session_id != f.session_id or s.status != "interrupted":
                self.faulted.pop(bed.id, None)  # resumed, closed or replaced
                continue
            out.append({"check": "bed", "bed": bed.id, "session_id": f.session_id,
                        "state": "faulted", "message": "its session was interrupted: the "
                        "store refused its rows; resume or close it", "error": f.error,
                        "since": f.since_wall.isoformat()})  # fmt: skip
        return out


class Snapshot:
    """What an action can change on a bed, taken before it, to put back if its rows are
    not stored. A simulated patient is deep-copied only for the actions that change it
    (about 0.5 ms; replayed and device sources refuse those actions before changing
    anything), the alarm state only for alarm actions (about 2 ms); the rest is a few
    fields and the lengths of the pending lists (rows are only ever appended)."""

    def __init__(self, bed: Bed, source_copy: bool, alarm_copy: bool) -> None:
        self.session = s = bed.session
        self.bed = (bed.protocol, bed.readiness, len(bed.history))
        if s is None:
            return
        self.fields = {k: getattr(s, k) for k in _SESSION_FIELDS}
        self.queued = list(s.queued)
        self.pending = {k: len(getattr(s.pending, k)) for k in PENDING_KINDS}
        self.alarm = s.engine.state.snapshot() if alarm_copy else None
        simulated = getattr(s.source, "kind", None) == "simulator"
        self.source = copy.deepcopy(s.source) if source_copy and simulated else None

    def restore(self, bed: Bed, writer: StoreWriter) -> None:
        if bed.session is not self.session and bed.session is not None:
            writer.orphans[bed.session.session_id] = writer.wall()
        bed.session = s = self.session
        bed.protocol, bed.readiness = self.bed[0], self.bed[1]
        del bed.history[self.bed[2] :]
        if s is None:
            return
        for k, v in self.fields.items():
            setattr(s, k, v)
        s.queued = self.queued
        for k, n in self.pending.items():
            del getattr(s.pending, k)[n:]
        if self.alarm is not None:
            s.engine.state.restore(self.alarm)
        if self.source is not None:
            s.source = self.source
        writer.ended.pop(s.session_id, None)
