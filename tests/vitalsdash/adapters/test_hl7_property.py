"""Property: whatever HL7 a sender writes, the receiver never crashes, the connection stays
usable, every AA'd observation is in the store and nothing is stored on AE or AR.

Messages are built from random and mutated parts (locations in any script, codes, numbers,
units, timestamps near and far, stray delimiters) and sent over ONE MLLP connection to
``Hl7Gateway.for_runtime`` on 127.0.0.1; the store is read after every ACK.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mllp_client import MllpClient

from vitalsdash.adapters.hl7 import Hl7Gateway
from vitalsdash.adapters.hl7._parse import Hl7Error, format_ts, parse_oru
from vitalsdash.clock import ManualClock
from vitalsdash.config import ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
CODES = ["147842^MDC_ECG_HEART_RATE^MDC", "150456^MDC_PULS_OXIM_SAT_O2^MDC",
         "150021^MDC_PRESS_BLD_NONINV_SYS^MDC", "151562^MDC_RESP_RATE^MDC",
         "MDC_PULS_OXIM_PULS_RATE", "0^VENDOR^99PHILIPS", "150344^MDC_TEMP^MDC"]  # fmt: skip
UNITS = ["264864^MDC_DIM_BEAT_PER_MIN^MDC", "262688^MDC_DIM_PERCENT^MDC", "266016^^MDC",
         "MDC_DIM_MMHG", "kPa", "", "furlongs"]  # fmt: skip
LOCATIONS = ["INFUSION^^CHAIR1", "INFUSION^^CHAIR2", "ZÜRICH^^BETT1"]
_ids = itertools.count()
_used: list[str] = []
_answers: dict[str, int] = {}

any_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x0b\x1c"),
                   max_size=12)  # fmt: skip
offsets = st.integers(-60, 60) | st.integers(-3 * 86400, 86400)
times = offsets.map(lambda s: format_ts((NOW + timedelta(seconds=s)).timestamp())) | st.just(
    ""
) | any_text  # fmt: skip
numbers = (st.integers(-10, 400).map(str) | st.floats(-1e6, 1e6, allow_nan=False).map(repr)
           | any_text)  # fmt: skip


@st.composite
def messages(draw: st.DrawFn) -> str:
    """A message whose MSH-10 is ``{CID}`` (the test fills it in, unless mutated away)."""
    cid = "{CID}"
    loc = draw(st.sampled_from(LOCATIONS) | any_text)
    segs = [f"MSH|^~\\&|MON^0012AB34CD56EF78^EUI-64||||{draw(times)}||ORU^R01^ORU_R01|{cid}|P|2.6",
            "PID|||P1^^^T^PI", f"PV1||I|{loc}",
            f"OBR|1|||182777000^monitoring^SNOMED-CT|||{draw(times)}"]  # fmt: skip
    for i in range(draw(st.integers(0, 4))):
        code, unit = draw(st.sampled_from(CODES)), draw(st.sampled_from(UNITS))
        segs.append(f"OBX|{i + 1}|NM|{code}|1.1|{draw(numbers)}|{unit}|||||R|||{draw(times)}")
    text = "\r".join(segs) + "\r"
    for _ in range(draw(st.integers(0, 2))):  # mutations anywhere, delimiters included
        i = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 3))
        text = text[:i] + draw(st.text(st.sampled_from(list("|^~\\&\r\n9.-X é")), max_size=3)
                               | any_text) + text[i + cut :]  # fmt: skip
    return text


class Target:
    def __init__(self, db: Path) -> None:
        self.store = Store(db)
        self.clock = ManualClock(1000.0)
        self.rt = Runtime(ClinicConfig(clinic=ClinicSection()), self.store, Feed(self.store),
                          clock=self.clock, wall=lambda: NOW)  # fmt: skip
        self.rt.start()
        self.gateway = Hl7Gateway.for_runtime(self.rt, port=0).start()
        self.wire = MllpClient(self.gateway.port, timeout=30)

    def send(self, text: str) -> tuple[str, str]:
        code, _, reason = self.wire.send(text)
        return code, reason

    def stored(self) -> set[tuple[float, str, float]]:
        out = set()
        for row in self.store.sessions():
            df = self.store.samples(row["id"])
            t0 = row["started_wall"].timestamp()
            for t, ch, v in zip(df.t_s, df.channel, df.value, strict=True):
                out.add((round(t0 + float(t), 3), ch, round(float(v), 6)))
        return out

    def count(self) -> int:
        return sum(len(self.store.samples(r["id"])) for r in self.store.sessions())


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    t = Target(tmp_path_factory.mktemp("hl7prop") / "prop.sqlite")
    yield t
    t.wire.close()
    t.gateway.stop()
    t.store.close()


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=messages(), resend=st.integers(0, 9))  # fmt: skip
def test_an_ack_is_a_promise_for_any_message(target: Target, text: str, resend: int) -> None:
    if resend == 0 and _used:  # now and then an id already sent (a resend, or a clash)
        cid = _used[len(text) % len(_used)]
    else:
        cid = f"P{next(_ids)}"
        _used.append(cid)
    text = text.replace("{CID}", cid)
    before = target.count()
    code, reason = target.send(text)
    assert code in ("AA", "AE", "AR")
    _answers[code] = _answers.get(code, 0) + 1
    try:
        readings = parse_oru(text).readings
    except Hl7Error:
        readings = None
    if code == "AA":
        assert readings is not None, reason
        if reason.startswith("duplicate"):  # a resent id: stored before, not again
            assert target.count() == before
        else:
            assert target.count() == before + len(readings)
            stored = target.stored()
            for r in readings:
                assert (round(r.t_s, 3), r.channel, round(r.value, 6)) in stored, (r, reason)
    else:
        assert target.count() == before, reason
    assert target.gateway.listener.running


def test_the_connection_still_serves_after_the_property_run(target: Target) -> None:
    assert _answers.get("AA", 0) >= 10  # the run did store things, not only refuse them
    target.clock.advance(61)  # past the new-chair rate of the run
    text = (
        "MSH|^~\\&|MON^0012AB34CD56EF78^EUI-64||||||ORU^R01|AFTER-PROP|P|2.6\r"
        "PV1||I|INFUSION^^CHAIR9\r"
        f"OBX|1|NM|147842^MDC_ECG_HEART_RATE^MDC||70||||||R|||{format_ts(NOW.timestamp())}\r"
    )
    assert target.send(text)[0] == "AA"
