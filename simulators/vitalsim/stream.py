"""``vitalsim stream``: the virtual patient as a bedside monitor sending HL7 over MLLP.

Every simulated second becomes one IHE PCD-01 ORU^R01 message (the shape of the project's
devices.md: MSH with the device's EUI-64 in MSH-3, PID, PV1 with the location, OBR, one
OBX per value with MDC codes, units and OBX-14 time) holding that second's HR, SpO2 and
RR (RR when the sensor reports it) plus NIBP systolic/diastolic/mean when a cuff reading
completes. Invalid samples (probe off, cuff failure, NaN) are not sent. Each message has a
unique MSH-10 (run start + sequence number, so a restarted stream never reuses an id).

Delivery is at-least-once with the receiver's duplicate check making it exactly once:
after each message the sender waits for the ACK; on AE/AR, a timeout or a dropped
connection it reconnects with exponential backoff and resends **the same message with the
same control id**, and only then moves on. A message refused ``max_naks`` times in a row
stops the stream with :class:`StreamError` (retrying a permanent refusal, e.g. an unknown
source, forever would hide it).

Pacing is simulated seconds / ``speed`` on an injectable ``clock``/``sleep``; message
timestamps are ``start_wall + t`` (simulated time). How the stream and a receiver agree
on time: a receiver refuses observations stamped ahead of its clock, so a fast stream
(``speed > 1``) back-dates its start by ``end * (1 - 1/speed)``: every stamp is then at
or before the wall clock when it is sent (behind by ``(end - t) * (1 - 1/speed)``), the
last one reaching "now" at the scenario's end, and simulated seconds stay seconds in the
receiver's session (alarm delays, NIBP cycles). ``start_wall`` overrides it.

A refusal is logged with the receiver's whole reason (MSA-3 and ERR-8, unescaped).
Nothing here imports vitalsdash.
"""

from __future__ import annotations

import argparse
import logging
import math
import socket
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from vitalsim.engine import LiveSimulation
from vitalsim.scenario import find_scenario, load_scenario

log = logging.getLogger("vitalsim.stream")

SB, END = b"\x0b", b"\x1c\x0d"
PROFILE = "IHE PCD ORU-R01 2006^HL7^1.3.6.1.4.1.19376.1.6.1.1.1^ISO"

# channel -> (OBX-3, OBX-4 sub-id, OBX-6)
_BPM = "264864^MDC_DIM_BEAT_PER_MIN^MDC"
_MMHG = "266016^MDC_DIM_MMHG^MDC"
CODES: dict[str, tuple[str, str, str]] = {
    "HR": ("147842^MDC_ECG_HEART_RATE^MDC", "1.1.1.147842", _BPM),
    "SPO2": ("150456^MDC_PULS_OXIM_SAT_O2^MDC", "1.2.1.150456", "262688^MDC_DIM_PERCENT^MDC"),
    "RR": ("151562^MDC_RESP_RATE^MDC", "1.4.1.151562", "264928^MDC_DIM_RESP_PER_MIN^MDC"),
    "NIBP_SYS": ("150021^MDC_PRESS_BLD_NONINV_SYS^MDC", "1.3.1.150021", _MMHG),
    "NIBP_DIA": ("150022^MDC_PRESS_BLD_NONINV_DIA^MDC", "1.3.1.150022", _MMHG),
    "NIBP_MAP": ("150023^MDC_PRESS_BLD_NONINV_MEAN^MDC", "1.3.1.150023", _MMHG),
    # one per breath, at the breath's end: a silence of 20 s is an apnoea at the monitor
    "ETCO2": ("151708^MDC_CONC_AWAY_CO2_ET^MDC", "1.5.1.151708", _MMHG),
}
NIBP_CONTAINER = "150020^MDC_PRESS_BLD_NONINV^MDC"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class StreamError(Exception):
    """The stream cannot go on (bad target, a message refused again and again)."""


@dataclass(frozen=True)
class Observation:
    t_s: float
    channel: str
    value: float


@dataclass
class StreamStats:
    seconds: int = 0  # simulated seconds run
    messages: int = 0  # messages acknowledged AA
    observations: int = 0  # values in them
    sends: int = 0  # frames written, resends included
    naks: int = 0  # AE/AR answers
    timeouts: int = 0
    disconnects: int = 0
    connects: int = 0
    connect_failures: int = 0

    def summary(self) -> str:
        return (f"{self.messages} messages ({self.observations} values) over {self.seconds} "
                f"simulated s; {self.sends - self.messages} resends, {self.naks} NAKs, "
                f"{self.timeouts} timeouts, {self.disconnects} dropped connections")  # fmt: skip


# --- messages ----------------------------------------------------------------------------------


def parse_target(url: str) -> tuple[str, int]:
    """``mllp://HOST:PORT`` -> (host, port)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "mllp" or not parts.hostname or port is None or parts.path not in ("", "/"):
        raise StreamError(f"--to takes mllp://HOST:PORT, got {url!r}")
    return parts.hostname, port


def hl7_ts(epoch_s: float) -> str:
    """POSIX seconds as an HL7 TS with milliseconds, UTC (``+0000``)."""
    dt = _EPOCH + timedelta(seconds=round(epoch_s, 3))
    return dt.strftime("%Y%m%d%H%M%S") + f".{dt.microsecond // 1000:03d}+0000"


def _nm(v: float) -> str:
    s = repr(float(v))
    return s if "e" not in s and "n" not in s else f"{v:.6f}"


def build_oru(
    observations: Sequence[Observation],
    *,
    control_id: str,
    epoch0: float,
    device_id: str,
    location: str,
    patient_id: str,
) -> str:
    """One PCD-01 ORU^R01 for ``observations`` (all of one second), segments ended by CR."""
    if not observations:
        raise ValueError("a message needs at least one observation")
    when = hl7_ts(epoch0 + observations[0].t_s)
    segs = [
        f"MSH|^~\\&|VITALSIM^{device_id}^EUI-64||||{when}||ORU^R01^ORU_R01|{control_id}|P|2.6"
        f"|||NE|AL||||{PROFILE}",
        f"PID|||{patient_id}^^^VITALSIM^PI||Patient^Simulated",
        f"PV1||I|{location}",
        f"OBR|1|||182777000^monitoring of patient^SNOMED-CT|||{when}",
    ]
    n = 0
    container = False
    for ob in observations:
        code, sub, unit = CODES[ob.channel]
        if ob.channel.startswith("NIBP") and not container:
            n += 1  # the NIBP channel row: hierarchy only, no value
            segs.append(f"OBX|{n}||{NIBP_CONTAINER}|1.3.1|||||||R")
            container = True
        n += 1
        at = hl7_ts(epoch0 + ob.t_s)
        segs.append(f"OBX|{n}|NM|{code}|{sub}|{_nm(ob.value)}|{unit}|||||R|||{at}")
    return "\r".join(segs) + "\r"


def observations_of(rows: Sequence) -> list[Observation]:
    """The rows a monitor would send: HR/SpO2/RR/EtCO2/NIBP, valid values only, NIBP last."""
    out = []
    for r in rows:
        if r.channel not in CODES or r.quality == "invalid":
            continue
        v = float(r.value)
        if math.isnan(v) or math.isinf(v):
            continue
        out.append(Observation(float(r.t_s), r.channel, v))
    return sorted(out, key=lambda o: (o.t_s, o.channel.startswith("NIBP")))


# --- MLLP sender --------------------------------------------------------------------------------


class _Sender:
    """One MLLP connection at a time; ``deliver`` returns once the message got AA."""

    def __init__(
        self,
        host: str,
        port: int,
        stats: StreamStats,
        *,
        sleep: Callable[[float], None],
        ack_timeout_s: float,
        connect_timeout_s: float,
        max_naks: int,
        backoff_s: float,
        max_backoff_s: float,
    ) -> None:
        self.host, self.port, self.stats = host, port, stats
        self.sleep = sleep
        self.ack_timeout_s, self.connect_timeout_s = ack_timeout_s, connect_timeout_s
        self.max_naks = max_naks
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self.sock: socket.socket | None = None
        self.buf = bytearray()
        self._failures = 0

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None
                self.buf.clear()

    def _backoff(self) -> None:
        delay = min(self.max_backoff_s, self.backoff_s * 2 ** min(self._failures, 30))
        self._failures += 1
        self.sleep(delay)

    def _connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout_s)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self.ack_timeout_s)
        self.sock, self.buf = sock, bytearray()
        self.stats.connects += 1

    def _read_ack(self, control_id: str) -> tuple[str, str]:
        """(MSA-1, MSA-3) of the ACK for ``control_id``; raises OSError/TimeoutError."""
        assert self.sock is not None
        deadline = time.monotonic() + self.ack_timeout_s
        while True:
            start = self.buf.find(SB)
            end = self.buf.find(END, start + 1) if start >= 0 else -1
            if end >= 0:
                block = bytes(self.buf[start + 1 : end])
                del self.buf[: end + 2]
                code, cid, text = _msa(block)
                if code and cid in (control_id, ""):
                    return code, text
                continue  # an answer to something else: not ours
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no ACK")
            self.sock.settimeout(left)
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionResetError("connection closed by the receiver")
            self.buf += data

    def deliver(self, message: str, control_id: str) -> None:
        payload = SB + message.encode("ascii") + END
        naks = 0
        while True:
            if self.sock is None:
                try:
                    self._connect()
                except OSError as exc:
                    self.stats.connect_failures += 1
                    log.warning("cannot connect to %s:%d (%s); retrying", self.host, self.port,
                                exc)  # fmt: skip
                    self._backoff()
                    continue
            try:
                assert self.sock is not None
                self.sock.sendall(payload)
                self.stats.sends += 1
                code, text = self._read_ack(control_id)
            except TimeoutError:
                self.stats.timeouts += 1
                log.warning("%s: no ACK within %.1f s; reconnecting to resend", control_id,
                            self.ack_timeout_s)  # fmt: skip
                self.close()
                self._backoff()
                continue
            except OSError as exc:
                self.stats.disconnects += 1
                log.warning("%s: connection lost (%s); reconnecting to resend", control_id, exc)
                self.close()
                self._backoff()
                continue
            if code in ("AA", "CA"):
                self._failures = 0
                return
            naks += 1
            self.stats.naks += 1
            log.warning("%s refused: %s %s", control_id, code, text)
            if naks >= self.max_naks:
                raise StreamError(f"message {control_id} refused {naks} times: {code} {text}")
            self.close()
            self._backoff()


def _msa(block: bytes) -> tuple[str, str, str]:
    """(MSA-1, MSA-2, reason): the reason is MSA-3, and ERR-8 when it says more."""
    text = block.decode("utf-8", "replace").replace("\n", "\r")
    if not text.startswith("MSH") or len(text) < 8:
        return "", "", ""
    fs, enc = text[3], text[4:8]
    cs, es = enc[0], enc[2] if len(enc) > 2 else "\\"
    msa: tuple[str, str, str] | None = None
    err = ""
    for seg in text.split("\r"):
        f = seg.split(fs)
        if f[0] == "MSA" and len(f) > 1 and msa is None:
            cid = f[2].split(cs)[0] if len(f) > 2 else ""
            msa = (f[1].strip(), cid.strip(), _unescape(f[3], fs, cs, es) if len(f) > 3 else "")
        elif f[0] == "ERR" and len(f) > 8 and not err:
            err = _unescape(f[8], fs, cs, es)
    if msa is None:
        return "", "", ""
    code, cid, reason = msa
    if err and err != reason:
        reason = f"{reason} ({err})" if reason and not err.startswith(reason) else err
    return code, cid, reason


def _unescape(text: str, fs: str, cs: str, es: str) -> str:
    """HL7 escapes of a text field (\\F\\ \\S\\ \\T\\ \\R\\ \\E\\) back to characters."""
    if es not in text:
        return text
    table = {"F": fs, "S": cs, "T": "&", "R": "~", "E": es}
    parts = text.split(es)
    out = [parts[0]]
    for k in range(1, len(parts), 2):
        seq = parts[k]
        rest = parts[k + 1] if k + 1 < len(parts) else None
        if rest is None:  # unterminated: literal
            out.append(es + seq)
            break
        out.append(table.get(seq, es + seq + es))
        out.append(rest)
    return "".join(out)


# --- the stream ----------------------------------------------------------------------------------


def start_epoch(start_wall: datetime | None, speed: float, end_s: float,
                now: datetime | None = None) -> float:  # fmt: skip
    """The wall-clock time of simulated t = 0: ``start_wall``, else now, back-dated by
    ``end_s * (1 - 1/speed)`` when faster than real time (no stamp ahead of the clock)."""
    if start_wall is not None:
        return start_wall.timestamp()
    t = (now or datetime.now(UTC)).timestamp()
    return t - end_s * (1.0 - 1.0 / speed) if speed > 1 else t


def default_device_id(seed: int) -> str:
    """An EUI-64 for the simulated monitor: ``5653494D`` ("VSIM") + the seed."""
    return f"5653494D{seed & 0xFFFFFFFF:08X}"


def stream(
    scenario_path: str,
    to_url: str,
    speed: float = 1.0,
    seed: int | None = None,
    *,
    count: int | None = None,
    duration_s: int | None = None,
    location: str = "VITALSIM^^BED1",
    patient_id: str = "SIM01",
    device_id: str | None = None,
    start_wall: datetime | None = None,
    follow_script: bool = False,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    ack_timeout_s: float = 5.0,
    connect_timeout_s: float = 5.0,
    max_naks: int = 5,
    backoff_s: float = 0.05,
    max_backoff_s: float = 2.0,
    on_acked: Callable[[str, list[Observation]], None] | None = None,
) -> StreamStats:
    """Stream ``scenario_path`` to ``to_url`` (``mllp://HOST:PORT``) until the scenario's
    end, ``duration_s`` simulated seconds or ``count`` messages, whichever comes first.

    ``on_acked(control_id, observations)`` is called once per message after its AA.
    """
    host, port = parse_target(to_url)
    if not speed > 0:
        raise StreamError(f"--speed must be positive, got {speed}")
    if "|" in location or "\r" in location or "|" in patient_id or "\r" in patient_id:
        raise StreamError("--location and the patient id cannot contain '|' or line breaks")
    scenario = load_scenario(find_scenario(scenario_path))
    seed = int(seed if seed is not None else (scenario.seed or 0))
    device_id = device_id or default_device_id(seed)
    end = math.ceil(scenario.timeline.end_s) if duration_s is None else int(duration_s)
    sim = LiveSimulation.from_scenario(scenario, seed, follow_script=follow_script)
    epoch0 = start_epoch(start_wall, speed, end)
    prefix = f"V{int(epoch0 * 1000) & 0xFFFFFFFFFFF:011x}"
    stats = StreamStats()
    sender = _Sender(host, port, stats, sleep=sleep, ack_timeout_s=ack_timeout_s,
                     connect_timeout_s=connect_timeout_s, max_naks=max_naks,
                     backoff_s=backoff_s, max_backoff_s=max_backoff_s)  # fmt: skip
    t0 = clock()
    try:
        for s in range(end):
            if count is not None and stats.messages >= count:
                break
            wait = t0 + s / speed - clock()
            if wait > 0:
                sleep(wait)
            obs = observations_of(sim.advance(1))
            stats.seconds = s + 1
            if not obs:
                continue
            cid = f"{prefix}{stats.messages + 1:07d}"
            msg = build_oru(obs, control_id=cid, epoch0=epoch0, device_id=device_id,
                            location=location, patient_id=patient_id)  # fmt: skip
            sender.deliver(msg, cid)
            stats.messages += 1
            stats.observations += len(obs)
            if on_acked is not None:
                on_acked(cid, obs)
    finally:
        sender.close()
    return stats


# --- command line (registered by vitalsim.cli) -----------------------------------------------


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="scenario name (config/scenarios) or path to a TOML file")
    p.add_argument("--to", required=True, metavar="mllp://HOST:PORT", help="the receiver")
    p.add_argument("--speed", type=float, default=1.0, help="simulated seconds per second")
    p.add_argument("--seed", type=int, help="random seed (default: the scenario's, else 0)")
    p.add_argument("--location", default="VITALSIM^^BED1", help="PV1-3 (default: %(default)s)")
    p.add_argument("--device-id", help="EUI-64 in MSH-3 (default: derived from the seed)")
    p.add_argument("--duration-s", type=int, help="stop after this many simulated seconds")
    p.add_argument("--count", type=int, help="stop after this many messages")
    p.add_argument("--follow-script", action="store_true", help="apply scripted [[actions]]")


def cmd_stream(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="vitalsim stream: %(message)s",
                        stream=sys.stderr)  # fmt: skip
    try:
        stats = stream(args.scenario, args.to, args.speed, args.seed, count=args.count,
                       duration_s=args.duration_s, location=args.location,
                       device_id=args.device_id, follow_script=args.follow_script)  # fmt: skip
    except StreamError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("vitalsim stream: interrupted", file=sys.stderr)
        return 130
    print(f"vitalsim stream: {stats.summary()}", file=sys.stderr)
    return 0
