"""The runtime as a web worker sees it: the read side of ``Runtime`` over Redis.

Pages, the API and push streams use a runtime through a few names (views, view, truth,
submit, feed, store, clinic, wall, wait_for_tick, tick_count, stopping, health,
add_health_check, bed_summary, beds_json); this class has the same ones, so the same app
runs in a worker process. Views come from the keys the runtime's ``Publisher`` sets, feed reads
from its streams (``RemoteFeed``), history from the store, commands go to the runtime
and wait for its answer.

When Redis is down a worker keeps serving: feed reads come from the store, views are
the last ones read (or the configured chairs, idle, if none was), pushed pages are woken
about once a second to read the store, commands answer 503, and ``health`` says the live
feed is degraded.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from vitalsdash.actions import ActionError
from vitalsdash.bus import _wire
from vitalsdash.bus._memo import TickMemo
from vitalsdash.bus._redis import Link, RedisError, client, error_text, utc_now
from vitalsdash.bus._remote_feed import READS, RemoteFeed
from vitalsdash.config import ClinicConfig
from vitalsdash.runtime import BedsJson, BedView, ClinicView, Command, TruthView, bed_summary
from vitalsdash.store import Store

COMMAND_TIMEOUT_S = 10.0
"""A command the runtime has not answered by then is refused (503): it is not done later."""
SOCKET_TIMEOUT_S = 2.0
TICK_BLOCK_MS = 1000
"""How long the tick watcher blocks per read (and so to notice a stop)."""
OUTAGE_TICKS = 3
"""While Redis cannot be read, pages are woken this many times between two tries."""
SILENT_AFTER_S = 5.0
"""No tick published for this long: the runtime is not running (or restarting)."""
FEED_DEGRADED = ("Live feed degraded: readings come from the record store and may lag a few "
                 "seconds; actions cannot be sent until it is back.")  # fmt: skip
RUNTIME_SILENT = ("No new readings from the monitor for {s:.0f} s: it may be restarting. "
                  "What is shown may be out of date.")  # fmt: skip
COMMANDS_KEPT = 1000
"""Entries kept on the commands stream (each is answered or dropped within seconds)."""

HealthCheck = Callable[[], dict[str, Any]]


class RemoteRuntime:
    """A web worker's runtime: ``RemoteRuntime(redis_url, store, clinic)`` (module
    docstring). ``command_timeout_s``: how long ``submit`` waits for an answer;
    ``retry_s``: after a Redis failure, reads go to the store this long before Redis is
    tried again; ``clock`` (monotonic seconds) and ``wall`` are injectable for tests."""

    def __init__(self, redis_url: str, store: Store, clinic: ClinicConfig,
                 prefix: str = _wire.BUS_PREFIX, *,
                 command_timeout_s: float = COMMAND_TIMEOUT_S, retry_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], datetime] = utc_now) -> None:  # fmt: skip
        self.store = store
        self.clinic = clinic
        self.wall = wall
        self.keys = _wire.Keys(prefix)
        self.command_timeout_s = float(command_timeout_s)
        self._redis = client(redis_url, SOCKET_TIMEOUT_S)
        self._blocking = client(redis_url, self.command_timeout_s + 5)  # a command's answer
        # the tick watcher's own: a Redis that hangs (rather than ends) is noticed within
        # a few seconds, not a command's timeout
        self._ticks = client(redis_url, TICK_BLOCK_MS / 1000 + SOCKET_TIMEOUT_S)
        self.link = Link(clock, wall, retry_s)
        self._bed_of: dict[int, str] = {}
        self.memo = TickMemo()
        self.feed = RemoteFeed(self._redis, self.keys, store, self.link, self._session_bed,
                               self.memo)  # fmt: skip
        self._checks: dict[str, HealthCheck] = {}
        self._decoded: dict[str, tuple[bytes, Any]] = {}  # key -> (raw, view): decoded once
        self._beds_json = BedsJson()
        self._bed_ids: list[str] = []
        self._last_views: ClinicView | None = None
        self._stop = threading.Event()
        self._ticked = threading.Condition()
        self._tick = 0  # the ticks streams may see: counted, and their reads done ahead
        self._counted = 0  # the ticks the watcher has read
        self._tick_run: str | None = None
        self._tick_seen = 0
        self._tick_id = "$"
        self._watcher: threading.Thread | None = None
        self._heard_at: float | None = None  # when a tick was last read (clock), or watched from
        self._watcher_lock = threading.Lock()

    # -- views --------------------------------------------------------------------------
    def views(self, beds: bool = True) -> ClinicView:
        """The clinic as last published: speed, pause, ticks and every bed's view
        (``beds=False``: the clock only)."""
        if self.link.usable():
            try:
                got = self.memo.get(("views", beds), lambda: self._read_views(beds))
                self.link.ok()
            except RedisError as exc:
                self.link.failed(exc)
            else:
                if got is not None:
                    return got
        last = self._last_views or self._idle_clinic()
        return last if beds else _without_beds(last)

    def _read_views(self, beds: bool) -> ClinicView | None:
        for _ in range(2):  # a second time if the beds changed since the last read
            ids = list(self._bed_ids) if beds else []
            with self._redis.pipeline(transaction=True) as p:
                p.get(self.keys.clinic)
                if ids:
                    p.mget([self.keys.view(b) for b in ids])
                got = p.execute()
            if got[0] is None:
                return None  # the runtime has not published yet
            head = _wire.loads(got[0])
            if beds and head["beds"] != ids:
                self._bed_ids = list(head["beds"])
                continue
            views = tuple(self._decode(self.keys.view(b), raw, BedView)
                          for b, raw in zip(ids, got[1] if ids else (), strict=True)
                          if raw is not None)  # fmt: skip
            clinic = ClinicView(head["name"], float(head["speed"]), bool(head["paused"]),
                                int(head["tick_count"]), head["live_updates"], views)  # fmt: skip
            if beds:
                self._last_views = clinic
                for v in views:
                    if v.session_id is not None:
                        self._bed_of[v.session_id] = v.bed_id
            return clinic
        return None

    def view(self, bed_id: str) -> BedView | None:
        """One bed as last published (None: no such bed); without Redis, as last read."""
        got = self._read_one(self.keys.view(bed_id), BedView)
        if got is not _UNREAD and got is not None:
            if got.session_id is not None:  # its feed is this bed's: no store read to learn it
                self._bed_of[got.session_id] = bed_id
            return got
        cached = self._decoded.get(self.keys.view(bed_id))
        if got is _UNREAD and cached is not None:  # a page that only ever read its bed
            return cached[1]
        for v in (self._last_views or self._idle_clinic()).beds:
            if v.bed_id == bed_id:
                return v
        return None

    def truth(self, bed_id: str) -> TruthView | None:
        """What only the instructor sees of one bed, as last published."""
        got = self._read_one(self.keys.truth(bed_id), TruthView)
        if got is not _UNREAD and got is not None:
            return got
        cached = self._decoded.get(self.keys.truth(bed_id))
        if cached is not None:
            return cached[1]
        bed = next((b for b in self.clinic.beds if b.id == bed_id), None)
        return None if bed is None else TruthView(bed.id, bed.display_name)

    def bed_summary(self, bed_id: str) -> dict[str, Any]:
        """The bed as ``/api/beds`` shows it (KeyError: no such bed)."""
        view = self.view(bed_id)
        if view is None:
            raise KeyError(bed_id)
        return bed_summary(view)

    def beds_json(self) -> str:
        """``/api/beds``'s body as the runtime published it with the views, read afresh
        (an action's effect shows at once); without Redis, made from the views as last
        read. The runtime makes it once per tick: a worker decodes no view for it."""
        if self.link.usable():
            try:
                raw = self._redis.get(self.keys.beds_json)
                self.link.ok()
            except RedisError as exc:
                self.link.failed(exc)
            else:
                if raw is not None:
                    return raw.decode()
        return self._beds_json.body(self.views().beds)

    def _read_one(self, key: str, cls: type) -> Any:
        if not self.link.usable():
            return _UNREAD
        try:
            raw = self.feed.shared("get", key)
            self.link.ok()
        except RedisError as exc:
            self.link.failed(exc)
            return _UNREAD
        return None if raw is None else self._decode(key, raw, cls)

    def _decode(self, key: str, raw: bytes, cls: Any) -> Any:
        """A view from its JSON, decoded once per change (every worker reads each often)."""
        cached = self._decoded.get(key)
        if cached is not None and cached[0] == raw:
            return cached[1]
        value = cls.from_dict(_wire.loads(raw))
        self._decoded[key] = (raw, value)
        return value

    def _idle_clinic(self) -> ClinicView:
        """The configured chairs with nothing running: what a worker shows before the
        runtime has published anything."""
        c = self.clinic.clinic
        return ClinicView(c.name, float(c.speed), False, self._tick, c.live_updates,
                          tuple(BedView(b.id, b.display_name, b.source)
                                for b in self.clinic.beds))  # fmt: skip

    def _session_bed(self, session_id: int) -> str | None:
        """Which bed's stream holds a session: the views say for current sessions, the
        store for others (a session never changes bed)."""
        bed = self._bed_of.get(session_id)
        if bed is None:
            for v in self._last_views.beds if self._last_views is not None else ():
                if v.session_id == session_id:
                    return v.bed_id
            try:
                row = self.store.session(session_id)
            except Exception:
                return None
            if row is None:
                return None
            bed = self._bed_of[session_id] = str(row["bed_id"])
        return bed

    # -- commands -----------------------------------------------------------------------
    def submit(self, command: Command | str | None, kind: Any = None, params: Any = None,
               actor: str = "trainee") -> dict[str, Any]:  # fmt: skip
        """Send one command to the runtime and wait for its answer: a plain dict, or the
        runtime's ActionError; 503 ``runtime_unavailable`` when Redis cannot be reached
        or no answer comes within ``command_timeout_s`` (the runtime then drops it).
        ``submit(Command(...))``, or ``submit(bed_id, kind, params, actor)``."""
        if not isinstance(command, Command):
            command = Command(kind, command, params, actor)
        try:
            payload = _wire.dumps(command.to_dict())
        except TypeError:
            raise ActionError("bad_params", "the command's parameters are not plain data") from None
        request_id = uuid.uuid4().hex
        timeout_ms = int(self.command_timeout_s * 1000)
        try:
            self._redis.xadd(self.keys.commands, {"id": request_id, "command": payload,
                                                  "timeout_ms": str(timeout_ms)},
                             maxlen=COMMANDS_KEPT, approximate=True)  # fmt: skip
            got = self._blocking.blpop([self.keys.reply(request_id)],
                                       timeout=self.command_timeout_s)  # fmt: skip
        except RedisError as exc:
            self.link.failed(exc)
            raise _unavailable("cannot be reached just now") from None
        self.link.ok()
        if got is None:
            raise _unavailable(f"did not answer within {self.command_timeout_s:g} s")
        answer = _wire.loads(got[1])
        if answer.get("ok"):
            return answer["result"]
        e = answer["error"]
        raise ActionError(e["code"], e["message"], status=int(e["status"]),
                          details=e.get("details"), words=e.get("words"))  # fmt: skip

    # -- ticks --------------------------------------------------------------------------
    @contextlib.contextmanager
    def shared_reads(self, tick: int) -> Iterator[None]:
        """Reads in this block share Redis's answers with the worker's other readers of
        ``tick`` (``_memo``): every push stream wakes on the same tick and asks alike."""
        self.memo.at_tick(tick)
        try:
            yield
        finally:
            self.memo.at_tick(None)

    @property
    def tick_count(self) -> int:
        """Ticks published so far (it only grows, across a runtime's restart too)."""
        self._watch()
        return self._tick

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def wait_for_tick(self, after: int, timeout_s: float) -> int:
        """Block until ``tick_count`` passes ``after`` (or ``timeout_s``, or stop): one
        watcher thread per worker reads the ticks stream (XREAD BLOCK) and wakes all.
        While Redis cannot be read it counts a tick per retry, about one a second."""
        self._watch()
        with self._ticked:
            self._ticked.wait_for(lambda: self._tick > after or self._stop.is_set(),
                                  timeout=timeout_s)  # fmt: skip
            return self._tick

    def _watch(self) -> None:
        if self._watcher is not None or self._stop.is_set():
            return
        with self._watcher_lock:
            if self._watcher is not None:
                return
            try:  # where the ticks stand now, so the first wait waits for the next one
                for entry_id, fields in self._redis.xrevrange(self.keys.ticks, count=1):
                    self._tick_id = entry_id.decode()
                    self._observe(fields)
                    self._tick = self._counted
            except RedisError as exc:
                self.link.failed(exc)
            if self._heard_at is None:
                self._heard_at = self.link.clock()
            self._watcher = threading.Thread(target=self._watch_ticks, daemon=True,
                                             name="vitalsdash-bus-ticks")  # fmt: skip
            self._watcher.start()

    def _watch_ticks(self) -> None:
        while not self._stop.is_set():
            try:
                got = self._ticks.xread({self.keys.ticks: self._tick_id}, count=100,
                                           block=TICK_BLOCK_MS)  # fmt: skip
            except RedisError as exc:
                self.link.failed(exc)
                # no tick can be seen: wake the pages about once a second anyway, so that
                # they read the store meanwhile, and try Redis again every few seconds (a
                # Redis that hangs costs each try a socket timeout, without ticks)
                for _ in range(OUTAGE_TICKS):
                    if self._stop.wait(max(self.link.retry_s, 0.2)):
                        break
                    with self._ticked:
                        self._counted += 1
                        self._tick = self._counted
                        self._ticked.notify_all()
                continue
            entries = [e for _, es in got or () for e in es]
            if entries:
                for entry_id, fields in entries:
                    self._tick_id = entry_id.decode()
                    self._observe(fields)
                self.read_ahead(self._counted)  # before any stream may see the tick
                with self._ticked:
                    self._tick = self._counted
                    self._ticked.notify_all()

    def read_ahead(self, tick: int) -> None:
        """Read, in one round trip, what the push streams asked in the last seconds, and
        share it as ``tick``'s answers (``_memo``): woken, they need not wait on Redis.
        Without Redis nothing is read: each stream finds its own way (the store)."""
        keys = [k for k in self.memo.wanted() if isinstance(k, tuple) and k[0] in READS]
        if not keys or not self.link.usable():
            return
        try:
            with self._redis.pipeline(transaction=True) as p:  # one moment's answers
                for op, key in keys:
                    READS[op](p, key)
                got = p.execute()
        except RedisError as exc:
            self.link.failed(exc)
            return
        self.link.ok()
        self.memo.fill(tick, dict(zip(keys, got, strict=True)))

    def _observe(self, fields: dict[bytes, bytes]) -> None:
        """Count one published tick: the runtime's count while it runs, one more per
        tick after it restarted (its count starts again at 0)."""
        run, n = fields[b"run"].decode(), int(fields[b"tick"])
        self._heard_at = self.link.clock()
        if self._tick_run is None:
            self._counted = n
        elif run == self._tick_run and n > self._tick_seen:
            self._counted += n - self._tick_seen
        elif run != self._tick_run or n < self._tick_seen:
            self._counted += 1
        self._tick_run, self._tick_seen = run, n

    def live_notice(self) -> str | None:
        """Words for every live page while what it shows may be behind: Redis cannot be
        reached (pages read the store), or the runtime has published no tick for
        ``SILENT_AFTER_S`` (killed, restarting). Cheap: no Redis round trip."""
        self._watch()
        if not self.link.up:
            return FEED_DEGRADED
        if self._heard_at is not None:
            silent_s = self.link.clock() - self._heard_at
            if silent_s > SILENT_AFTER_S:
                return RUNTIME_SILENT.format(s=silent_s)
        return None

    def stop(self) -> None:
        """End the tick watcher (push streams end at their next wake-up) and close."""
        self._stop.set()
        with self._ticked:
            self._ticked.notify_all()
        if self._watcher is not None:
            self._watcher.join(timeout=TICK_BLOCK_MS / 1000 + 2)
        self._redis.close()
        self._blocking.close()
        self._ticks.close()

    close = stop

    # -- health -------------------------------------------------------------------------
    def add_health_check(self, name: str, fn: HealthCheck) -> None:
        """A check of this worker for ``/api/health`` (as ``Runtime.add_health_check``)."""
        self._checks[name] = fn

    def health(self) -> dict[str, Any]:
        """The runtime's own report as it last published it, with this worker's checks:
        ``live_feed`` (Redis reachable: else "live feed degraded", pages read the store)
        and ``runtime`` (its report is fresh: else it is not publishing)."""
        report: dict[str, Any] | None = None
        try:
            raw = self._redis.get(self.keys.health)
            self.link.ok()
            report = None if raw is None else _wire.loads(raw)
        except RedisError as exc:
            self.link.failed(exc)
        problems: list[dict[str, Any]] = []
        live = {**self.link.report(), **{f"{k}_reads": n for k, n in self.feed.reads.items()}}
        if not live["ok"]:
            live["message"] = ("live feed degraded: Redis cannot be reached, so pages read "
                               "the store and commands cannot be sent")  # fmt: skip
            problems.append({"check": "live_feed", **live})
        elif report is None:
            problems.append({"check": "runtime", "message": "the runtime is not publishing: "
                             "no report from it (is it running?)"})  # fmt: skip
        if report is not None:
            problems += report.get("problems", [])
        checks: dict[str, Any] = {**(report or {}).get("checks", {}), "live_feed": live}
        for name, fn in list(self._checks.items()):
            try:
                r = dict(fn())
                r["ok"] = bool(r.get("ok"))
            except Exception as exc:  # a broken check is a problem, not a 500
                r = {"ok": False, "error": error_text(exc)}
            checks[name] = r
            if not r["ok"]:
                problems.append({"check": name, **r})
        clinic = self._last_views or self._idle_clinic()
        out: dict[str, Any] = {
            "status": "degraded" if problems else "ok",
            "beds": (report or {}).get("beds", len(clinic.beds)),
            "sessions_running": (report or {}).get("sessions_running", 0),
            "speed": (report or {}).get("speed", clinic.speed),
            "paused": (report or {}).get("paused", clinic.paused),
            "ticks": (report or {}).get("ticks", clinic.tick_count),
            "checks": checks,
            "notice": "Training tool - not a medical device",
        }
        if problems:
            out["problems"] = problems
        return out


_UNREAD = object()
"""Redis could not be read (as opposed to: it holds nothing under that key)."""


def _without_beds(clinic: ClinicView) -> ClinicView:
    return ClinicView(clinic.name, clinic.speed, clinic.paused, clinic.tick_count,
                      clinic.live_updates, ())  # fmt: skip


def _unavailable(what: str) -> ActionError:
    words = "The monitor is not answering just now: nothing was done. Try again in a moment."
    return ActionError("runtime_unavailable", f"the clinic's runtime {what}; nothing was "
                       "done", status=503, words=words)  # fmt: skip
