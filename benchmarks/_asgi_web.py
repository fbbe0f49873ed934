"""A minimal ASGI web tier (FastAPI under uvicorn) for ``bench_cluster.py --web asgi``.

Not the product: it serves only what the cluster benchmark's load asks for, so that
uvicorn with an event loop can be measured against gunicorn's threaded workers on the
same work. Each worker reads through its own ``vitalsdash.bus.RemoteRuntime``, as a
gunicorn worker does, and answers with the product's own code:

- ``GET /_vitals/bed/<id>/stream``: the bedside push stream, its messages made by the
  same functions as ``ui/live/stream.py`` (``bedside_tick`` -> ``component_props`` ->
  ``_frame``, and ``_wave_frame``) with the same pacing (a message at most once a
  period, right after a tick; waves after every tick; a heartbeat on a quiet stream).
  What differs is the waiting: one task per worker waits for the runtime's ticks (in a
  thread: ``RemoteRuntime.wait_for_tick`` blocks) and wakes every open stream on the
  event loop, where the Flask tier holds one thread per stream. A stream's work after a
  tick (a few Redis reads and the JSON) runs on the loop too, as written: sync code,
  no thread hop; with VITALSDASH_BENCH_OFFLOAD=1 it runs in the loop's thread pool
  (``asyncio.to_thread``) instead, so that the loop stays free for other requests.
- ``GET /api/beds``: ``bed_summary`` of every view through the API's ``_clean``, as the
  Flask API answers it (Flask's JSON settings: sorted keys, compact, ASCII).
- ``GET /api/health``: the runtime's health, so that the benchmark can wait for it.

What the product's Flask tier does on every request and this app does not: the Host
check, the access guard, Flask-Login's user lookup and Flask-Limiter's before-request
hook (docs/benchmarks.md, "Scale-out", says what that means for the figures).

Settings come from the environment (uvicorn's workers are separate processes started
with ``--factory``): VITALSDASH_BENCH_REDIS, VITALSDASH_BENCH_DB, VITALSDASH_BENCH_CLINIC.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from fastapi import FastAPI
from starlette.responses import Response, StreamingResponse

from vitalsdash.api import _clean
from vitalsdash.bus import RemoteRuntime
from vitalsdash.config import load_clinic
from vitalsdash.runtime import bed_summary
from vitalsdash.store import Store
from vitalsdash.ui.live import stream
from vitalsdash.ui.live.bedside import bedside_tick, component_props

TICK_WAIT_S = 5.0
OFFLOAD = os.environ.get("VITALSDASH_BENCH_OFFLOAD") == "1"
"""A stream's work in threads (``bench_cluster.py --web asgi-threads``), not on the loop."""
T = TypeVar("T")


class Ticks:
    """The runtime's tick count on this worker's event loop: one waiter thread, any
    number of streams awaiting the next tick."""

    def __init__(self, runtime: RemoteRuntime) -> None:
        self.runtime = runtime
        self.count = runtime.tick_count
        self._next = asyncio.Event()
        self.closed = False

    async def follow(self) -> None:
        while not self.closed:
            n = await asyncio.to_thread(self.runtime.wait_for_tick, self.count, TICK_WAIT_S)
            if n > self.count:
                self.count = n
                woken, self._next = self._next, asyncio.Event()
                woken.set()

    async def wait(self, seen: int, timeout_s: float) -> int:
        if self.count <= seen and timeout_s > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._next.wait(), timeout_s)
        return self.count


async def paced(runtime: RemoteRuntime, ticks: Ticks, bed_id: str,
                props_item: Callable[[dict[str, Any]], T | None],
                wave_item: Callable[[RemoteRuntime, str, int], tuple[int, T | None]],
                quiet_item: T | None, period_s: float = stream.PERIOD_S,
                heartbeat_s: float = stream.HEARTBEAT_S, offload: bool = OFFLOAD
                ) -> AsyncIterator[T]:  # fmt: skip
    """``StreamHub._messages`` with ``await`` where it blocks (its comments hold): what
    the page is sent, each made into a message by ``props_item`` (None: nothing new)
    and ``wave_item``, ``quiet_item`` on a quiet stream (None: nothing). ``offload``:
    that work runs in the loop's thread pool instead of on the loop."""
    clock = time.monotonic
    cursor: dict[str, Any] | None = None
    shown_now: Any = ()
    wave_seq = 0
    seen = ticks.count
    sent_at = due = now = clock()
    tick_due, early = True, False

    def news() -> T | None:
        nonlocal cursor, shown_now
        out = bedside_tick(runtime, bed_id, cursor)
        props = component_props(out)
        if "cursor" in out:
            cursor = out["cursor"]
            props.pop("bed-cursor")
            page_now = None if cursor is None else {"now": cursor["now"]}
            if page_now != shown_now:
                props["bed-cursor"] = {"data": page_now}
                shown_now = page_now
        return props_item(props)

    while not ticks.closed:
        if tick_due:
            item = await asyncio.to_thread(news) if offload else news()
            if item is not None:
                yield item
                sent_at, due = now, now + 0.9 * period_s
            early = False
        if offload:
            wave_seq, wave = await asyncio.to_thread(wave_item, runtime, bed_id, wave_seq)
        else:
            wave_seq, wave = wave_item(runtime, bed_id, wave_seq)
        if wave is not None:
            yield wave
            sent_at = now
        if now - sent_at >= heartbeat_s:
            if quiet_item is not None:
                yield quiet_item
            sent_at = now
        quiet_until = sent_at + heartbeat_s
        ticked = False
        while not ticks.closed:  # StreamHub._wait
            now = clock()
            until = min(quiet_until, due + period_s) if early else quiet_until
            if now >= until:
                break
            tick = await ticks.wait(seen, until - now)
            if tick > seen:
                seen, ticked = tick, True
                break
        now = clock()
        tick_due = not ticked or now >= due
        early = early or (ticked and not tick_due)


async def bed_messages(runtime: RemoteRuntime, ticks: Ticks, bed_id: str
                       ) -> AsyncIterator[bytes]:  # fmt: skip
    """The SSE stream's bytes, made as ``ui/live/stream.py`` makes them."""
    yield f"retry: {stream.RETRY_MS}\n\n".encode()
    async for frame in paced(runtime, ticks, bed_id, stream._frame, stream._wave_frame,
                             b": quiet\n\n"):  # fmt: skip
        yield frame


def _json(value: Any, status: int = 200) -> Response:
    body = json.dumps(_clean(value), ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    return Response(body, status_code=status, media_type="application/json")


def create_app() -> FastAPI:
    runtime = RemoteRuntime(os.environ["VITALSDASH_BENCH_REDIS"],
                            Store(os.environ["VITALSDASH_BENCH_DB"]),
                            load_clinic(os.environ.get("VITALSDASH_BENCH_CLINIC")))  # fmt: skip
    state: dict[str, Ticks] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        ticks = state["ticks"] = Ticks(runtime)
        follower = asyncio.create_task(ticks.follow())
        yield
        ticks.closed = True
        runtime.stop()  # wakes the waiter thread
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(follower, 5)
        runtime.store.close()

    app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/_vitals/bed/{bed_id}/stream")
    async def bed_stream(bed_id: str) -> Response:
        if runtime.view(bed_id) is None:
            return _json({"error": "unknown_bed", "message": f"There is no bed {bed_id!r}."},
                         404)  # fmt: skip
        return StreamingResponse(bed_messages(runtime, state["ticks"], bed_id),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache",
                                          "X-Accel-Buffering": "no"})  # fmt: skip

    @app.get("/api/beds")
    async def beds() -> Response:
        return _json([bed_summary(v) for v in runtime.views().beds])

    @app.get("/api/health")
    async def health() -> Response:
        report = runtime.health()
        return _json(report, 200 if report["status"] == "ok" else 503)

    return app
