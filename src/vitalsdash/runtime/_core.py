"""The clinic at run time: beds, sessions, the tick loop and every action, in one writer.

The runtime owns all authoritative state. Each tick it takes the simulated seconds due
from ``SimControl``, advances every running session (source -> alarm engine, second by
second), writes everything the tick produced to the store in one transaction, and only
then appends it to the live feed. Actions are validated and applied under the same lock,
at the bed's current session second, and logged with their actor.

Interrupted sessions. A session the last process left ``running`` (it crashed or was
killed) is marked ``interrupted`` on start-up, with a ``monitoring_interrupted`` event at
its last written second (the wall-clock gap since that write, see ``interruptions``); a
resume adds ``monitoring_resumed`` (who, when). A simulator or replay bed whose latest
session was interrupted gets it back, rebuilt exactly as it was at its last written second
(same scenario, seed and protocol, the logged actions applied again at their times: the
sources and the alarm engine are deterministic), and is not autostarted: the instructor
either ``resume_session`` (it runs on from where it stopped, same session id, no gap in
session time) or ``close_session`` (it ends at its last written time; the bed is then free
for ``start_session``). HL7 sessions cannot be rebuilt (the device's readings are gone):
they stay ``interrupted`` in the store, and the device's next message starts a new one.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from vitalsdash import interruptions
from vitalsdash import protocol as proto
from vitalsdash.access import Principal, Role, chair_refusal
from vitalsdash.actions import (
    ALARM_ACTIONS,
    CLINIC_ACTIONS,
    PATIENT_ACTIONS,
    ActionError,
    check_actor,
    load_session_files,
    validate,
)
from vitalsdash.adapters import ReplaySource, SimulatorSource, Source, SourceActionError
from vitalsdash.adapters.simulator import PATIENT_FACTS
from vitalsdash.alarms import AlarmAction, AlarmActionError, AlarmEngine
from vitalsdash.catalogue import StartConfigs, load_start_configs
from vitalsdash.clock import Clock, SimControl, SystemClock
from vitalsdash.config import BedConfig, ClinicConfig
from vitalsdash.feed import Feed
from vitalsdash.model import Phase
from vitalsdash.runtime import _course, _infusion_start, _pump, _views
from vitalsdash.runtime._bed import BedSession, Pending, alarm_event_row
from vitalsdash.runtime._beds_json import BedsJson
from vitalsdash.runtime._commands import SET_LIMITS, Command
from vitalsdash.runtime._discharge import discharge, discharge_answer, discharge_update
from vitalsdash.runtime._health import Health, HealthCheck, error_text
from vitalsdash.runtime._store_writer import Snapshot, StoreWriter
from vitalsdash.runtime._view_cache import CountingLock, ViewCache
from vitalsdash.store import Store, StoreError, StoreWriteError, TickWrite
from vitalsdash.tomlconfig import ConfigError, shown

log = logging.getLogger("vitalsdash.runtime")
HL7_LAG_S = 2.0  # a real device's bed runs this far behind the wall clock
TICK_ALIGN_S = 0.002  # past the second it waits for, so that the second is surely due
HL7_CATCH_UP_S = 300  # at most this many seconds per tick for a bed catching up on a backlog
Wall = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Bed:
    config: BedConfig
    session: BedSession | None = None
    protocol: Any = None
    readiness: Any = None
    history: list[int] = field(default_factory=list)
    patient: dict[str, Any] = field(default_factory=dict)  # its session's, for the views

    @property
    def id(self) -> str:
        return self.config.id


class Runtime:
    def __init__(
        self,
        clinic: ClinicConfig,
        store: Store,
        feed: Feed | None = None,
        clock: Clock | None = None,
        wall: Wall = _utc_now,
    ) -> None:
        self.clinic = clinic
        self.store = store
        self.feed = feed if feed is not None else Feed(store)
        self.control = SimControl(clock or SystemClock(), clinic.clinic.speed)
        self.wall = wall
        self.lock = CountingLock()  # every section under it may change the beds: counted
        self._view_cache = ViewCache(self.lock)  # so each bed's views are built once per change
        self._beds_json = BedsJson()
        self.beds: dict[str, Bed] = {b.id: Bed(b) for b in clinic.beds}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.interrupted: list[int] = []
        self.tick_count = 0
        self._ticked = threading.Condition()
        self._tick_listeners: list[Callable[[int], None]] = []
        self._hl7_intake: Any = None  # created with the first HL7 message
        self._health = Health(self.control.clock, wall, clinic.clinic.tick_s)
        self._writer = StoreWriter(self.store, self.feed, self.control.clock, wall, self._health,
                                   self._tick_write, clinic.clinic.tick_s,
                                   clinic.clinic.store_fault_after_s)  # fmt: skip

    # -- life cycle ---------------------------------------------------------------------
    def start(self, autostart: bool = True) -> None:
        """Mark sessions a crash left running as interrupted (and resume them when the
        clinic says ``resume_interrupted``), then start the demo beds."""
        with self.lock:
            # each gets a monitoring_interrupted event: the gap since its last write
            self.interrupted = self.store.mark_running_interrupted(restart_wall=self.wall())
            for session_id in self.interrupted:
                self._attach_interrupted(session_id)
            if self.clinic.clinic.resume_interrupted:
                self._resume_all_interrupted()
            if autostart:
                for bed in self.beds.values():
                    if (bed.config.autostart and bed.session is None
                            and bed.config.source in ("simulator", "replay")):  # fmt: skip
                        self._start_session(bed, {})

    def run_in_thread(self) -> threading.Thread:
        self._thread = threading.Thread(target=self._loop, name="vitalsdash-runtime",
                                        daemon=True)  # fmt: skip
        self._health.loop_started()
        self._thread.start()
        return self._thread

    def _loop(self) -> None:
        while not self._stop.wait(self.next_tick_in()):
            try:
                self.tick()
            except Exception as exc:  # keep the monitor alive; the error is in the log
                log.exception("runtime tick failed")
                self._health.tick_failed(exc)
            else:
                self._health.tick_ok()

    def next_tick_in(self) -> float:
        """Wall seconds to the next tick: a tick period, or less when fewer than one
        simulated second falls in a period and the next is due sooner, so that each
        second is computed as soon as it is due rather than up to a period late (what a
        nurse waits between a reading and the screen)."""
        period = float(self.clinic.clinic.tick_s)
        due = self.control.wall_s_to_next_second()
        if due is None or due >= period or self.control.speed * period > 1.0:
            return period
        return due + TICK_ALIGN_S

    def stop(self) -> None:
        self._stop.set()
        with self._ticked:
            self._ticked.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def wait_for_tick(self, after: int, timeout_s: float) -> int:
        """Block until ``tick_count`` passes ``after`` (or ``timeout_s``, or stop); return it.

        Pushed updates wake on the tick that produced them, all together, instead of each
        polling on its own schedule."""
        with self._ticked:
            self._ticked.wait_for(lambda: self.tick_count > after or self._stop.is_set(),
                                  timeout=timeout_s)  # fmt: skip
            return self.tick_count

    def shared_reads(self, tick: int) -> contextlib.AbstractContextManager[None]:
        """Reads in this block may share answers with other readers of ``tick`` (a
        worker's push streams do, over Redis); in process every read is already cheap."""
        return contextlib.nullcontext()

    def live_notice(self) -> str | None:
        """Words for every live page when what it shows may be behind (None: all live).
        In process the pages read the runtime itself: nothing stands between."""
        return None

    def add_tick_listener(self, fn: Callable[[int], None]) -> None:
        """Call ``fn(tick_count)`` after every tick, once its rows are stored and in the
        feed, so that another process can be told (``vitalsdash.bus``). It runs in the
        runtime's thread under its lock: it must be quick (hand the work to a thread of its
        own); an exception is logged and the tick goes on."""
        self._tick_listeners.append(fn)

    # -- health -------------------------------------------------------------------------
    def add_health_check(self, name: str, fn: HealthCheck) -> None:
        """Register a check for ``/api/health``: ``fn()`` returns a dict with at least
        ``"ok": bool`` (its other keys are shown too). It runs in request threads without
        the runtime's lock, so it must be quick and thread-safe; one not ok (or raising)
        makes the clinic degraded."""
        self._health.checks[name] = fn

    def note_store_error(self, exc: BaseException | str) -> None:
        """A write the store refused outside the tick loop (an HL7 message): for a while
        ``/api/health`` says so (see :meth:`health`)."""
        self._health.store_failed(exc)

    def health(self) -> dict[str, Any]:
        """``status`` "ok", or "degraded" with ``problems``: ticks stalled (none completed
        for 5 tick periods and at least 5 s) or failing, the store refusing writes (within
        that window), beds held or faulted by the store, registered checks not ok. Read
        without the runtime's lock: a stalled tick may be holding it."""
        beds = list(self.beds.values())
        running = sum(1 for b in beds if b.session is not None and b.session.status == "running")
        alive = self._thread is not None and self._thread.is_alive()
        checks, failing = self._health.run_checks()
        problems = [*self._health.problems(alive, self.stopping),
                    *self._writer.problems(beds), *failing]  # fmt: skip
        out: dict[str, Any] = {
            "status": "degraded" if problems else "ok", "beds": len(beds),
            "sessions_running": running, "speed": self.control.speed,
            "paused": self.control.paused, "ticks": self.tick_count, "checks": checks,
            "notice": "Training tool - not a medical device"}  # fmt: skip
        if problems:
            out["problems"] = problems
        return out

    # -- ticking ------------------------------------------------------------------------
    def tick(self) -> int:
        """Advance every running session by the seconds now due; write them in one go.

        Simulated and replayed beds move by the simulation's seconds (speed, pause); a
        real device's bed follows the wall clock, a little behind it so that readings
        on their way are not late.
        """
        seconds = self.control.take_seconds()
        self.advance(seconds, realtime=True)
        return seconds

    def advance(self, seconds: int, realtime: bool = False) -> None:
        with self.lock:
            now = self.control.clock.now()
            for bed in self.beds.values():
                s = bed.session
                if s is None or s.status != "running" or self._writer.held(bed.id):
                    continue  # a held bed waits for the store to take its rows
                if s.realtime_start is not None:
                    if not realtime:
                        continue
                    # the device's clock (see _hl7_ingest); a backlog over several ticks
                    due = min(int(now - s.realtime_start - HL7_LAG_S) - s.t_s, HL7_CATCH_UP_S)
                else:
                    due = seconds
                if due > 0:
                    try:
                        s.advance(due, proto.baseline_from)  # phases and readiness, per second
                    except Exception as exc:  # one bed's fault must not stop the others
                        log.exception("bed %s failed; its session is interrupted", bed.id)
                        self._fault(s, exc)
                        continue
                    bed.readiness = s.readiness
            self._flush()
            with self._ticked:
                self.tick_count += 1
                self._ticked.notify_all()
            self._health.ticked()
            for listener in self._tick_listeners:
                try:
                    listener(self.tick_count)
                except Exception:  # a listener must never stop the clinic
                    log.exception("tick listener failed")

    def _fault(self, s: BedSession, exc: Exception) -> None:
        """Stop a session whose source or engine failed; what it produced so far is kept."""
        s.status = "interrupted"
        s.pending.session_events.append(
            {"session_id": s.session_id, "t_s": float(s.t_s), "kind": "fault",
             "source": "system", "detail": {"error": f"{type(exc).__name__}: {exc}"}})  # fmt: skip

    def _flush(self, bed: Bed | None = None) -> None:
        """Write the rows pending: every bed's (a tick: never raises for the store, see
        ``_store_writer``), or only ``bed``'s (an action: StoreError if not stored)."""
        if bed is None:
            self._writer.flush_tick(self.beds.values())
        else:
            self._writer.write_bed(bed)

    def _tick_write(self, beds: list[Bed]) -> TickWrite:
        """These beds' pending rows and session updates, as one write."""
        tick = TickWrite()
        written = self.wall()  # a restart measures an interruption from here
        for bed in beds:
            s = bed.session
            if s is None:
                continue
            p: Pending = s.pending
            tick.samples.extend(p.samples)
            tick.alarm_events.extend(p.alarm_events)
            tick.actions.extend(p.actions)
            tick.observations.extend(p.observations)
            tick.session_events.extend(p.session_events)
            tick.waves.extend(p.waves)
            tick.session_updates[s.session_id] = {
                "last_t_s": float(s.t_s),
                "phase": s.phase.value,
                "status": s.status,
                "last_write_wall": written,
                **discharge_update(s),
            }
        return tick

    # -- sessions -----------------------------------------------------------------------
    def _make_source(self, cfg: BedConfig, params: dict[str, Any], program: Any,
                     scenario: Any = None, basis: str | None = None) -> Source:  # fmt: skip
        if cfg.source == "replay":
            return ReplaySource(cfg.recording or "")
        if cfg.source == "hl7":
            from vitalsdash.adapters.hl7 import Hl7Source

            return Hl7Source(cfg.hl7_source or cfg.id, wall=self.wall)  # the session's wall
        seed = params.get("seed")
        return SimulatorSource(scenario, cfg.seed if seed is None else int(seed), program,
                               session_number=int(params.get("session_number") or 1),
                               dose_weight=basis)  # fmt: skip

    def _start_session(self, bed: Bed, params: dict[str, Any], session_id: int | None = None,
                       started_wall: datetime | None = None,
                       configs: StartConfigs | None = None) -> int:  # fmt: skip
        """A new session on ``bed`` (or, with ``session_id``, the objects of a stored one,
        at t = 0, for :meth:`_rebuild`). ``params`` are start_session's; they are kept in
        the session_started event, so the session can be rebuilt. ``started_wall``: its
        wall-clock start when not now (an HL7 session starts at its first observation).
        ``configs``: its files, already read (submit reads them before taking the lock)."""
        cfg = bed.config
        c = configs or load_start_configs(cfg, params, self.clinic.clinic.max_audio_pause_s)
        protocol_cfg, profile = c.protocol, c.profile
        source = self._make_source(cfg, params, protocol_cfg.nibp, c.scenario,
                                   protocol_cfg.protocol.dose_weight)  # fmt: skip
        started = self.wall() if started_wall is None else started_wall
        scenario_name = getattr(getattr(source, "scenario", None), "name", None)
        patient = {}
        sim = getattr(source, "sim", None)
        if sim is not None:
            patient = {k: getattr(sim.profile, k) for k in PATIENT_FACTS}
        course, shown_course = _course.course_facts(self.store, params)
        if session_id is None:
            session_id = self.store.create_session(
                cfg.id, label=cfg.display_name, scenario=scenario_name or cfg.recording or "",
                seed=int(params.get("seed") if params.get("seed") is not None else cfg.seed),
                protocol=protocol_cfg.name, alarm_profile=profile.name, patient=patient,
                started_wall=started, course=course,
            )  # fmt: skip
            self.feed.begin(session_id)  # a new session: the feed sees all of it
        engine = AlarmEngine(profile, bed=cfg.id)
        first_events, engine.log = engine.log, []  # the store keeps the log, not memory
        bed.session = BedSession(session_id, cfg.id, source, engine, protocol=protocol_cfg)
        _infusion_start.prepare(bed.session, cfg)  # screening answers, auto_start
        if cfg.source == "hl7":
            source.set_anchor(started)  # type: ignore[attr-defined]
            bed.session.realtime_start = self.control.clock.now()
        bed.protocol = protocol_cfg
        bed.readiness = None
        bed.patient = {**patient, **shown_course}  # the bedside names a course's patient
        bed.history.append(session_id)
        bed.session.pending.alarm_events.extend(_alarm_rows(bed.session, first_events))
        bed.session.pending.session_events.append(
            {
                "session_id": session_id,
                "t_s": 0.0,
                "kind": "session_started",
                "source": "system",
                "detail": {
                    "scenario": scenario_name,
                    "bed": cfg.id,
                    "params": {k: v for k, v in params.items() if v is not None},
                },
            }
        )
        return session_id

    # -- interrupted sessions -----------------------------------------------------------
    def _attach_interrupted(self, session_id: int) -> None:
        """Give a bed back its interrupted session, rebuilt (simulator and replay beds)."""
        row = self.store.session(session_id)
        bed = None if row is None else self.beds.get(row["bed_id"])
        if row is None or bed is None or bed.config.source not in ("simulator", "replay"):
            return  # no such bed any more, or an HL7 session: it stays interrupted
        try:
            self._rebuild(bed, row)
        except Exception:  # a changed scenario file etc.: the session stays in the store
            log.exception("session %d on %s cannot be rebuilt; it stays interrupted",
                          session_id, bed.id)  # fmt: skip
            bed.session = None

    def _resume_all_interrupted(self) -> None:
        """Resume every rebuilt session, as a ``resume_session`` by the system would."""
        for bed in self.beds.values():
            s = bed.session
            if s is not None and s.status == "interrupted":
                try:
                    self._resume_or_close(bed, "resume_session", float(s.t_s), "system")
                except ActionError as exc:
                    log.warning("%s: session %d stays interrupted: %s", bed.id, s.session_id,
                                exc.message)  # fmt: skip

    def _rebuild(self, bed: Bed, row: dict[str, Any]) -> None:
        """The session as it was at its last written second: the source and the engine
        replayed from t = 0 with the logged actions at their times (nothing is written)."""
        sid = int(row["id"])
        first = self.store.session_events(sid, limit=1)
        params = dict(first[0]["detail"].get("params") or {}) if first else {}
        if row.get("seed") is not None:
            params.setdefault("seed", row["seed"])
        self._start_session(bed, params, session_id=sid)
        s = bed.session
        assert s is not None
        s.auto_start, auto = False, s.auto_start  # its logged start is replayed instead
        for a in self.store.actions(sid):
            if a["outcome"] != "ok" or a["kind"] not in REPLAYED_ACTIONS:
                continue
            s.advance(int(a["t_s"]) - s.t_s, proto.baseline_from)
            self._apply(bed, s, a["kind"], a["params"], a["actor"], float(s.t_s))
            s.update_readiness()
        s.advance(int(row["last_t_s"]) - s.t_s, proto.baseline_from)
        s.auto_start = auto
        s.update_readiness()
        s.pending.clear()
        s.status = "interrupted"
        bed.readiness = s.readiness

    # -- real devices -------------------------------------------------------------------
    def ingest_hl7(self, batch: Any) -> Any:
        """One parsed HL7 message (an ``ObservationBatch``) stored, or refused with
        ``Hl7Error`` (AE/AR and why): the listener answers AA only after this returns
        (see ``_hl7_ingest``). Give it to ``Hl7Gateway(ingest=runtime.ingest_hl7)``."""
        with self.lock:
            return self._hl7().ingest(batch)

    def hl7_source_for(self, key: str) -> Any:
        """The HL7 source of the running session of the bed a sender maps to (a new bed
        and session for an unknown sender, within the intake's caps; Hl7Error if refused)."""
        with self.lock:
            intake = self._hl7()
            bed = intake.bed_for(key)
            return intake.session_for(bed, self.wall().timestamp()).source

    def _hl7(self) -> Any:
        if self._hl7_intake is None:
            from vitalsdash.runtime._hl7_ingest import Hl7Intake

            self._hl7_intake = Hl7Intake(self)
        return self._hl7_intake

    # -- views (read-only; the UI and the API never hold authoritative state) ----------
    # Read under the lock taken plainly: a view is built once after each change (a tick,
    # a command, an HL7 message) and the same frozen object handed to every reader.
    def view(self, bed_id: str) -> _views.BedView | None:
        """One bed now, as a trainee may see it (None: no such bed)."""
        with self.lock.plain:
            bed = self.beds.get(bed_id)
            return None if bed is None else self._view_cache.get(bed, _views.bed_view)

    def views(self, beds: bool = True) -> _views.ClinicView:
        """The clinic now: speed, pause, ticks and every bed's view, taken together
        (``beds=False``: the clock only, for a page that shows nothing else)."""
        with self.lock.plain:
            c = self.control
            return _views.ClinicView(
                self.clinic.clinic.name, c.speed, c.paused, self.tick_count,
                self.clinic.clinic.live_updates,
                tuple(self._view_cache.get(b, _views.bed_view) for b in self.beds.values())
                if beds else (),
            )  # fmt: skip

    def truth(self, bed_id: str) -> _views.TruthView | None:
        """What only the instructor sees of one bed (None: no such bed)."""
        with self.lock.plain:
            bed = self.beds.get(bed_id)
            return None if bed is None else self._view_cache.get(bed, _views.truth_view)

    def bed_summary(self, bed_id: str) -> dict[str, Any]:
        """The bed as ``/api/beds`` shows it (KeyError: no such bed)."""
        view = self.view(bed_id)
        if view is None:
            raise KeyError(bed_id)
        return _views.summary(view)

    def beds_json(self) -> str:
        """Every bed as ``/api/beds`` shows it: the JSON text of a list of ``bed_summary``."""
        return self._beds_json.body(self.views().beds)

    def session_bed(self, session_id: int) -> Bed | None:
        for bed in self.beds.values():
            if bed.session is not None and bed.session.session_id == session_id:
                return bed
        return None

    # -- actions ------------------------------------------------------------------------
    def submit(self, command: Command | str | None, kind: Any = None, params: Any = None,
               actor: str = "trainee") -> dict[str, Any]:  # fmt: skip
        """Validate and apply one command now: a plain dict; ActionError changes nothing.

        ``submit(Command(...))``, or the same as ``submit(bed_id, kind, params, actor)``."""
        if not isinstance(command, Command):
            command = Command(kind, command, params, actor)
        bed_id, kind, params, actor = command.bed_id, command.kind, command.params, command.actor
        who = command.who()  # on every action row the command writes
        if not isinstance(kind, str):  # e.g. a list from JSON: not an action, and unhashable
            raise ActionError("unknown_action", f"action kind must be a string, got {shown(kind)}")
        self._check_chair(command)
        if kind == SET_LIMITS:
            return self._set_limits(bed_id, params, actor, who)
        if kind in CLINIC_ACTIONS:
            clean = validate(kind, params, actor, CLINIC_ACTIONS)
            return self._clinic_action(kind, clean)
        if kind == _course.KIND:
            return self._create_patient(bed_id, validate(kind, params, actor))
        files, known, resolved = None, self.beds.get(str(bed_id)), None
        if kind == "start_session" and known is not None:  # read before the lock: no tick waits
            validate(kind, None, actor)  # first who may start one, then whether the bed is free
            _refuse_if_busy(known)
            resolved = _course.resolve_start(self.store, known.config,
                                             validate(kind, params, actor))  # fmt: skip
            files = load_session_files(known.config, resolved,
                                       self.clinic.clinic.max_audio_pause_s)  # fmt: skip
        with self.lock:
            bed = self.beds.get(str(bed_id))
            if bed is None:
                raise ActionError("unknown_bed", f"no bed {shown(bed_id)}; beds: "
                                     f"{', '.join(self.beds)}", status=404)  # fmt: skip
            clean = validate(kind, params, actor)
            if kind == "start_session":
                _refuse_if_busy(bed)
                clean = resolved if resolved is not None else clean
                _course.check_free(self.store, clean)  # another chair may have started it
                snap = Snapshot(bed, source_copy=False, alarm_copy=False)
                try:
                    sid = self._start_session(bed, clean, configs=files)
                except ConfigError as exc:  # an unknown scenario, protocol or profile name
                    raise ActionError("bad_params", f"start_session: {exc}") from None
                except StoreError as exc:  # the session's row was not created
                    snap.restore(bed, self._writer)
                    raise _not_stored(kind, exc) from None
                self._store_action(bed, kind, snap)
                return {"ok": True, "session_id": sid}
            s = bed.session
            if s is None or s.status not in ("running", "interrupted"):
                raise ActionError("no_session", f"{bed_id} has no session running",
                                     status=409)  # fmt: skip
            t = float(s.t_s)
            if kind in ("resume_session", "close_session"):
                return self._resume_or_close(bed, kind, t, actor, who)
            if s.status != "running":
                raise ActionError("interrupted", f"{bed_id}'s session was interrupted: "
                                     "resume or close it first", status=409)  # fmt: skip
            if kind == _infusion_start.KIND:
                return self._start_infusion(bed, s, clean, actor, t, who)
            snap = Snapshot(bed, source_copy=kind in PATIENT_ACTIONS or kind == "inject_event",
                            alarm_copy=kind in ALARM_ACTIONS or kind in ENDING)  # fmt: skip
            try:
                self._apply(bed, s, kind, clean, actor, t)
            except ActionError:
                snap.restore(bed, self._writer)
                raise
            s.update_readiness()
            bed.readiness = s.readiness
            s.pending.actions.append({"session_id": s.session_id, "t_s": t, "actor": actor,
                                      "kind": kind, "params": clean, "outcome": "ok",
                                      "reason": None, **who})  # fmt: skip
            self._store_action(bed, kind, snap)
            if kind == "discharge":
                return {"ok": True, "t_s": t, **discharge_answer(s)}
            return {"ok": True, "t_s": t, **_pump.reply(kind, s)}

    def _check_chair(self, command: Command) -> None:
        """A logged-in trainee acts only on a chair assigned to them (``access``): else a
        403 in words, before anything changes. Commands without a person (the open demo,
        the system, tests) and an unknown bed (answered 404 later) are not checked. The
        store is read outside the lock: no tick waits on it."""
        if command.user_id is None or command.actor != "trainee":
            return
        bed = self.beds.get(str(command.bed_id)) if command.bed_id is not None else None
        if bed is None:
            return
        try:
            holder = self.store.chair_user(bed.id)
        except StoreError as exc:
            raise _not_stored(command.kind, exc) from None
        who = Principal(command.user_id, command.user_name or "", Role.TRAINEE)
        words = chair_refusal(who, bed.config.display_name, holder)
        if words is not None:
            raise ActionError("forbidden", words, status=403, words=words)

    def _create_patient(self, bed_id: Any, clean: dict[str, Any]) -> dict[str, Any]:
        """A named virtual patient for a course, created for chair ``bed_id``."""
        bed = self.beds.get(str(bed_id))
        if bed is None:
            raise ActionError("unknown_bed", f"no bed {shown(bed_id)}; beds: "
                              f"{', '.join(self.beds)}", status=404)  # fmt: skip
        with self.lock:
            try:
                out = _course.create_patient(self.store, bed.config, clean, self.wall())
            except StoreError as exc:
                raise _not_stored(_course.KIND, exc) from None
        log.info("%s: patient %d (%s) created", bed.id, out["patient_id"], out["name"])
        return out

    def _set_limits(self, bed_id: Any, params: Any, actor: str,
                    who: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
        """Several limit edits of one bed, all or none (see ``_commands``)."""
        check_actor(SET_LIMITS, actor)  # even with no edits: an observer changes nothing
        raw = params.get("limits") if isinstance(params, dict) else None
        if not isinstance(raw, list) or len(raw) > MAX_LIMIT_EDITS:
            raise ActionError("bad_params", f"set_limits: params.limits must be a list of at "
                              f"most {MAX_LIMIT_EDITS} edits")  # fmt: skip
        edits = [validate("set_limit", e, actor) for e in raw]
        with self.lock:
            bed, s = self._running(bed_id)
            t = float(s.t_s)
            now = _views.limits_in_force(s.engine)
            wanted = [e for e in edits
                      if (old := now.get(e["channel"], {}).get(e["which"])) is None
                      or abs(e["value"] - old) > 1e-9]  # fmt: skip
            if not wanted:
                return {"ok": True, "t_s": t, "applied": []}
            snap = Snapshot(bed, source_copy=False, alarm_copy=True)
            done: list[dict[str, Any]] = []
            todo = list(wanted)
            while todo:  # each pass applies what is valid now; none in a pass: no order works
                error: ActionError | None = None
                before = len(todo)
                for e in list(todo):
                    try:
                        self._apply(bed, s, "set_limit", e, actor, t)
                    except ActionError as exc:
                        error = error or exc
                        continue
                    todo.remove(e)
                    done.append(e)
                    s.pending.actions.append({"session_id": s.session_id, "t_s": t,
                                              "actor": actor, "kind": "set_limit", "params": e,
                                              "outcome": "ok", "reason": None,
                                              **who})  # fmt: skip
                if len(todo) == before and error is not None:
                    snap.restore(bed, self._writer)
                    raise error
            s.update_readiness()
            bed.readiness = s.readiness
            self._store_action(bed, SET_LIMITS, snap)
            return {"ok": True, "t_s": t, "applied": done}

    def _running(self, bed_id: Any) -> tuple[Bed, BedSession]:
        """The bed and its running session, or ActionError (unknown bed, none running)."""
        bed = self.beds.get(str(bed_id))
        if bed is None:
            raise ActionError("unknown_bed", f"no bed {shown(bed_id)}; beds: "
                              f"{', '.join(self.beds)}", status=404)  # fmt: skip
        s = bed.session
        if s is None or s.status not in ("running", "interrupted"):
            raise ActionError("no_session", f"{bed_id} has no session running", status=409)
        if s.status != "running":
            raise ActionError("interrupted", f"{bed_id}'s session was interrupted: "
                              "resume or close it first", status=409)  # fmt: skip
        return bed, s

    def _store_action(self, bed: Bed, kind: str, snap: Snapshot) -> None:
        """Store the bed's rows with the action's; if the store refuses them, put the bed
        back as it was before the action and answer 503: 200 means applied and stored."""
        try:
            self._flush(bed)
        except StoreError as exc:
            snap.restore(bed, self._writer)
            log.warning("%s: %s not stored, undone: %s", bed.id, kind, exc)
            raise _not_stored(kind, exc) from None

    def _start_infusion(self, bed: Bed, s: BedSession, clean: dict[str, Any], actor: str,
                        t: float, who: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
        """``start_infusion``: the pre-infusion check decides (see ``_infusion_start``); a
        refused attempt is stored (for the debrief) before the refusal is answered."""
        snap = Snapshot(bed, source_copy=True, alarm_copy=False)
        try:
            out = _infusion_start.submit(s, clean, actor, t, who)
        except _infusion_start.BlockedStartError as refused:
            self._store_action(bed, _infusion_start.KIND, snap)
            raise refused.error from None
        except ActionError:
            snap.restore(bed, self._writer)
            raise
        s.update_readiness()
        bed.readiness = s.readiness
        self._store_action(bed, _infusion_start.KIND, snap)
        return out

    def _apply(self, bed: Bed, s: BedSession, kind: str, p: dict[str, Any], actor: str,
               t: float) -> None:  # fmt: skip
        try:
            if kind == _infusion_start.KIND:  # a logged start, replayed (see _rebuild)
                _infusion_start.replay(s, actor, t)
            elif kind in PATIENT_ACTIONS:
                s.source.apply(kind, actor, {k: v for k, v in p.items() if v is not None})
            elif kind in ALARM_ACTIONS:
                s.pending.alarm_events.extend(
                    _alarm_rows(s, s.act(_alarm_action(kind, p, t, actor), t))
                )
            elif kind == "inject_event":
                s.source.inject(p["kind"], p["params"])
            elif kind == "chart":
                s.pending.observations.append(
                    {"session_id": s.session_id, "t_s": t, "kind": p["kind"],
                     "value": p["value"], "text": p["text"], "actor": actor})  # fmt: skip
                if p["kind"] == "alertness" and p["value"] is not None:
                    s.alertness = (t, float(p["value"]))
            elif kind == "end_session":  # stored with its rows, in one transaction
                s.status = "ended"
                s.pending.alarm_events.extend(_alarm_rows(s, s.end_observation(t)))
                s.record_phase(Phase.ENDED, t)
                self._writer.ended[s.session_id] = self.wall()
            elif kind == "discharge":  # only when ready; stored like an end
                discharge(s, p, actor, t, self.wall())
                s.pending.alarm_events.extend(_alarm_rows(s, s.end_observation(t)))
                s.record_phase(Phase.ENDED, t)
                self._writer.ended[s.session_id] = s.discharge["wall"]  # type: ignore[index]
        except SourceActionError as exc:
            raise ActionError("not_possible", str(exc), status=409) from None
        except AlarmActionError as exc:
            status = 409 if exc.code in ("not_active", "not_latched",
                                         "nothing_to_acknowledge") else 400  # fmt: skip
            raise ActionError(exc.code, str(exc), status=status) from None

    def _resume_or_close(self, bed: Bed, kind: str, t: float, actor: str,
                         who: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
        s = bed.session
        assert s is not None
        if s.status != "interrupted":
            raise ActionError("conflict", "only an interrupted session can be resumed or "
                                 "closed", status=409)  # fmt: skip
        snap = Snapshot(bed, source_copy=False, alarm_copy=False)
        try:
            if kind == "close_session":  # it ends where it stopped, at its last written time
                self.store.close_session(s.session_id)
                s.status = "ended"
                s.phase = Phase.ENDED
            else:  # it runs on from its last written second (see _rebuild)
                self.store.resume_session(s.session_id)
                s.status = "running"
        except StoreWriteError as exc:
            raise _not_stored(kind, exc) from None
        except StoreError as exc:
            raise ActionError("conflict", str(exc), status=409) from None
        if kind == "resume_session":  # stored before the answer: who resumed it, and when
            detail = interruptions.resumed_detail(actor, self.wall(),
                                                  (who or {}).get("user_name"))  # fmt: skip
            s.pending.session_events.append(
                {"session_id": s.session_id, "t_s": t, "kind": interruptions.RESUMED,
                 "source": actor, "detail": detail})  # fmt: skip
            # not stored: interrupted again (the next tick writes the status back)
            self._store_action(bed, kind, snap)
        log.info("%s: session %d %s by %s", bed.id, s.session_id,
                 "closed" if kind == "close_session" else "resumed",
                 (who or {}).get("user_name") or actor)  # fmt: skip
        return {"ok": True, "session_id": s.session_id, "status": s.status, "t_s": t}

    def _clinic_action(self, kind: str, p: dict[str, Any]) -> dict[str, Any]:
        if kind == "set_speed":
            self.control.set_speed(p["speed"])
        elif kind == "pause_simulation":
            self.control.pause()
        else:
            self.control.resume()
        return {"ok": True, "speed": self.control.speed, "paused": self.control.paused}


ENDING = frozenset({"end_session", "discharge"})
"""Actions that end a session (they clear the observation reminder in the engine)."""
MAX_LIMIT_EDITS = 64
"""At most this many edits in one ``set_limits`` (the settings table has 24 cells)."""
REPLAYED_ACTIONS = frozenset({*PATIENT_ACTIONS, *ALARM_ACTIONS, "chart", "inject_event",
                              _infusion_start.KIND})  # fmt: skip
"""The logged actions that changed a session's source or engine: applied again on rebuild."""


def _refuse_if_busy(bed: Bed) -> None:
    s = bed.session
    if s is not None and s.status in ("running", "interrupted"):
        then = ": resume or close it first" if s.status == "interrupted" else ""
        raise ActionError("conflict", f"{bed.id} already has a session {s.status}{then}",
                          status=409)  # fmt: skip


def _bed_id_for(key: str, beds: dict[str, Bed]) -> str:
    """A bed id from a sender's key: ASCII letters, digits, - and _ only, unique."""
    from vitalsdash.runtime._hl7_admission import bed_id_for

    return bed_id_for(key, beds)


def _not_stored(kind: str, exc: Exception) -> ActionError:
    return ActionError("not_stored", f"{kind} was not done: the store refused it "
                       f"({error_text(exc)}); nothing was changed", status=503)  # fmt: skip


def _alarm_action(kind: str, p: dict[str, Any], t: float, actor: str) -> AlarmAction:
    if kind == "acknowledge_all":
        return AlarmAction.acknowledge_all(t, actor)
    if kind == "acknowledge" and p.get("channel") is not None:  # one parameter's banner row
        return AlarmAction.acknowledge_all(t, actor, p["channel"])
    if kind == "acknowledge":
        return AlarmAction.acknowledge(p["condition"], t, actor)
    if kind == "pause_audio":
        return AlarmAction.pause_audio(t, actor)
    if kind == "resume_audio":
        return AlarmAction.resume_audio(t, actor)
    if kind == "reset":
        return AlarmAction.reset(t, p.get("condition"), actor)
    if kind == "set_limit":
        return AlarmAction.set_limit(p["channel"], p["which"], p["value"], t, actor)
    if kind == "alarm_off":
        return AlarmAction.alarm_off(p["channel"], t, actor)
    if kind == "alarm_on":
        return AlarmAction.alarm_on(p["channel"], t, actor)
    return AlarmAction.auto_limits(t, actor)


def _alarm_rows(s: BedSession, events: list[Any]) -> list[dict[str, Any]]:
    return [alarm_event_row(s.session_id, e) for e in events]
