"""HL7 v2 ORU^R01 (IHE PCD-01) to readings, and the ACKs that answer it. Pure functions.

What the receiver promises is in docs/hl7.md; the MDC codes are in vitalsdash.channels.
Rules this module applies:

- Segments end in ``\\r``; ``\\r\\n`` and bare ``\\n`` are accepted too. The separators
  are the message's own (MSH-1, MSH-2); escape sequences are decoded where values are
  read (ids, codes, numbers).
- Only ORU^R01 is accepted (anything else: AR). MSH-10 is required (AR without it).
- The source key is the first of ``key_order`` present: ``location`` PV1-3 (non-empty
  components joined by ``/``: ``INFUSION^^CHAIR3`` -> ``INFUSION/CHAIR3``), ``device``
  MSH-3 (the universal id, e.g. the EUI-64, else the namespace id), ``patient`` PID-3
  (first identifier's id).
- OBX rows: the code (OBX-3) is read as MDC when its coding system is ``MDC`` or empty
  (number or ``MDC_...`` mnemonic), and the CWE alternate triplet is tried when the
  primary is local. Unknown and vendor codes (``99COMEN``, ``99PHILIPS``...) are ignored,
  as are rows without a value (MDS/VMD/channel hierarchy rows), rows whose status
  (OBX-11) says there is no valid result (X, D, W, N, I, O) and known codes without a
  channel in the model (temperature, the NIBP container).
- Heart rate: the ECG rate wins; without it, the oximeter's pulse rate, then the generic
  pulse rate, then the NIBP pulse rate (only the best kind present in a message is used).
  Respiration rate likewise: the capnograph's (CO2, then airway), then the generic one.
- EtCO2 comes in mmHg or kPa (converted); a % is refused (AE): it needs the barometric
  pressure to become mmHg.
- Values: OBX-5 must be an HL7 number (``[+-]digits[.digits]``) for NM/SN/ST/untyped
  rows; anything else is AE. Units (OBX-6) may be coded triplets, bare MDC mnemonics,
  MDC codes (context-free or term code) or UCUM; kPa is converted to mmHg for NIBP; an
  empty unit means the channel's own unit; a unit that does not fit the channel is AE.
- Plausibility (after conversion): outside ``RANGES`` is AE, nothing of the message kept.
- Time: OBX-14, else the enclosing OBR-7, else MSH-7, as an HL7 TS (``YYYY[MM[DD[HH[MM
  [SS[.S...]]]]]][+/-ZZZZ]``, ``^precision`` ignored). **No offset means UTC** (the
  contract's senders send ``+0000``; a local-time sender must send its offset).

A message is all or nothing: the first problem raises :class:`Hl7Error` and no reading of
that message is returned.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from vitalsdash import channels
from vitalsdash.adapters._base import Reading
from vitalsdash.channels import KPA_TO_MMHG  # noqa: F401  (public: tests convert with it)
from vitalsdash.errors import VitalsdashError

KEY_KINDS = ("location", "device", "patient")
DEFAULT_KEY_ORDER: tuple[str, ...] = KEY_KINDS

# --- code tables (ISO/IEEE 11073-10101 context-free codes) --------------------------------

BEST_SOURCE: dict[str, dict[int, int]] = {
    "HR": {147842: 0, 149530: 1, 149522: 2, 149546: 3},
    "RR": {151594: 0, 151570: 1, 151562: 2},
}
"""Channels several codes report, their sources best first (a message keeps the best one
present): heart rate from the ECG, the oximeter's pulse, the generic pulse, the NIBP
pulse; respiration rate from the capnograph's CO2, the airway, unspecified."""
_RANK = {code: rank for ranks in BEST_SOURCE.values() for code, rank in ranks.items()}

CHANNEL_OF_CODE: dict[int, str | None] = {}
"""MDC code -> channel id, from the channel registry; None: a known code that carries no
channel (kept current by ``_sync_channels``)."""
_NO_CHANNEL = {
    150344: None,  # MDC_TEMP: known, no channel in the model
    150020: None,  # MDC_PRESS_BLD_NONINV: container (hierarchy) row
}
CODE_OF_MNEMONIC = {
    "MDC_ECG_HEART_RATE": 147842,
    "MDC_PULS_OXIM_PULS_RATE": 149530,
    "MDC_PULS_RATE": 149522,
    "MDC_PULS_RATE_NON_INV": 149546,
    "MDC_PULS_OXIM_SAT_O2": 150456,
    "MDC_PRESS_BLD_NONINV_SYS": 150021,
    "MDC_PRESS_BLD_NONINV_DIA": 150022,
    "MDC_PRESS_BLD_NONINV_MEAN": 150023,
    "MDC_RESP_RATE": 151562,
    "MDC_CO2_RESP_RATE": 151594,
    "MDC_AWAY_RESP_RATE": 151570,
    "MDC_CONC_AWAY_CO2_ET": 151708,
    "MDC_AWAY_CO2_ET": 151708,  # another name in use for the same code
    "MDC_TEMP": 150344,
    "MDC_PRESS_BLD_NONINV": 150020,
}
MNEMONIC_OF_CODE = {v: k for k, v in reversed(CODE_OF_MNEMONIC.items())}
"""One name per code: the first one listed."""

# unit token -> how to recognise it
_UNIT_MNEMONICS = {
    "MDC_DIM_BEAT_PER_MIN": "bpm",
    "MDC_DIM_PERCENT": "%",
    "MDC_DIM_RESP_PER_MIN": "resp",
    "MDC_DIM_MMHG": "mmHg",
    "MDC_DIM_KILO_PASCAL": "kPa",
    "MDC_DIM_DEGC": "degC",
    "MDC_DIM_PER_X_MIN": "per_min",
}
# Context-free codes (partition 4) and their term codes. NB: 3872 is the term code of
# MDC_DIM_MMHG (266016 = 4 * 65536 + 3872); kPa is 3843 / 265987.
_UNIT_CODES = {
    264864: "bpm", 2720: "bpm",
    262688: "%", 544: "%",
    264928: "resp", 2784: "resp",
    266016: "mmHg", 3872: "mmHg",
    265987: "kPa", 3843: "kPa",
    268192: "degC", 6048: "degC",
}  # fmt: skip
_UNIT_UCUM = {
    "{beats}/min": "bpm", "{beat}/min": "bpm", "bpm": "bpm", "/min": "per_min",
    "1/min": "per_min", "min-1": "per_min", "%": "%", "{breaths}/min": "resp",
    "{breath}/min": "resp", "{resp}/min": "resp", "rpm": "resp", "br/min": "resp",
    "mm[hg]": "mmHg", "mmhg": "mmHg", "kpa": "kPa", "cel": "degC",
}  # fmt: skip
UNIT_FACTORS: dict[str, dict[str, float]] = {}
"""Unit token -> factor to the channel's unit, per channel (from the channel registry)."""

RANGES: dict[str, tuple[float, float]] = {}
"""Plausible values per channel (inclusive, in the model's units); outside is AE."""


def _sync_channels() -> None:
    """Fill the three tables above from the channel registry (in place: importers keep them)."""
    CHANNEL_OF_CODE.clear()
    CHANNEL_OF_CODE.update(_NO_CHANNEL)
    CHANNEL_OF_CODE.update(channels.by_hl7_code())
    with_codes = [c for c in channels.all_channels() if c.hl7_codes]
    UNIT_FACTORS.clear()
    UNIT_FACTORS.update({c.id: dict(c.hl7_units) for c in with_codes})
    RANGES.clear()
    RANGES.update({c.id: c.valid_range for c in with_codes})
    if "_code_for" in globals():
        _code_for.cache_clear()


_sync_channels()
channels.on_change(_sync_channels)

_NO_RESULT_STATUS = frozenset("XDWNIO")
_NUMERIC_TYPES = frozenset({"NM", "SN", "ST", ""})
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_TS = re.compile(
    r"(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,6}))?(?:([+-])(\d{2})(\d{2}))?"
)
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{2}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --- errors, results -----------------------------------------------------------------------


class Hl7Error(VitalsdashError, ValueError):
    """Why a message is not accepted: AE (content error) or AR (rejected), with a reason.

    ``field`` names where (``"OBX-5"``, ``"MSH-9"``); ``seq`` is the 1-based occurrence of
    that segment; ``kind`` is a short counter key (``bad_number``, ``out_of_range``,
    ``unknown_source``, ``malformed``...); ``err_code`` is the HL7 table 0357 code for ERR-3.
    """

    def __init__(
        self,
        code: str,
        reason: str,
        field: str | None = None,
        *,
        kind: str = "invalid",
        err_code: int = 207,
        seq: int = 1,
    ) -> None:
        if code not in ("AE", "AR"):
            raise ValueError(f"Hl7Error code must be AE or AR, not {code!r}")
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.field = field
        self.kind = kind
        self.err_code = err_code
        self.seq = seq
        self.header: Header | None = None

    def __str__(self) -> str:
        where = f" ({self.field})" if self.field else ""
        return f"{self.code}: {self.reason}{where}"


@dataclass(frozen=True, slots=True)
class Header:
    """What an ACK needs from the message it answers (raw field text, sender's encoding)."""

    control_id: str = ""
    sending_app: str = ""
    sending_facility: str = ""
    processing_id: str = "P"
    version: str = "2.6"
    standard_seps: bool = True


@dataclass(frozen=True, slots=True)
class ObservationBatch:
    """One accepted ORU^R01: who sent it and what it measured.

    ``readings[i].t_s`` is the observation's **wall-clock time as POSIX seconds (UTC)**;
    :class:`~vitalsdash.adapters.hl7.Hl7Source` re-bases it onto the session. Values are
    in the model's units (the channel registry's ``unit``), quality ``"ok"``, no truth.
    """

    control_id: str
    source_key: str
    source_kind: str
    keys: dict[str, str]
    readings: tuple[Reading, ...]
    message_time: float | None = None
    ignored_rows: int = 0
    header: Header = field(default_factory=Header)

    def walls(self) -> list[datetime]:
        """Each reading's timestamp as an aware UTC datetime."""
        return [_EPOCH + timedelta(seconds=r.t_s) for r in self.readings]


# --- splitting -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Seps:
    """The message's separators: field, component, repetition, escape, sub-component."""

    fs: str = "|"
    cs: str = "^"
    rs: str = "~"
    es: str = "\\"
    ss: str = "&"

    @property
    def standard(self) -> bool:
        return (self.fs, self.cs, self.rs, self.es, self.ss) == ("|", "^", "~", "\\", "&")

    def first(self, raw: str) -> str:
        """The first repetition of a field, raw."""
        return raw.split(self.rs, 1)[0] if self.rs in raw else raw

    def comps(self, raw: str) -> list[str]:
        """Components of the first repetition, each its first sub-component, unescaped."""
        raw = self.first(raw)
        parts = raw.split(self.cs) if self.cs in raw else [raw]
        ss, es = self.ss, self.es
        return [self.unescape(p.split(ss, 1)[0] if ss in p else p) if es in p or ss in p
                else p for p in parts]  # fmt: skip

    def comp(self, raw: str, i: int = 1) -> str:
        """Component ``i`` (1-based) of the first repetition, unescaped."""
        if i == 1 and self.cs not in raw and self.rs not in raw and self.es not in raw \
                and self.ss not in raw:  # fmt: skip
            return raw
        c = self.comps(raw)
        return c[i - 1] if i <= len(c) else ""

    def unescape(self, s: str) -> str:
        e = self.es
        if e not in s:
            return s
        out: list[str] = []
        parts = s.split(e)
        # parts at odd indexes are escape sequences (when closed)
        for k, p in enumerate(parts):
            if k % 2 == 0:
                out.append(p)
                continue
            if k == len(parts) - 1:  # unterminated: keep literally
                out.append(e + p)
                continue
            m = {"F": self.fs, "S": self.cs, "T": self.ss, "R": self.rs, "E": e}.get(p)
            if m is not None:
                out.append(m)
            elif p.startswith("X") and len(p) % 2 == 1:
                with contextlib.suppress(ValueError):
                    out.append(bytes.fromhex(p[1:]).decode("latin-1"))
            elif p in (".br", ".sp", ".ce"):
                out.append(" ")
        return "".join(out)


def _malformed(reason: str, field: str = "MSH", err_code: int = 100) -> Hl7Error:
    return Hl7Error("AR", reason, field, kind="malformed", err_code=err_code)


def _normalise(text: str) -> str:
    if "\n" in text:
        text = text.replace("\r\n", "\r").replace("\n", "\r")
    return text.strip().lstrip("\ufeff")


def _separators(text: str) -> _Seps:
    if not text.startswith("MSH"):
        head = text[:3].encode("unicode_escape").decode("ascii")
        raise _malformed(f"not an HL7 v2 message: starts with {head!r}, not MSH")
    if len(text) < 8:
        raise _malformed("MSH segment too short", "MSH-2")
    fs = text[3]
    end = text.find(fs, 4)
    enc = text[4:end] if end > 4 else ""
    chars = fs + enc
    if (not 1 <= len(enc) <= 5 or len(set(chars)) != len(chars)
            or any(c.isalnum() or c.isspace() for c in chars)):  # fmt: skip
        raise _malformed("MSH-1/MSH-2 separators are missing or invalid", "MSH-2")
    d = _Seps()
    return _Seps(fs, enc[0], enc[1] if len(enc) > 1 else d.rs, enc[2] if len(enc) > 2 else d.es,
                 enc[3] if len(enc) > 3 else d.ss)  # fmt: skip


def split_message(text: str, engine: str = "fast") -> tuple[list[list[str]], _Seps]:
    """Segments as lists of raw field strings numbered as in HL7 (``seg[0]`` is the id;
    for MSH, ``seg[1]`` is MSH-1 and ``seg[2]`` MSH-2).

    ``engine="hl7"`` uses the ``hl7`` package's parser (hl7.parse) and re-serialises its
    fields; ``"fast"`` (default) splits with ``str.split``. Both give the same result for
    valid messages (tests check it); the fast one is ~20x cheaper, which the ingest
    target (2,000 messages/s with ACKs) needs.
    """
    text = _normalise(text)
    seps = _separators(text)
    if engine == "hl7":
        import hl7

        try:
            msg = hl7.parse(text)
        except Exception as exc:  # the parser raises whatever it trips over
            raise _malformed(f"hl7.parse failed: {type(exc).__name__}") from None
        segs = [[str(f) for f in seg] for seg in msg]
        if segs and segs[0] and segs[0][0] == "MSH" and len(segs[0]) > 2:
            segs[0][1], segs[0][2] = seps.fs, text[4 : text.find(seps.fs, 4)]
    elif engine == "fast":
        segs = []
        fs = seps.fs
        for line in text.split("\r"):
            if not line or line.isspace():
                continue
            parts = line.split(fs)
            if not segs:
                parts.insert(1, fs)
            segs.append(parts)
    else:
        raise ValueError(f"unknown engine {engine!r} (fast or hl7)")
    for k, seg in enumerate(segs):
        if not _SEGMENT_ID.fullmatch(seg[0].strip()):
            raise _malformed(f"segment {k + 1} has no valid segment id", f"segment {k + 1}")
        if seg[0] != seg[0].strip():
            seg[0] = seg[0].strip()
    return segs, seps


# --- values ---------------------------------------------------------------------------------


def _f(seg: list[str], n: int) -> str:
    return seg[n] if n < len(seg) else ""


@lru_cache(maxsize=4096)
def parse_ts(raw: str) -> float:
    """An HL7 TS/DTM as POSIX seconds (UTC). No offset means UTC. Raises ValueError."""
    s = raw.strip()
    m = _TS.fullmatch(s)
    if m is None:
        raise ValueError(f"not an HL7 timestamp: {s[:40]!r}")
    y, mo, d, h, mi, sec, frac, sign, oh, om = m.groups()
    dt = datetime(int(y), int(mo or 1), int(d or 1), int(h or 0), int(mi or 0), int(sec or 0),
                  int((frac or "0").ljust(6, "0")), tzinfo=UTC)  # fmt: skip
    if sign is not None:
        if int(oh) > 14 or int(om) > 59:
            raise ValueError(f"bad UTC offset in {s[:40]!r}")
        off = timedelta(hours=int(oh), minutes=int(om))
        dt = dt - off if sign == "+" else dt + off
    return (dt - _EPOCH).total_seconds()


_now_ts: tuple[int, str] = (0, "")


def _ts_now() -> str:
    """Now as an HL7 TS (whole seconds, UTC), formatted once per second."""
    global _now_ts
    sec = int(time.time())
    if _now_ts[0] != sec:
        _now_ts = (sec, format_ts(float(sec)))
    return _now_ts[1]


def format_ts(epoch_s: float | None = None, *, millis: bool = False) -> str:
    """POSIX seconds (default: now) as an HL7 TS in UTC with ``+0000``."""
    dt = datetime.now(UTC) if epoch_s is None else _EPOCH + timedelta(seconds=epoch_s)
    base = dt.strftime("%Y%m%d%H%M%S")
    if millis:
        base += f".{dt.microsecond // 1000:03d}"
    return base + "+0000"


def _code_of(c: list[str]) -> int | None:
    """The MDC code of a CWE (id^text^system^alt id^alt text^alt system), or None."""
    for k in (0, 3):
        ident = c[k].strip() if k < len(c) else ""
        text = c[k + 1].strip() if k + 1 < len(c) else ""
        system = c[k + 2].strip().upper() if k + 2 < len(c) else ""
        if system in ("MDC", ""):
            if ident.isdigit():
                code = int(ident)
                if code in CHANNEL_OF_CODE:
                    return code
            for name in (ident, text):
                if name in CODE_OF_MNEMONIC:
                    return CODE_OF_MNEMONIC[name]
        elif text in CODE_OF_MNEMONIC and text.startswith("MDC_"):
            return CODE_OF_MNEMONIC[text]
    return None


def _unit_token(c: list[str]) -> str | None:
    """``bpm``, ``%``... for a unit CWE; "" when no unit is given; None when unknown."""
    ident = c[0].strip() if c else ""
    text = c[1].strip() if len(c) > 1 else ""
    system = c[2].strip().upper() if len(c) > 2 else ""
    if not ident and not text:
        return ""
    for name in (ident, text):
        if name.upper() in _UNIT_MNEMONICS:
            return _UNIT_MNEMONICS[name.upper()]
    for name in (ident, text):
        tok = _UNIT_UCUM.get(name.lower())
        if tok is not None:
            return tok
    if ident.isdigit() and system in ("MDC", ""):
        return _UNIT_CODES.get(int(ident))
    return None


def _show(s: str, n: int = 40) -> str:
    s = s if len(s) <= n else s[:n] + "..."
    return repr(s)


# --- the message ---------------------------------------------------------------------------


def _header(msh: list[str], seps: _Seps) -> Header:
    return Header(
        control_id=seps.comp(_f(msh, 10)).strip(),
        sending_app=_f(msh, 3),
        sending_facility=_f(msh, 4),
        processing_id=seps.comp(_f(msh, 11)) or "P",
        version=seps.comp(_f(msh, 12)) or "2.6",
        standard_seps=seps.standard,
    )


def peek_header(text: str) -> Header | None:
    """The MSH of a message that cannot be parsed whole (e.g. too large), if readable."""
    try:
        text = _normalise(text)
        seps = _separators(text)
        line = text.split("\r", 1)[0]
        parts = line.split(seps.fs)
        parts.insert(1, seps.fs)
        return _header(parts, seps)
    except Hl7Error:
        return None
    except Exception:
        return None


def _source(segs: list[list[str]], seps: _Seps, msh: list[str]) -> dict[str, str]:
    keys: dict[str, str] = {}
    for seg in segs:
        sid = seg[0]
        if sid == "PV1" and "location" not in keys:
            loc = "/".join(p.strip() for p in seps.comps(_f(seg, 3))[:9] if p.strip())
            if loc:
                keys["location"] = loc
        elif sid == "PID" and "patient" not in keys:
            pid = seps.comp(_f(seg, 3), 1).strip()
            if pid:
                keys["patient"] = pid
    app = seps.comps(_f(msh, 3))
    dev = (app[1].strip() if len(app) > 1 else "") or app[0].strip()
    if dev:
        keys["device"] = dev
    return keys


def parse_oru(
    text: str, *, key_order: Iterable[str] = DEFAULT_KEY_ORDER, engine: str = "fast"
) -> ObservationBatch:
    """One PCD-01 ORU^R01 message -> :class:`ObservationBatch`; raises :class:`Hl7Error`."""
    try:
        segs, seps = split_message(text, engine)
    except Hl7Error:
        raise
    except Exception as exc:  # pragma: no cover - defensive: never let a message crash us
        raise _malformed(f"unreadable message ({type(exc).__name__})") from None
    msh = segs[0]
    header = _header(msh, seps)
    try:
        return _parse_body(segs, seps, msh, header, tuple(key_order))
    except Hl7Error as exc:
        exc.header = header
        raise
    except Exception as exc:  # pragma: no cover - defensive
        err = Hl7Error("AE", f"could not read message ({type(exc).__name__})", kind="internal")
        err.header = header
        raise err from None


def _parse_body(
    segs: list[list[str]], seps: _Seps, msh: list[str], header: Header, key_order: tuple[str, ...]
) -> ObservationBatch:
    mtype = seps.comps(_f(msh, 9))
    kind, event = mtype[0].strip().upper(), (mtype[1].strip().upper() if len(mtype) > 1 else "")
    if kind != "ORU":
        shown = seps.first(_f(msh, 9)) or "(empty)"
        raise Hl7Error("AR", f"unsupported message type {_show(shown)}: only ORU^R01 is accepted",
                       "MSH-9", kind="message_type", err_code=200)  # fmt: skip
    if event != "R01":
        raise Hl7Error("AR", f"unsupported event ORU^{_show(event)}: only ORU^R01 is accepted",
                       "MSH-9", kind="message_type", err_code=201)  # fmt: skip
    if not header.control_id:
        raise Hl7Error("AR", "MSH-10 message control id is missing", "MSH-10",
                       kind="malformed", err_code=101)  # fmt: skip
    if header.version and not header.version.startswith("2"):
        raise Hl7Error("AR", f"unsupported HL7 version {_show(header.version)}", "MSH-12",
                       kind="version", err_code=203)  # fmt: skip
    keys = _source(segs, seps, msh)
    for k in key_order:
        if k not in KEY_KINDS:
            raise ValueError(f"key_order: {k!r} is not one of {KEY_KINDS}")
    source_kind = next((k for k in key_order if k in keys), "")
    if not source_kind:
        wanted = ", ".join({"location": "PV1-3", "device": "MSH-3", "patient": "PID-3"}[k]
                           for k in key_order)  # fmt: skip
        raise Hl7Error("AR", f"no source identity: {wanted} empty", "PV1-3",
                       kind="no_source", err_code=101)  # fmt: skip

    msh_time_raw = seps.comp(_f(msh, 7)).strip()
    message_time = _time(msh_time_raw, "MSH-7", 1) if msh_time_raw else None
    obr_time: float | None = None
    obr_seq = obx_seq = 0
    rows: list[tuple[float, str, float, int]] = []  # (epoch, channel, value, source rank)
    ignored = 0
    for seg in segs:
        sid = seg[0]
        if sid == "OBR":
            obr_seq += 1
            raw = seps.comp(_f(seg, 7)).strip()
            obr_time = _time(raw, "OBR-7", obr_seq) if raw else None
            continue
        if sid != "OBX":
            continue
        obx_seq += 1
        code = _code_for(_f(seg, 3), seps)
        channel = CHANNEL_OF_CODE.get(code) if code is not None else None
        value_raw = seps.first(_f(seg, 5)).strip()
        if channel is None or not value_raw:
            ignored += 1
            continue
        status = seps.comp(_f(seg, 11)).strip().upper()
        vtype = seps.comp(_f(seg, 2)).strip().upper()
        if (status and status[0] in _NO_RESULT_STATUS) or vtype not in _NUMERIC_TYPES:
            ignored += 1
            continue
        value = _number(value_raw, vtype, seps, channel, obx_seq)
        value *= _unit_factor(_f(seg, 6), seps, channel, obx_seq)
        lo, hi = RANGES[channel]
        if not lo <= value <= hi:
            raise Hl7Error("AE", f"{channel} {value:g} outside the plausible {lo:g}-{hi:g}",
                           "OBX-5", kind="out_of_range", err_code=102, seq=obx_seq)  # fmt: skip
        raw_t = seps.comp(_f(seg, 14)).strip()
        if raw_t:
            t = _time(raw_t, "OBX-14", obx_seq)
        elif obr_time is not None:
            t = obr_time
        elif message_time is not None:
            t = message_time
        else:
            raise Hl7Error("AE", f"no time for {channel}: OBX-14, OBR-7 and MSH-7 are empty",
                           "OBX-14", kind="no_time", err_code=101, seq=obx_seq)  # fmt: skip
        rows.append((t, channel, value, _RANK.get(code, -1) if code is not None else -1))

    best = {ch: min((p for _, c, _, p in rows if c == ch), default=None) for ch in BEST_SOURCE}
    readings = tuple(Reading(t, ch, v, "ok", None) for t, ch, v, p in rows if p == best.get(ch, p))
    return ObservationBatch(header.control_id, keys[source_kind], source_kind, keys, readings,
                            message_time, ignored, header)  # fmt: skip


def _time(raw: str, where: str, seq: int) -> float:
    try:
        return parse_ts(raw)
    except ValueError:
        raise Hl7Error("AE", f"{where} {_show(raw)} is not an HL7 timestamp", where,
                       kind="bad_time", err_code=102, seq=seq) from None  # fmt: skip


def _number(raw: str, vtype: str, seps: _Seps, channel: str, seq: int) -> float:
    s = raw
    if vtype == "SN":  # comparator ^ num1 [^ separator ^ num2]: only an exact number
        c = seps.comps(raw)
        if c[0].strip() in ("", "=") and all(not x.strip() for x in c[2:]) and len(c) > 1:
            s = c[1]
        else:
            s = "?" + raw
    elif seps.es in s:
        s = seps.unescape(s)
    s = s.strip()
    if _NUMBER.fullmatch(s) is None:
        shown = _show(seps.unescape(raw))
        raise Hl7Error("AE", f"{channel} value {shown} is not a number", "OBX-5",
                       kind="bad_number", err_code=102, seq=seq)  # fmt: skip
    return float(s)


@lru_cache(maxsize=2048)
def _code_for(raw: str, seps: _Seps) -> int | None:
    return _code_of(seps.comps(raw))


@lru_cache(maxsize=2048)
def _unit_for(raw: str, seps: _Seps) -> str | None:
    return _unit_token(seps.comps(raw))


def _unit_factor(raw: str, seps: _Seps, channel: str, seq: int) -> float:
    tok = _unit_for(raw, seps)
    if tok == "":
        return 1.0
    allowed = UNIT_FACTORS[channel]
    if tok is None:
        shown = _show(seps.first(raw).replace(seps.cs, "^"))
        raise Hl7Error("AE", f"unit {shown} of {channel} is not understood", "OBX-6",
                       kind="bad_unit", err_code=103, seq=seq)  # fmt: skip
    if tok not in allowed:
        raise Hl7Error("AE", f"unit {tok} does not fit {channel}", "OBX-6", kind="bad_unit",
                       err_code=103, seq=seq)  # fmt: skip
    return allowed[tok]


# --- acknowledgements ------------------------------------------------------------------------

_ESCAPES = str.maketrans({"\\": "\\E\\", "|": "\\F\\", "^": "\\S\\", "&": "\\T\\",
                          "~": "\\R\\"})  # fmt: skip
_ack_ids = itertools.count(1)
ACK_TEXT_MAX = 2000  # characters of a reason in MSA-3 and ERR-8
_ACK_PREFIX = f"A{int(time.time()) % 100_000_000:x}"


def escape(text: str, limit: int = 200) -> str:
    """Text for an HL7 field (standard separators): escaped, printable ASCII, bounded."""
    text = text[:limit]
    text = text.translate(_ESCAPES)
    if not text.isascii() or not text.isprintable():
        text = "".join(c if " " <= c <= "~" else "?" for c in text)
    return text


def _raw_or_escaped(raw: str, header: Header, limit: int = 180) -> str:
    if header.standard_seps and raw.isascii() and raw.isprintable() and len(raw) <= limit:
        return raw
    return escape(raw.replace("\r", " "), limit)


def build_ack(
    code: str,
    header: Header | None = None,
    text: str = "",
    error: Hl7Error | None = None,
    *,
    app: str = "VITALSDASH",
    facility: str = "VITALSDASH",
    now: str | None = None,
) -> str:
    """An ACK (MSH, MSA, and ERR when ``error``) answering ``header``'s message.

    MSA-2 echoes MSH-10; MSA-3 carries ``text`` (or the error's reason); ERR has the
    location (ERR-2), the HL7 table 0357 code (ERR-3), severity E and the reason (ERR-8).
    Segments end in ``\\r``; the result is ASCII.
    """
    h = header or Header()
    ver = h.version if re.fullmatch(r"2\.\d{1,2}(\.\d{1,2})?", h.version) else "2.6"
    pid = h.processing_id if h.processing_id in ("P", "T", "D") else "P"
    msh = "|".join([
        "MSH", "^~\\&", app, facility, _raw_or_escaped(h.sending_app, h),
        _raw_or_escaped(h.sending_facility, h), now or _ts_now(), "", "ACK^R01^ACK",
        f"{_ACK_PREFIX}{next(_ack_ids):x}", pid, ver,
    ])  # fmt: skip
    if error is not None and not text:
        text = error.reason
    # the whole reason (HL7 2.5 caps MSA-3 at 80, later versions do not; a reason cut
    # short tells the device's operator too little)
    out = [msh, f"MSA|{code}|{escape(h.control_id, 199)}|{escape(text, ACK_TEXT_MAX)}"]
    if error is not None:
        loc = ""
        if error.field and "-" in error.field:
            seg, _, num = error.field.partition("-")
            if _SEGMENT_ID.fullmatch(seg) and num.isdigit():
                loc = f"{seg}^{error.seq}^{num}"
        table = _ERR_TEXT.get(error.err_code, "Application internal error")
        out.append(
            f"ERR||{loc}|{error.err_code}^{table}^HL70357|E||||{escape(error.reason, ACK_TEXT_MAX)}"
        )
    return "\r".join(out) + "\r"


_ERR_TEXT = {
    100: "Segment sequence error",
    101: "Required field missing",
    102: "Data type error",
    103: "Table value not found",
    200: "Unsupported message type",
    201: "Unsupported event code",
    202: "Unsupported processing id",
    203: "Unsupported version id",
    204: "Unknown key identifier",
    205: "Duplicate key identifier",
    207: "Application internal error",
}


def read_ack(text: str) -> tuple[str, str, str]:
    """(MSA-1, MSA-2, MSA-3) of an ACK, for tests and tools; raises Hl7Error."""
    segs, seps = split_message(text)
    for seg in segs:
        if seg[0] == "MSA":
            return (seps.comp(_f(seg, 1)), seps.comp(_f(seg, 2)), seps.unescape(_f(seg, 3)))
    raise _malformed("no MSA segment", "MSA")
