"""HL7 ingest: PCD-01 ORU^R01 over MLLP on loopback, each message waiting for its ACK.

The listener (``Hl7Gateway`` with one ``Hl7Source`` per bed, drained every 0.5 s as the
runtime would) runs in this process; the devices are separate processes, each with one
connection that sends a message, waits for its AA, sends the next (no pipelining).
Messages are the devices.md shape: HR, SpO2, RR every message, NIBP sys/dia/mean with a
hierarchy row in every 30th. Target (issue "HL7 adapter"): sustained >= 2,000 messages/s.
With ``--stored`` the gateway feeds a real runtime with a SQLite store in a temporary
folder, as ``vitalsdash run --mllp-port`` does: each AA then means the message is stored
(one transaction per message), and the runtime ticks every 0.5 s. Prints figures;
asserts nothing.

    .venv/bin/python benchmarks/bench_hl7.py [--seconds 10] [--clients 1,4] [--stored]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import socket
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from vitalsdash.adapters.hl7 import Hl7Gateway, SourceRegistry

SB, EB = b"\x0b", b"\x1c\r"


def _message(bed: int, seq: int, ts: str) -> bytes:
    obx = [
        f"OBX|1|NM|147842^MDC_ECG_HEART_RATE^MDC|1.1.1.147842|{60 + seq % 40}|"
        f"264864^MDC_DIM_BEAT_PER_MIN^MDC|||||R|||{ts}",
        f"OBX|2|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|1.2.1.150456|{90 + seq % 10}|"
        f"262688^MDC_DIM_PERCENT^MDC|||||R|||{ts}",
        f"OBX|3|NM|151562^MDC_RESP_RATE^MDC|1.4.1.151562|{10 + seq % 8}|"
        f"264928^MDC_DIM_RESP_PER_MIN^MDC|||||R|||{ts}",
    ]
    if seq % 30 == 0:
        obx += [
            "OBX|4||150020^MDC_PRESS_BLD_NONINV^MDC|1.3.1|||||||R",
            f"OBX|5|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC|1.3.1.150021|128|"
            f"266016^MDC_DIM_MMHG^MDC|||||R|||{ts}",
            f"OBX|6|NM|150022^MDC_PRESS_BLD_NONINV_DIA^MDC|1.3.1.150022|84|"
            f"266016^MDC_DIM_MMHG^MDC|||||R|||{ts}",
            f"OBX|7|NM|150023^MDC_PRESS_BLD_NONINV_MEAN^MDC|1.3.1.150023|99|"
            f"266016^MDC_DIM_MMHG^MDC|||||R|||{ts}",
        ]
    segs = [
        f"MSH|^~\\&|BENCH^00000000BE{bed:06X}^EUI-64||||{ts}||ORU^R01^ORU_R01|B{bed}-{seq}|P|"
        "2.6|||NE|AL||||IHE PCD ORU-R01 2006^HL7^1.3.6.1.4.1.19376.1.6.1.1.1^ISO",
        f"PID|||PT{bed}^^^BENCH^PI||Patient^Simulated",
        f"PV1||I|BENCH^^BED{bed}",
        f"OBR|1|||182777000^monitoring of patient^SNOMED-CT|||{ts}",
        *obx,
    ]
    return SB + ("\r".join(segs) + "\r").encode() + EB


def _device(port: int, bed: int, seconds: float, start: mp.Event, out: mp.Queue) -> None:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    start.wait()
    lat: list[float] = []
    naks = n = 0
    buf = b""
    t_end = time.perf_counter() + seconds
    while True:
        t0 = time.perf_counter()
        if t0 >= t_end:
            break
        ts = datetime.now(UTC).strftime("%Y%m%d%H%M%S.%f")[:-3] + "+0000"
        sock.sendall(_message(bed, n, ts))
        while EB not in buf:
            buf += sock.recv(65536)
        ack, _, buf = buf.partition(EB)
        if b"MSA|AA|" not in ack:
            naks += 1
        n += 1
        lat.append(time.perf_counter() - t0)
    sock.close()
    out.put((n, naks, lat))


def run(clients: int, seconds: float, stored: bool = False) -> None:
    if stored:
        return run_stored(clients, seconds)
    reg = SourceRegistry(anchor=datetime.now(UTC))
    with Hl7Gateway(reg, port=0) as gw:
        ctx = mp.get_context("fork")
        start, out = ctx.Event(), ctx.Queue()
        procs = [ctx.Process(target=_device, args=(gw.port, b, seconds, start, out))
                 for b in range(clients)]  # fmt: skip
        for p in procs:
            p.start()
        time.sleep(0.3)
        t0 = time.perf_counter()
        start.set()
        results = []
        drained = 0
        while len(results) < clients:
            time.sleep(0.5)
            now = time.perf_counter() - t0 + 1.0
            drained += sum(len(s.advance(now + 3600)) for s in list(reg.sources.values()))
            while not out.empty():
                results.append(out.get())
        for p in procs:
            p.join()
        stats = gw.stats()
    _report(clients, seconds, results, stats, f"{drained:,} readings drained")


def _devices(port: int, clients: int, seconds: float) -> list[tuple[int, int, list[float]]]:
    """Run the device processes against ``port``; their (messages, NAKs, latencies)."""
    ctx = mp.get_context("fork")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_device, args=(port, b, seconds, start, out))
             for b in range(clients)]  # fmt: skip
    for p in procs:
        p.start()
    time.sleep(0.3)
    start.set()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    return results


def run_stored(clients: int, seconds: float) -> None:
    from vitalsdash.config import ClinicConfig
    from vitalsdash.feed import Feed
    from vitalsdash.runtime import Runtime
    from vitalsdash.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(str(Path(tmp) / "bench.sqlite"))
        runtime = Runtime(ClinicConfig(), store, Feed(store))
        runtime.start()
        runtime.run_in_thread()
        try:
            with Hl7Gateway.for_runtime(runtime, port=0) as gw:
                results = _devices(gw.port, clients, seconds)
                stats = gw.stats()
            sessions = len(store.sessions())
        finally:
            runtime.stop()
            store.close()
    _report(clients, seconds, results, stats, f"stored through the runtime ({sessions} sessions)")


def _report(clients: int, seconds: float, results: list, stats: dict, extra: str) -> None:
    total = sum(n for n, _, _ in results)
    naks = sum(k for _, k, _ in results)
    lat = sorted(x for _, _, ls in results for x in ls)
    p50 = statistics.median(lat) * 1e3
    p99 = lat[int(0.99 * (len(lat) - 1))] * 1e3
    print(f"{clients:2d} device(s) x {seconds:g} s: {total:,} messages acknowledged, "
          f"{total / seconds:,.0f} msg/s (target >= 2,000); "
          f"ACK latency p50 {p50:.2f} ms, p99 {p99:.2f} ms; NAKs {naks}; "
          f"listener accepted {stats['accepted']:,}, rejected {stats['rejected']}; "
          f"{extra}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--clients", default="1,4", help="comma-separated device counts")
    ap.add_argument("--stored", action="store_true",
                    help="through a runtime with a SQLite store (AA = stored)")  # fmt: skip
    args = ap.parse_args()
    for c in (int(x) for x in args.clients.split(",")):
        run(c, args.seconds, args.stored)


if __name__ == "__main__":
    main()
