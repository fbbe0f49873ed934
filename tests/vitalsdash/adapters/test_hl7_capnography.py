"""Capnography over PCD-01: end-tidal CO2 (mmHg or kPa) and the capnograph's respiration
rate (awRR) become ETCO2 and RR readings; a % or an implausible value is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vitalsdash.adapters.hl7 import Hl7Error, parse_oru
from vitalsdash.adapters.hl7._parse import KPA_TO_MMHG

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 21, 10, 15, tzinfo=UTC).timestamp()
MSH = (
    "MSH|^~\\&|MONITOR^0012AB34CD56EF78^EUI-64||||20261121101500+0000||ORU^R01^ORU_R01|"
    "{cid}|P|2.6|||NE|AL||||IHE PCD ORU-R01 2006^HL7^1.3.6.1.4.1.19376.1.6.1.1.1^ISO"
)
HEAD = ["PID|||BED03^^^TRAINING^PI||Patient^Simulated", "PV1||I|INFUSION^^CHAIR3",
        "OBR|1|||182777000^monitoring of patient^SNOMED-CT|||20261121101500+0000"]  # fmt: skip

ETCO2 = "151708^MDC_CONC_AWAY_CO2_ET^MDC"
ETCO2_OTHER_NAME = "151708^MDC_AWAY_CO2_ET^MDC"
AWRR = "151570^MDC_AWAY_RESP_RATE^MDC"
CO2RR = "151594^MDC_CO2_RESP_RATE^MDC"
RR = "151562^MDC_RESP_RATE^MDC"
MMHG, KPA = "266016^MDC_DIM_MMHG^MDC", "265987^MDC_DIM_KILO_PASCAL^MDC"
PER_MIN = "264928^MDC_DIM_RESP_PER_MIN^MDC"


def msg(*rows: tuple[str, str, str, str]) -> str:
    """One message; each row is (code, value, unit, OBX-14 time)."""
    obx = [f"OBX|{i}|NM|{code}||{v}|{unit}|||||R|||{ts}"
           for i, (code, v, unit, ts) in enumerate(rows, start=1)]  # fmt: skip
    return "\r".join([MSH.format(cid="CAP1"), *HEAD, *obx]) + "\r"


def readings(text: str) -> list[tuple[float, str, float]]:
    return [(r.t_s - T0, r.channel, r.value) for r in parse_oru(text).readings]


def test_etco2_in_mmhg_and_kpa_and_the_airway_rate_are_etco2_and_rr() -> None:
    """A capnograph's breaths: EtCO2 in mmHg, then in kPa (converted, whole-breath time
    kept), and its airway respiration rate as RR."""
    got = readings(msg(
        (ETCO2, "38", MMHG, "20261121101502.4+0000"),
        (ETCO2_OTHER_NAME, "5.6", KPA, "20261121101506.7+0000"),
        (AWRR, "14", PER_MIN, "20261121101507+0000"),
    ))  # fmt: skip
    assert [(t, ch) for t, ch, _ in got] == [
        (pytest.approx(2.4), "ETCO2"), (pytest.approx(6.7), "ETCO2"), (7.0, "RR"),
    ]  # fmt: skip
    assert got[0][2] == 38.0
    assert got[1][2] == pytest.approx(5.6 * KPA_TO_MMHG)  # 42.0 mmHg
    assert got[1][2] == pytest.approx(42.0, abs=0.05)
    assert got[2][2] == 14.0


@pytest.mark.parametrize("code", [ETCO2, ETCO2_OTHER_NAME, "151708", "MDC_AWAY_CO2_ET"])
def test_every_way_of_writing_the_etco2_code_is_understood(code: str) -> None:
    assert readings(msg((code, "41", "mm[Hg]", ""))) == [(0.0, "ETCO2", 41.0)]


def test_the_capnographs_rate_wins_over_an_unspecified_one() -> None:
    """A monitor may send its impedance (generic) rate beside the capnograph's: one RR per
    message, the capnograph's (CO2, then airway), as heart rate prefers the ECG."""
    both = msg((RR, "18", PER_MIN, ""), (AWRR, "15", PER_MIN, ""), (CO2RR, "14", PER_MIN, ""))
    assert readings(both) == [(0.0, "RR", 14.0)]
    assert readings(msg((RR, "18", PER_MIN, ""), (AWRR, "15", PER_MIN, ""))) == [(0.0, "RR", 15.0)]
    assert readings(msg((RR, "18", PER_MIN, ""))) == [(0.0, "RR", 18.0)]


@pytest.mark.parametrize(
    ("row", "words"),
    [
        ((ETCO2, "5.2", "262688^MDC_DIM_PERCENT^MDC", ""), "unit % does not fit ETCO2"),
        ((ETCO2, "151", MMHG, ""), "ETCO2 151 outside the plausible 0-150"),
        ((ETCO2, "-1", MMHG, ""), "outside the plausible"),
        ((ETCO2, "about 40", MMHG, ""), "not a number"),
    ],
)
def test_a_bad_etco2_is_refused_with_its_reason(row: tuple[str, ...], words: str) -> None:
    with pytest.raises(Hl7Error) as err:
        parse_oru(msg(row))  # type: ignore[arg-type]
    assert err.value.code == "AE"
    assert words in err.value.reason
