"""The runtime's side of the bus: what it did goes to Redis, commands come back from it.

The feed's listener hands over each write the feed took (a tick's or an action's) and
the runtime's tick listener says when a tick is done; both only queue and wake the
publishing thread, so a slow or absent Redis never holds a tick. That thread writes, in
one MULTI per flush: each bed's feed entries (explicit stream ids from ``now_s``, the
stream trimmed to ``keep_s`` with MINID), the waveform segments, each session's latest
numerics, the ClinicView's header, every BedView and TruthView, the runtime's health
and, after a tick, one entry on the ticks stream.

If Redis is down the flush fails, its entries are dropped (the store has them: readers
fall back to it) and every chain is cut, so no reader mistakes the stream for complete;
the next flush that Redis takes resumes publishing, and ``health`` says so.

The command server reads the commands stream in a consumer group, runs each through
``runtime.submit``, publishes what it changed, and only then answers on the request's
reply key, so a page that reads after the answer sees the change. A command older than
its sender's timeout is dropped unanswered: the sender has already said it failed.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vitalsdash.actions import ActionError
from vitalsdash.bus import _wire
from vitalsdash.bus._redis import Link, RedisError, ResponseError, client, error_text
from vitalsdash.runtime import BedsJson, ClinicView, Command, OncePerView, Runtime
from vitalsdash.store import EVENT_KINDS, TickWrite, as_event_row, event_record, sample_tuples

log = logging.getLogger("vitalsdash.bus")

SOCKET_TIMEOUT_S = 2.0
"""A publish that takes longer than this is a failure (the next flush tries again)."""
COMMAND_BLOCK_MS = 500
"""How long the command server waits for a command per read (and so to notice a stop)."""
TICKS_KEPT = 100
"""Entries kept on the ticks stream: readers only want the newest."""


@dataclass
class _Chain:
    """What the publisher knows of one session: its last entry's id ("" when the chain is
    cut), and no sample newer than ``t_max`` and no row past ``seqs`` came before."""

    last_id: str
    t_max: float
    seqs: dict[str, int] = field(default_factory=dict)


_Routed = tuple[str, _wire.FeedEntry, _Chain | None]
"""A feed entry with its bed and its session's chain (None: the entry claims nothing)."""


class Publisher:
    """Publishes a runtime to Redis and answers the commands sent to it (the module's
    docstring). ``now_s`` gives the stream ids' times (epoch seconds; default the
    runtime's wall clock); ``wave_keep_s`` how long waveform entries stay."""

    def __init__(self, runtime: Runtime, redis_url: str, prefix: str = _wire.BUS_PREFIX,
                 keep_s: float = 900.0, *, wave_keep_s: float = 60.0,
                 now_s: Callable[[], float] | None = None, reply_ttl_s: float = 60.0,
                 health_ttl_s: float = 5.0) -> None:  # fmt: skip
        if keep_s <= 0 or wave_keep_s <= 0:
            raise ValueError("keep_s and wave_keep_s must be > 0")
        self.runtime = runtime
        self.keys = _wire.Keys(prefix)
        self.keep_s, self.wave_keep_s = float(keep_s), float(wave_keep_s)
        self.reply_ttl_ms = int(reply_ttl_s * 1000)
        self.health_ttl_ms = int(health_ttl_s * 1000)
        self.now_s = now_s or (lambda: runtime.wall().timestamp())
        self.run = uuid.uuid4().hex[:12]
        self._redis = client(redis_url, SOCKET_TIMEOUT_S)
        self._blocking = client(redis_url, SOCKET_TIMEOUT_S + COMMAND_BLOCK_MS / 1000)
        self.link = Link(time.monotonic, runtime.wall, retry_s=0.0)
        self._pending: deque[tuple[TickWrite, int | None]] = deque()
        self._lock = threading.Lock()  # one flush at a time: views go out in build order
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._hooked = False
        self._chains: dict[int, _Chain] = {}
        self._bed_of: dict[int, str] = {}
        self._tops: dict[str, tuple[int, int]] = {}  # stream -> its newest id
        self._streams: set[str] = set()  # feed streams to trim when idle
        self._wave_seq = 0
        self._published_tick: int | None = None
        self._beds_json = BedsJson()
        self._view_json = OncePerView(_wire.dumps)  # each view's JSON, once per view object
        self.flushes = 0
        self.dropped_writes = 0
        self.last_published: Any = None

    # -- life cycle ---------------------------------------------------------------------
    def start(self) -> Publisher:
        """Hook the runtime's feed and ticks, publish what there is now, and start the
        publishing and command threads."""
        if self._hooked:
            return self
        self._hooked = True
        self.runtime.feed.add_listener(self._on_write)
        self.runtime.add_tick_listener(self._on_tick)
        self.flush()
        for target, name in ((self._publish_loop, "vitalsdash-bus-publish"),
                             (self._command_loop, "vitalsdash-bus-commands")):  # fmt: skip
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self) -> None:
        """Publish what is left (the last tick), then end both threads."""
        if not self._hooked:
            return
        self.flush()
        self._hooked = False
        self._stop.set()
        self._wake.set()
        for t in self._threads:
            t.join(timeout=5)
        self._redis.close()
        self._blocking.close()

    # -- from the runtime (its thread, under its lock: queue and wake only) -------------
    def _on_write(self, tick: TickWrite, wave_seq: int | None) -> None:
        if self._hooked:
            self._pending.append((tick, wave_seq))

    def _on_tick(self, tick_count: int) -> None:
        if self._hooked:
            self._wake.set()

    def _publish_loop(self) -> None:
        period = max(float(self.runtime.clinic.clinic.tick_s), 0.05)
        while not self._stop.is_set():
            self._wake.wait(timeout=max(period, 1.0))  # ticks wake it; else health stays fresh
            self._wake.clear()
            if not self._stop.is_set():
                self.flush()

    # -- publishing ---------------------------------------------------------------------
    def flush(self) -> bool:
        """Publish every write queued, the views and health now; True if Redis took it."""
        with self._lock:
            writes: list[tuple[TickWrite, int | None]] = []
            try:
                # the views first: every write of the ticks they show is queued by then (a
                # tick queues its writes before it counts, under the runtime's lock), so no
                # page reads a view whose second its feed entries do not hold yet
                clinic = self.runtime.views()
                while self._pending:
                    writes.append(self._pending.popleft())
                for bed in clinic.beds:
                    if bed.session_id is not None:
                        self._bed_of[bed.session_id] = bed.bed_id
                feed, waves = self._entries(writes)
                feed += self._chain_starts(clinic, feed)
                self._publish(clinic, feed, waves)
            except RedisError as exc:
                self._failed(exc, len(writes))
                return False
            except Exception as exc:  # a bug must not stop publishing: say it and go on
                log.exception("publishing to Redis failed")
                self._failed(exc, len(writes))
                return False
            self.flushes += 1
            self.last_published = self.runtime.wall()
            if not self.link.up:
                log.warning("publishing to Redis again (live pages read the live feed)")
            self.link.ok()
            return True

    def _failed(self, exc: BaseException, n_writes: int) -> None:
        self._link_failed(exc)
        self.dropped_writes += n_writes
        for chain in self._chains.values():  # what Redis holds may now miss entries
            chain.last_id = ""
        self._tops.clear()  # and its streams may be gone (a restart): ask again

    def _link_failed(self, exc: BaseException) -> None:
        """Redis failed one of the two threads: the first to see an outage logs it."""
        if self.link.up:
            log.warning("cannot publish to Redis (%s): the runtime goes on, live pages read "
                        "the store until it is back", error_text(exc))  # fmt: skip
        self.link.failed(exc)

    def _entries(self, writes: list[tuple[TickWrite, int | None]]
                 ) -> tuple[list[_Routed], list[tuple[str, int, int, list]]]:  # fmt: skip
        """Each write's feed entries per session (chained) and waveform entries, in order."""
        feed: list[_Routed] = []
        waves: list[tuple[str, int, int, list]] = []
        for tick, wave_seq in writes:
            samples: dict[int, list[list[Any]]] = defaultdict(list)
            for s in sample_tuples(tick.samples):
                samples[int(s[0])].append(_wire.sample_row(s[1], s[2], s[3], s[4]))
            events: dict[int, dict[str, list[dict[str, Any]]]] = defaultdict(dict)
            for kind, rows in tick.events().items():
                for r in rows:
                    row = as_event_row(kind, r)
                    if row.seq is not None:
                        events[int(row.session_id)].setdefault(kind, []).append(
                            event_record(kind, row)
                        )
            for sid in sorted(set(samples) | set(events)):
                entry, chain = self._chained(sid, samples.get(sid, []), events.get(sid, {}))
                bed = self._bed(sid)
                if bed is None:  # cannot be routed: the chain is cut here
                    if chain is not None:
                        chain.last_id = ""
                    continue
                feed.append((bed, entry, chain))
            if wave_seq is not None:
                self._wave_seq = max(self._wave_seq, wave_seq)
                segs: dict[int, list] = defaultdict(list)
                for sid, seg in tick.waves:
                    segs[int(sid)].append(seg)
                for sid, ss in segs.items():
                    bed = self._bed(sid)
                    if bed is not None:
                        waves.append((bed, sid, wave_seq, ss))
        return feed, waves

    def _chain_starts(self, clinic: ClinicView, feed: list[_Routed]) -> list[_Routed]:
        """An empty entry for each current session that has no chain in this run and
        nothing in this flush: where the store says it stands. A session a restart left
        interrupted writes nothing more, and its stream's newest entries are the last run's,
        which know nothing of the interruption the new run stored; this one does, so a page
        left open reads it (from the store) instead of being told nothing is new."""
        written = {entry.session_id for _, entry, _ in feed}
        out: list[_Routed] = []
        for bed in clinic.beds:
            sid = bed.session_id
            if sid is None or sid in self._chains or sid in written:
                continue
            entry, chain = self._chained(sid, [], {})
            if chain is not None:
                out.append((bed.bed_id, entry, chain))
        return out

    def _chained(self, sid: int, samples: list[list[Any]],
                 events: dict[str, list[dict[str, Any]]]
                 ) -> tuple[_wire.FeedEntry, _Chain | None]:  # fmt: skip
        """The session's entry with the floors before it (its ``prev`` is set when its id
        is known); the chain moves past it."""
        chain = self._chains.get(sid) or self._first_sight(sid, events)
        if chain is None:  # the store could not say where the session stood: no claim
            entry = _wire.FeedEntry(sid, "", math.inf, _wire.unknown_floors(), samples, events)
            return entry, None
        self._chains[sid] = chain
        entry = _wire.FeedEntry(sid, "", chain.t_max, dict(chain.seqs), samples, events)
        if samples:
            chain.t_max = max(chain.t_max, max(r[0] for r in samples))
        for kind, recs in events.items():
            chain.seqs[kind] = max(chain.seqs.get(kind, 0), max(r["seq"] for r in recs))
        return entry, chain

    def _first_sight(self, sid: int, events: dict[str, list[dict[str, Any]]]) -> _Chain | None:
        """Where a session stood before its first write seen here. A write that holds its
        first session event is its first: nothing came before. Else the store says
        (read now, it may hold later writes too: a floor too high only sends more
        readers to the store, never skips a row)."""
        if any(r["seq"] == 1 for r in events.get("session_events", ())):
            return _Chain("", -math.inf, _wire.new_session_floors())
        store = self.runtime.store
        try:
            latest = store.latest_samples(sid)
            seqs = {k: (events[k][0]["seq"] - 1 if events.get(k) else int(store.last_seq(sid, k)))
                    for k in EVENT_KINDS}  # fmt: skip
        except Exception as exc:
            log.warning("session %d: the store could not say where it stands (%s); its live "
                        "entries make no claim yet", sid, error_text(exc))  # fmt: skip
            return None
        t_max = max((float(v[0]) for v in latest.values()), default=-math.inf)
        return _Chain("", t_max, seqs)

    def _bed(self, sid: int) -> str | None:
        bed = self._bed_of.get(sid)
        if bed is None:
            try:
                row = self.runtime.store.session(sid)
            except Exception:
                return None
            if row is not None:
                bed = self._bed_of[sid] = str(row["bed_id"])
        return bed

    def _next_id(self, stream: str, now_ms: int) -> str:
        top_ms, top_seq = self._tops.get(stream, (0, 0))
        ms, seq = (now_ms, 0) if now_ms > top_ms else (top_ms, top_seq + 1)
        self._tops[stream] = (ms, seq)
        return _wire.format_id(ms, seq)

    def _learn_tops(self, streams: set[str]) -> None:
        """The newest id of each stream not written in this run yet (ids must grow)."""
        unknown = sorted(s for s in streams if s not in self._tops)
        if not unknown:
            return
        with self._redis.pipeline(transaction=False) as p:
            for s in unknown:
                p.xrevrange(s, count=1)
            found = p.execute()
        for s, top in zip(unknown, found, strict=True):
            self._tops[s] = _wire.parse_id(top[0][0]) if top else (0, 0)

    def _publish(self, clinic: ClinicView, feed: list[_Routed],
                 waves: list[tuple[str, int, int, list]]) -> None:  # fmt: skip
        k = self.keys
        now_ms = int(self.now_s() * 1000)
        feed_min = str(max(0, now_ms - int(self.keep_s * 1000)))
        wave_min = str(max(0, now_ms - int(self.wave_keep_s * 1000)))
        feed_streams = {k.feed(bed) for bed, *_ in feed}
        wave_streams = {k.waves(bed) for bed, *_ in waves}
        self._learn_tops(feed_streams | wave_streams)
        truths = [self.runtime.truth(b.bed_id) for b in clinic.beds]
        health = self.runtime.health()
        latest = {e.session_id: self.runtime.feed.latest(e.session_id)
                  for _, e, _ in feed if e.samples}  # fmt: skip
        with self._redis.pipeline(transaction=True) as p:
            for bed, entry, chain in feed:
                stream = k.feed(bed)
                eid = self._next_id(stream, now_ms)
                if chain is not None:  # linked to the session's previous entry, if any
                    entry.prev, chain.last_id = chain.last_id, eid
                p.xadd(stream, entry.fields(), id=eid, minid=feed_min, approximate=False)
            for stream in self._streams - feed_streams:
                p.xtrim(stream, minid=feed_min, approximate=False)
            self._streams |= feed_streams
            for bed, sid, wave_seq, segs in waves:
                stream = k.waves(bed)
                p.xadd(stream, _wire.wave_fields(self.run, sid, wave_seq, segs),
                       id=self._next_id(stream, now_ms), minid=wave_min,
                       approximate=False)  # fmt: skip
            for sid, chans in latest.items():
                if chans:
                    p.hset(k.latest(sid), mapping={ch: _wire.dumps(_wire.latest_row(*v))
                                                   for ch, v in chans.items()})  # fmt: skip
                    p.pexpire(k.latest(sid), int(self.keep_s * 1000))
            header = {"name": clinic.name, "speed": clinic.speed, "paused": clinic.paused,
                      "tick_count": clinic.tick_count, "live_updates": clinic.live_updates,
                      "beds": [b.bed_id for b in clinic.beds], "run": self.run}  # fmt: skip
            p.set(k.clinic, _wire.dumps(header))
            p.set(k.beds_json, self._beds_json.body(clinic.beds))  # made once, not per worker
            for bed_view, truth in zip(clinic.beds, truths, strict=True):
                for key, view in ((k.view(bed_view.bed_id), bed_view),
                                  (k.truth(bed_view.bed_id), truth)):  # fmt: skip
                    if view is not None:
                        p.set(key, self._view_json.made(key, view))
            p.set(k.health, _wire.dumps(health), px=self.health_ttl_ms)
            p.hset(k.meta, mapping={"run": self.run, "wave_seq": str(self._wave_seq),
                                    "wave_horizon_s": repr(self.runtime.feed.wave_horizon_s),
                                    "keep_s": repr(self.keep_s)})  # fmt: skip
            if clinic.tick_count != self._published_tick:
                p.xadd(k.ticks, {"run": self.run, "tick": str(clinic.tick_count)},
                       maxlen=TICKS_KEPT, approximate=True)  # fmt: skip
            p.execute()
        self._published_tick = clinic.tick_count

    # -- commands -----------------------------------------------------------------------
    def _command_loop(self) -> None:
        """Answer commands until stopped; on a Redis error wait a little and go on."""
        grouped, backlog = False, True
        while not self._stop.is_set():
            try:
                if not grouped:
                    self._make_group()
                    grouped, backlog = True, True
                # first what this consumer was given and never acknowledged (a crash)
                got = self._blocking.xreadgroup(
                    _wire.CONSUMER_GROUP, "runtime", {self.keys.commands: "0" if backlog else ">"},
                    count=16, block=None if backlog else COMMAND_BLOCK_MS)  # fmt: skip
                entries = [e for _, es in got or () for e in es]
                if backlog and not entries:
                    backlog = False
                    continue
                if entries:
                    now_ms = _redis_ms(self._redis.time())
                    for entry_id, fields in entries:
                        self._answer(entry_id, fields, now_ms)
            except ResponseError as exc:
                if "NOGROUP" in str(exc):  # Redis restarted empty: make the group again
                    grouped = False
                    continue
                log.warning("command server: %s", error_text(exc))
                self._stop.wait(0.5)
            except RedisError as exc:
                self._link_failed(exc)
                grouped = False
                self._stop.wait(0.5)
            except Exception:
                log.exception("command server failed; going on")
                self._stop.wait(0.5)

    def _make_group(self) -> None:
        try:
            self._redis.xgroup_create(self.keys.commands, _wire.CONSUMER_GROUP, id="0",
                                      mkstream=True)  # fmt: skip
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def _answer(self, entry_id: bytes, fields: dict[bytes, bytes], now_ms: int) -> None:
        """Run one command and answer it (or drop it: too old, or no reply key)."""
        request_id = fields.get(b"id", b"").decode()
        timeout_ms = int(fields.get(b"timeout_ms", b"10000"))
        age_ms = now_ms - _wire.parse_id(entry_id)[0]
        if not request_id or age_ms > timeout_ms - min(1000, timeout_ms // 4):
            log.warning("command %s dropped: %d ms old, its sender has given up",
                        entry_id.decode(), age_ms)  # fmt: skip
            self._blocking.xack(self.keys.commands, _wire.CONSUMER_GROUP, entry_id)
            return
        reply = _run(self.runtime, fields.get(b"command", b"null"))
        self.flush()  # what the command changed is published before its answer
        key = self.keys.reply(request_id)
        with self._redis.pipeline(transaction=True) as p:
            p.rpush(key, _wire.dumps(reply))
            p.pexpire(key, self.reply_ttl_ms)
            p.xack(self.keys.commands, _wire.CONSUMER_GROUP, entry_id)
            p.execute()

    # -- health -------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """For ``runtime.add_health_check("redis", ...)``: ok while Redis takes what is
        published; since when it has not, and when publishing resumed. Lock-free."""
        out = self.link.report()
        out["published"] = self.flushes
        out["dropped_writes"] = self.dropped_writes
        if self.last_published is not None:
            out["last_published"] = self.last_published.isoformat()
        if not out["ok"]:
            out["message"] = ("live pages cannot be updated: Redis cannot be reached; the "
                              "clinic goes on and stores everything")  # fmt: skip
        elif "resumed" in out:
            out["message"] = f"publishing again since {out['resumed']}"
        return out


def _run(runtime: Runtime, raw: bytes) -> dict[str, Any]:
    """``runtime.submit`` of one command from the stream, as the reply carries it."""
    try:
        command = Command.from_dict(_wire.loads(raw))
        if command.bed_id is not None and not isinstance(command.bed_id, str):
            raise TypeError("bed_id")
    except Exception:
        return _refusal(ActionError("bad_command", "the command could not be read",
                                    status=400))  # fmt: skip
    try:
        return {"ok": True, "result": runtime.submit(command)}
    except ActionError as exc:
        return _refusal(exc)
    except Exception:  # as a request thread's 500 would be: logged, answered in words
        log.exception("command %s on %s failed", command.kind, command.bed_id)
        return _refusal(ActionError("internal_error", "the monitor failed on this request; "
                                    "the error is logged", status=500))  # fmt: skip


def _refusal(exc: ActionError) -> dict[str, Any]:
    return {"ok": False, "error": {"code": exc.code, "message": exc.message,
                                   "status": exc.status, "details": exc.details,
                                   "words": exc.words}}  # fmt: skip


def _redis_ms(t: tuple[int, int]) -> int:
    return int(t[0]) * 1000 + int(t[1]) // 1000
