"""Sample-to-screen latency and CPU: the scaled-out cluster against the single process.

Prints figures, asserts nothing. A clinic of ``--chairs`` chairs at x1 (pushed bedside
pages) is started twice on this machine: as the cluster (``scripts/cluster.py``: Redis,
PostgreSQL, the runtime, ``--workers`` web workers) and as the embedded default
(``vitalsdash run``: one process, SQLite). Against each, ``--bedside`` viewers hold a
bedside push stream (``/_vitals/bed/<id>/stream``) and ``--central`` viewers poll
``/api/beds`` once a second, for ``--seconds``.

- **Latency**: each bedside update carries the session time of the page's newest data
  (``bed-cursor.now``); the sample of session second t exists from wall time
  ``origin + t`` (x1), the origin measured per bed on the quiet clinic before the load
  (``second_origins``), so arrival minus that is what a nurse waits from the sample to
  the screen under load. The load's first ``OPENING_S`` seconds, when all viewers connect
  at once, are reported apart; the client collects no garbage while it measures.
- **Missed updates**: a viewer whose successive ``now`` values jump by more than 2 s
  missed updates in between.
- **CPU** per process from /proc/<pid>/stat (and its children: the web workers), per
  second and per update delivered.

``--web`` chooses the cluster's web tier: ``gunicorn`` (the product, ``vitalsdash web``),
``asgi`` (uvicorn ``--workers`` serving ``_asgi_web.py``, a FastAPI app with the load's
two endpoints made by the product's code; ``asgi-threads``: the same with each stream's
work in the event loop's thread pool), ``flask-bare`` (gunicorn serving
``_wsgi_web.py``, the product's API and stream routes without the dashboard and the
access layers) or ``dash-ws`` (uvicorn serving ``_dash_ws_web.py``: Dash's FastAPI
backend, the bedside updates pushed by a persistent WebSocket callback, which the
bedside viewers then open instead of the SSE stream). For all but the first the cluster
starts as usual, then its web tier is stopped and the other one started on the same port,
Redis and PostgreSQL; the session start times are read from the product's tier before
the swap. The uvicorn variants need the ``bench`` extra (fastapi, uvicorn).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
TICKS_PER_S = os.sysconf("SC_CLK_TCK")
NOW = re.compile(rb'"bed-cursor":\s*\{"data":\s*\{"now":\s*(-?[0-9.eE+-]+)')
"""The page's time in a stream message (``bed-cursor.now``), read without parsing it."""


TAIL = (75, 90, 95, 98, 99)
"""Latency percentiles printed besides p50 and p95: where the tail starts."""
OPENING_S = 5.0
"""The first seconds of the load, when every viewer opens its stream at once and each is
sent its backfill: measured apart from the steady load (a worker that restarts sees such
a storm; the fault drill covers it)."""


def clinic_toml(chairs: int) -> str:
    beds = "\n".join(
        f'[[beds]]\nid = "chair{i}"\nlabel = "Chair {i}"\nscenario = "uneventful-depression"\n'
        f"seed = {i}\n" for i in range(1, chairs + 1))  # fmt: skip
    return (f'[clinic]\nname = "Cluster bench"\nspeed = 1.0\nlive_updates = "push"\n'
            f"push_streams_max = 200\n\n{beds}")  # fmt: skip


def cpu_s(pid: int) -> float:
    """User + system CPU of ``pid`` and its waited-for children, in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(v) for v in fields[11:15]) / TICKS_PER_S


def tree(pid: int) -> list[int]:
    out = [pid]
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return out
    for k in kids:
        out += tree(int(k))
    return out


class Viewer:
    def __init__(self) -> None:
        self.latencies: list[float] = []  # a central poll's round trips
        self.seen: list[tuple[float, float, float]] = []  # bedside: (arrival, page time, latency)
        self.updates = 0
        self.missed = 0
        self.last_now: float | None = None


async def bedside(port: int, bed: str, started: dict[str, float], v: Viewer, until: float):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET /_vitals/bed/{bed}/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                 "Accept: text/event-stream\r\n\r\n".encode())  # fmt: skip
    await writer.drain()
    buf = b""
    try:
        while time.time() < until:
            chunk = await asyncio.wait_for(
                reader.read(65536), timeout=max(0.1, until - time.time())
            )
            if not chunk:
                break
            at = time.time()  # when the bytes came, before this client spends any time
            buf += chunk
            while b"\n\n" in buf:
                msg, buf = buf.split(b"\n\n", 1)
                # the page's time without parsing the message: a client that parsed
                # every message would itself hold up the next reads on these cores
                found = (
                    NOW.search(msg) if msg.startswith(b"data: {") or b"\ndata: {" in msg else None
                )
                if found is None or bed not in started:
                    continue
                now = float(found.group(1))
                v.updates += 1
                v.seen.append((at, now, at - (started[bed] + now)))
                if v.last_now is not None and now - v.last_now > 2.0:
                    v.missed += int(now - v.last_now) - 1
                v.last_now = now
    except (TimeoutError, ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def bedside_ws(port: int, bed: str, started: dict[str, float], v: Viewer, until: float,
                     callback_id: str) -> None:  # fmt: skip
    """A bedside page of ``--web dash-ws``: starts the persistent callback over Dash's
    WebSocket and reads its ``set_props`` messages (``bed-cursor`` carries ``now``)."""
    from websockets.asyncio.client import connect

    start = {"type": "callback_request", "requestId": "1", "rendererId": f"bench-{id(v)}",
             "payload": {"output": callback_id, "outputs": [],
                         "inputs": [{"id": "bed-id", "property": "data", "value": bed}],
                         "state": [], "changedPropIds": ["bed-id.data"]}}  # fmt: skip
    try:
        async with connect(f"ws://127.0.0.1:{port}/_dash-ws-callback", max_size=None,
                           origin=f"http://127.0.0.1:{port}", open_timeout=60) as ws:  # type: ignore[arg-type]  # fmt: skip
            await ws.send(json.dumps(start))
            while time.time() < until:
                raw = await asyncio.wait_for(ws.recv(), timeout=max(0.1, until - time.time()))
                at = time.time()
                got = json.loads(raw)
                for msg in got if isinstance(got, list) else [got]:
                    payload = msg.get("payload") or {}
                    if msg.get("type") != "set_props" or payload.get("componentId") != "bed-cursor":
                        continue
                    now = ((payload.get("props") or {}).get("data") or {}).get("now")
                    if now is None or bed not in started:
                        continue
                    v.updates += 1
                    v.seen.append((at, float(now), at - (started[bed] + float(now))))
                    if v.last_now is not None and float(now) - v.last_now > 2.0:
                        v.missed += int(float(now) - v.last_now) - 1
                    v.last_now = float(now)
    except (TimeoutError, ConnectionError, OSError):
        pass
    except Exception as exc:  # the websockets library's own closing errors
        if "ConnectionClosed" not in type(exc).__name__:
            raise


def ws_callback_id(port: int) -> str:
    """The persistent bedside callback's id, from the Dash app's dependencies."""
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_dash-dependencies") as r:
        deps = json.loads(r.read())
    return next(d["output"] for d in deps if d.get("no_output"))


async def central(port: int, v: Viewer, until: float) -> None:
    while time.time() < until:
        t0 = time.time()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"GET /api/beds HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                         "Connection: close\r\n\r\n".encode())  # fmt: skip
            await writer.drain()
            data = await reader.read()
            writer.close()
            if b" 200 " in data[:20]:
                v.updates += 1
                v.latencies.append(time.time() - t0)
        except OSError:
            v.missed += 1
        await asyncio.sleep(max(0.0, 1.0 - (time.time() - t0)))


def second_origins(port: int, seconds: float = 4.0) -> dict[str, float]:
    """Per bed, the wall time of its session's second 0 as the clinic computes seconds:
    on the quiet clinic, /api/beds is read every 10 ms and each second's first sight,
    minus the second, is a bound from above; the smallest is the origin. Second t then
    exists from ``origin + t`` (x1): what latency is measured from."""
    import urllib.request

    origins: dict[str, float] = {}
    last: dict[str, float] = {}
    end = time.time() + seconds
    while time.time() < end:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/beds") as r:
            rows = json.loads(r.read())
        at = time.time()
        for row in rows:
            t = (row.get("session") or {}).get("t_s")
            if t is None:
                continue
            if row["id"] in last and t > last[row["id"]]:
                origins[row["id"]] = min(origins.get(row["id"], at), at - float(t))
            last[row["id"]] = float(t)
        time.sleep(0.01)
    return origins


def run_load(port: int, chairs: int, n_bed: int, n_central: int, seconds: float,
             pids: dict[str, int], started: dict[str, float] | None = None,
             ws_callback: str | None = None) -> dict[str, object]:  # fmt: skip
    started = second_origins(port) if started is None else started
    viewers = [Viewer() for _ in range(n_bed)]
    centrals = [Viewer() for _ in range(n_central)]
    cpu0 = {name: sum(cpu_s(p) for p in tree(pid)) for name, pid in pids.items()}
    t0 = time.time()
    until = t0 + seconds

    async def main() -> None:
        if ws_callback is None:
            tasks = [bedside(port, f"chair{i % chairs + 1}", started, v, until)
                     for i, v in enumerate(viewers)]  # fmt: skip
        else:
            tasks = [bedside_ws(port, f"chair{i % chairs + 1}", started, v, until, ws_callback)
                     for i, v in enumerate(viewers)]  # fmt: skip
        tasks += [central(port, v, until) for v in centrals]
        await asyncio.gather(*tasks)

    # the measuring client's own full collections (~70 ms each over the growing lists of
    # arrivals) would be counted as the servers' latency: none while it measures
    gc.disable()
    try:
        asyncio.run(main())
    finally:
        gc.enable()
    elapsed = time.time() - t0
    cpu = {name: (sum(cpu_s(p) for p in tree(pid)) - cpu0[name]) / elapsed
           for name, pid in pids.items()}  # fmt: skip
    opened = t0 + OPENING_S
    seen = [x for v in viewers for x in v.seen[2:]]  # after the backfill
    lat = sorted(late for at, _, late in seen if at >= opened)
    opening = sorted(late for at, _, late in seen if at < opened)
    updates = sum(v.updates for v in viewers)
    return {
        "streams_open": sum(1 for v in viewers if v.updates),
        "updates": updates,
        "p50_ms": 1000 * statistics.median(lat) if lat else float("nan"),
        "p95_ms": 1000 * lat[int(0.95 * (len(lat) - 1))] if lat else float("nan"),
        "tail_ms": {q: 1000 * lat[int(q / 100 * (len(lat) - 1))] for q in TAIL} if lat else {},
        "opening_ms": {q: 1000 * opening[int(q / 100 * (len(opening) - 1))] for q in (50, 95, 99)}
        if opening
        else {},
        "missed_per_viewer": sum(v.missed for v in viewers) / max(1, n_bed),
        "central_p95_ms": 1000
        * sorted(x for v in centrals for x in v.latencies)[
            int(0.95 * (max(1, sum(len(v.latencies) for v in centrals)) - 1))
        ]
        if any(v.latencies for v in centrals)
        else float("nan"),
        "cpu": cpu,
        "arrivals": [
            (i % chairs + 1, i, at, now, late)
            for i, v in enumerate(viewers)
            for at, now, late in v.seen[2:]
        ],
        "cpu_ms_per_update": {k: 1000 * c * elapsed / max(1, updates) for k, c in cpu.items()},
    }


def sizing(port: int, var: Path, chairs: int, commands: int = 40) -> dict[str, float]:
    """What docs/scaling.md's table needs, read from the running cluster after the load:
    Redis memory per bed (its feed and wave streams, scaled to the 900 s they keep),
    PostgreSQL rows and bytes per bed-hour, connections at rest, and a command's round
    trip (browser to web worker to runtime and back, sequential and unloaded)."""
    import urllib.request

    import psycopg
    import redis

    state = json.loads((var / "cluster.json").read_text())
    r = redis.Redis.from_url(state["redis_url"])
    feed_bytes, wave_bytes, covered_s = 0, 0, []
    for i in range(1, chairs + 1):
        feed, waves = f"vitalsdash:feed:chair{i}", f"vitalsdash:waves:chair{i}"
        feed_bytes += int(r.memory_usage(feed, samples=0) or 0)
        wave_bytes += int(r.memory_usage(waves, samples=0) or 0)
        first, last = r.xrange(feed, count=1), r.xrevrange(feed, count=1)
        if first and last:
            ms = [int(e[0].split(b"-")[0]) for e in (first[0], last[0])]
            covered_s.append((ms[1] - ms[0]) / 1000)
    held_s = statistics.median(covered_s) if covered_s else float("nan")
    out = {  # the feed scaled to the 900 s it keeps; the waves keep 60 s, as held here
        "redis_kb_per_bed_900s": (feed_bytes / max(held_s, 1) * 900 + wave_bytes) / chairs / 1024,
        "redis_used_mb": int(r.info("memory")["used_memory"]) / 2**20,
    }
    times = []
    for _ in range(commands):
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/clinic/actions",
            data=json.dumps({"kind": "set_speed", "params": {"speed": 1}}).encode(),
            headers={"Content-Type": "application/json", "Origin": f"http://127.0.0.1:{port}"},
        )
        t0 = time.perf_counter()
        with urllib.request.urlopen(req, timeout=30) as resp:
            resp.read()
        times.append(1000 * (time.perf_counter() - t0))
    times.sort()
    out["command_ms_p50"] = statistics.median(times)
    out["command_ms_p99"] = times[min(len(times) - 1, int(0.99 * len(times)))]
    time.sleep(2)
    with psycopg.connect(state["db_url"].replace("+psycopg", "")) as db:
        bed_s = float(db.execute("SELECT coalesce(sum(last_t_s), 0) FROM sessions").fetchone()[0])
        total_rows, total_bytes = 0, 0
        for table in ("samples", "waveforms", "waveforms_recent", "alarm_events", "actions",
                      "observations", "session_events"):  # fmt: skip
            total_rows += db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            total_bytes += db.execute("SELECT pg_total_relation_size(%s)", (table,)).fetchone()[0]
        out["pg_connections_at_rest"] = (
            db.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            ).fetchone()[0]
            - 1
        )  # not this one
    hours = max(bed_s, 1) / 3600
    out["pg_rows_per_bed_hour"] = total_rows / hours
    out["pg_mb_per_bed_hour"] = total_bytes / hours / 2**20
    return out


def report_sizing(s: dict[str, float], cpu: dict[str, float], chairs: int,
                  updates_per_s: float) -> None:  # fmt: skip
    print(f"sizing: Redis {s['redis_kb_per_bed_900s']:.0f} KB per bed for 900 s of feed and "
          f"waves ({s['redis_used_mb']:.1f} MB used in all); PostgreSQL "
          f"{s['pg_rows_per_bed_hour']:.0f} rows and {s['pg_mb_per_bed_hour']:.2f} MB per "
          f"bed-hour, {s['pg_connections_at_rest']} connections at rest; a command's round "
          f"trip p50 {s['command_ms_p50']:.1f} ms, p99 {s['command_ms_p99']:.1f} ms")  # fmt: skip
    per_bed = cpu["runtime"] / chairs
    print(f"    runtime {100 * per_bed:.3f}% of a core per bed at x1 (ticks, alarms, store, "
          f"publishing): about {0.5 / per_bed:.0f} beds at half a core")  # fmt: skip
    web_per_update = cpu["web"] / max(updates_per_s, 1e-9)
    print(f"    web tier {1000 * web_per_update:.2f} ms CPU per bedside update delivered "
          f"(with its share of the central polls and the waves): about "
          f"{0.8 / web_per_update:.0f} updates a second per worker at 80% of a core")  # fmt: skip


def wait_health(port: int, timeout_s: float = 120) -> None:
    import urllib.error
    import urllib.request

    end = time.time() + timeout_s
    while time.time() < end:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # answering (perhaps degraded)
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"no answer on port {port} within {timeout_s} s")


def _gone(pid: int, timeout_s: float) -> bool:
    end = time.time() + timeout_s
    while time.time() < end:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.2)
    return False


def swap_web_tier(web: str, var: Path, port: int, workers: int, clinic: Path,
                  env: dict[str, str], threads: int) -> subprocess.Popen[bytes]:  # fmt: skip
    """Stop the cluster's gunicorn and serve ``web`` on the same port, Redis and database."""
    state = json.loads((var / "cluster.json").read_text())
    os.kill(int((var / "web.pid").read_text()), signal.SIGTERM)
    if not _gone(int((var / "web.pid").read_text()), 60):
        raise SystemExit("bench_cluster: the cluster's web tier did not stop within 60 s")
    bench_env = {**env, "VITALSDASH_BENCH_REDIS": state["redis_url"],
                 "VITALSDASH_BENCH_DB": state["db_url"], "VITALSDASH_BENCH_CLINIC": str(clinic),
                 "PYTHONUNBUFFERED": "1"}  # fmt: skip
    bind = ["--host", "127.0.0.1", "--port", str(port)]
    if web == "asgi-threads":
        bench_env["VITALSDASH_BENCH_OFFLOAD"] = "1"
    if web in ("asgi", "asgi-threads", "dash-ws"):
        module = "_dash_ws_web" if web == "dash-ws" else "_asgi_web"
        argv = [PYTHON, "-m", "uvicorn", "--factory", f"{module}:create_app", "--app-dir",
                str(ROOT / "benchmarks"), "--workers", str(workers), *bind, "--no-access-log",
                "--log-level", "info", "--timeout-graceful-shutdown", "5"]  # fmt: skip
    else:  # flask-bare: gunicorn with vitalsdash web's worker settings
        argv = [PYTHON, "-m", "gunicorn", "--workers", str(workers), "--worker-class",
                "gthread", "--threads", str(threads), "--bind", f"127.0.0.1:{port}",
                "--pythonpath", str(ROOT / "benchmarks"), "--graceful-timeout", "5",
                "--keep-alive", "30", "--worker-connections", "200", "--log-level", "warning",
                "_wsgi_web:create_app()"]  # fmt: skip
    log = (var / f"web-{web}.log").open("ab")
    proc = subprocess.Popen(argv, env=bench_env, cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip
    log.close()
    try:
        wait_health(port)
        if web != "flask-bare":  # every worker up, not only the first
            wait_log(var / f"web-{web}.log", "Application startup complete", workers)
    except SystemExit:
        stop_web_tier(proc)
        print((var / f"web-{web}.log").read_text(errors="replace")[-3000:])
        raise
    return proc


def wait_log(path: Path, line: str, times: int, timeout_s: float = 180) -> None:
    end = time.time() + timeout_s
    while path.read_text(errors="replace").count(line) < times:
        if time.time() > end:
            raise SystemExit(f"{path}: fewer than {times} {line!r} within {timeout_s:g} s")
        time.sleep(0.5)


def stop_web_tier(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def report(label: str, r: dict[str, object]) -> None:
    print(f"{label}: {r['streams_open']} bedside streams open, {r['updates']} updates; "
          f"latency p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms; missed updates per "
          f"viewer {r['missed_per_viewer']:.2f}; central /api/beds p95 "
          f"{r['central_p95_ms']:.0f} ms")  # fmt: skip
    tail = r["tail_ms"]
    print("    latency " + ", ".join(f"p{q} {ms:.0f} ms" for q, ms in tail.items()))  # type: ignore[union-attr]
    opening = r["opening_ms"]
    print(f"    (latency from {OPENING_S:g} s on; in the first {OPENING_S:g} s, while every "
          "viewer opens its stream and gets its backfill: "
          + ", ".join(f"p{q} {ms:.0f} ms" for q, ms in opening.items()) + ")")  # type: ignore[union-attr]  # fmt: skip
    for name, c in r["cpu"].items():  # type: ignore[union-attr]
        per = r["cpu_ms_per_update"][name]  # type: ignore[index]
        print(f"    {name:8s} {100 * c:5.1f}% of a core   {per:.2f} ms CPU per update")


def settle(seconds: float = 15.0) -> None:
    """Flush what the stopped cluster left to write, and let the machine go quiet."""
    os.sync()
    time.sleep(seconds)


def dump(path: Path | None, result: dict[str, object]) -> None:
    if path is None:
        return
    with path.open("w") as f:
        f.write("chair,viewer,arrival_s,page_s,latency_s\n")
        for chair, i, at, now, lat in result["arrivals"]:  # type: ignore[attr-defined]
            f.write(f"{chair},{i},{at:.4f},{now:g},{lat:.4f}\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chairs", type=int, default=64)
    ap.add_argument("--bedside", type=int, default=150)
    ap.add_argument("--central", type=int, default=50)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--port", type=int, default=18650)
    ap.add_argument("--only", choices=["cluster", "single"])
    ap.add_argument("--dump", type=Path, metavar="CSV",
                    help="write every bedside update (chair, viewer, arrival, page time, "
                         "latency) to CSV, to study the tail (the single process's to "
                         "CSV's name with -single)")  # fmt: skip
    ap.add_argument("--web", choices=["gunicorn", "asgi", "asgi-threads", "flask-bare",
                                      "dash-ws"],
                    default="gunicorn",
                    help="the cluster's web tier (module docstring)")  # fmt: skip
    args = ap.parse_args()
    try:
        import vitalsdash.bus  # noqa: F401
    except ImportError:
        if args.only != "single":
            print("bench_cluster: the message bus (vitalsdash.bus) is not installed here: "
                  "measuring the single process only")  # fmt: skip
            args.only = "single"
    tmp = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    tmp.chmod(0o755)  # PostgreSQL runs as its own user when we are root: it must get in
    clinic = tmp / "clinic.toml"
    clinic.write_text(clinic_toml(args.chairs))
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT / 'simulators'}"}
    print(f"{args.chairs} chairs at x1, {args.bedside} pushed bedside viewers, {args.central} "
          f"central pollers, {args.seconds:g} s each; {os.cpu_count()} cores")  # fmt: skip
    try:
        if args.only in (None, "cluster"):
            var = tmp / "cluster"
            start = [PYTHON, str(ROOT / "scripts" / "cluster.py"), "start", "--port",
                     str(args.port), "--workers", str(args.workers), "--clinic", str(clinic),
                     "--var", str(var)]  # fmt: skip
            if subprocess.run(start, env=env, cwd=ROOT).returncode != 0:
                raise SystemExit("bench_cluster: the cluster did not start (its error above)")
            other = None
            try:
                pids = {n: int((var / f"{n}.pid").read_text())
                        for n in ("runtime", "web", "redis", "postgres")}  # fmt: skip
                started = None
                if args.web != "gunicorn":
                    started = second_origins(args.port)
                    threads = 8 + 200  # vitalsdash web: HTTP_THREADS + push_streams_max
                    other = swap_web_tier(args.web, var, args.port, args.workers, clinic, env,
                                          threads)  # fmt: skip
                    pids["web"] = other.pid
                time.sleep(5)
                print(f"load average before the run: {Path('/proc/loadavg').read_text().strip()}")
                ws_callback = ws_callback_id(args.port) if args.web == "dash-ws" else None
                result = run_load(args.port, args.chairs, args.bedside, args.central,
                                  args.seconds, pids, started, ws_callback)  # fmt: skip
                report(f"cluster ({args.workers} workers, web tier: {args.web})", result)
                dump(args.dump, result)
                if args.web == "gunicorn":
                    report_sizing(sizing(args.port, var, args.chairs), result["cpu"],  # type: ignore[arg-type]
                                  args.chairs, result["updates"] / args.seconds)  # type: ignore[operator]  # fmt: skip
            finally:
                if other is not None:
                    stop_web_tier(other)
                subprocess.run([PYTHON, str(ROOT / "scripts" / "cluster.py"), "stop", "--var",
                                str(var)], env=env, cwd=ROOT)  # fmt: skip
        if args.only in (None, "single"):
            if args.only is None:  # the cluster's files still being written out would
                settle()  # stall the single process's commits: measure on a quiet machine
            proc = subprocess.Popen([PYTHON, "-m", "vitalsdash.cli", "run", "--port",
                                     str(args.port + 1), "--clinic", str(clinic), "--db",
                                     str(tmp / "single.sqlite")], env=env, cwd=ROOT,
                                    stdout=subprocess.DEVNULL)  # fmt: skip
            try:
                wait_health(args.port + 1)
                time.sleep(5)
                print(f"load average before the run: {Path('/proc/loadavg').read_text().strip()}")
                single = run_load(args.port + 1, args.chairs, args.bedside, args.central,
                                  args.seconds, {"server": proc.pid})  # fmt: skip
                report("single process", single)
                if args.dump is not None:
                    dump(args.dump.with_name(f"{args.dump.stem}-single{args.dump.suffix}"),
                         single)  # fmt: skip
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
