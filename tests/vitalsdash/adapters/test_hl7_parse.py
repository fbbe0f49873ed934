"""PCD-01 ORU^R01 parsing: every message shape of devices.md, the errors, and the ACKs."""

from __future__ import annotations

from datetime import UTC, datetime

import hl7
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vitalsdash.adapters.hl7 import Hl7Error, build_ack, parse_oru, parse_ts, read_ack
from vitalsdash.adapters.hl7._parse import KPA_TO_MMHG, peek_header, split_message

pytestmark = pytest.mark.unit

# The example of devices.md, verbatim.
DOC = "\r".join([
    "MSH|^~\\&|MONITOR^0012AB34CD56EF78^EUI-64||||20261121101500+0000||ORU^R01^ORU_R01|MSG00042|P|2.6|||NE|AL||||IHE PCD ORU-R01 2006^HL7^2.16.840.1.113883.9.n.m^HL7",  # noqa: E501
    "PID|||BED03^^^TRAINING^PI||Patient^Simulated",
    "PV1||I|INFUSION^^CHAIR3",
    "OBR|1|||182777000^monitoring of patient^SNOMED-CT|||20261121101500+0000",
    "OBX|1|NM|147842^MDC_ECG_HEART_RATE^MDC|1.1.1.147842|78|264864^MDC_DIM_BEAT_PER_MIN^MDC|||||R|||20261121101500+0000",
    "OBX|2|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|1.2.1.150456|97|262688^MDC_DIM_PERCENT^MDC|||||R|||20261121101500+0000",
    "OBX|3|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC|1.3.1.150021|131|266016^MDC_DIM_MMHG^MDC|||||R|||20261121101430+0000",
]) + "\r"  # fmt: skip

T0 = datetime(2026, 11, 21, 10, 15, tzinfo=UTC).timestamp()
MSH = ("MSH|^~\\&|MONITOR^0012AB34CD56EF78^EUI-64||||{ts}||{type}|{cid}|P|2.6|||NE|AL||||"
       "IHE PCD ORU-R01 2006^HL7^1.3.6.1.4.1.19376.1.6.1.1.1^ISO")  # fmt: skip
HEAD = ["PID|||BED03^^^TRAINING^PI||Patient^Simulated", "PV1||I|INFUSION^^CHAIR3",
        "OBR|1|||182777000^monitoring of patient^SNOMED-CT|||20261121101500+0000"]  # fmt: skip


def msg(*obx: str, head: list[str] | None = None, ts: str = "20261121101500+0000",
        mtype: str = "ORU^R01^ORU_R01", cid: str = "C1", end: str = "\r") -> str:  # fmt: skip
    segs = [MSH.format(ts=ts, type=mtype, cid=cid), *(HEAD if head is None else head), *obx]
    return end.join(segs) + end


def obx(code: str, value: str, unit: str = "", *, sid: str = "1", vt: str = "NM",
        sub: str = "", status: str = "R", ts: str = "") -> str:  # fmt: skip
    return f"OBX|{sid}|{vt}|{code}|{sub}|{value}|{unit}|||||{status}|||{ts}"


HR = "147842^MDC_ECG_HEART_RATE^MDC"
SPO2 = "150456^MDC_PULS_OXIM_SAT_O2^MDC"
SYS, DIA, MAP = (f"15002{k}^MDC_PRESS_BLD_NONINV_{n}^MDC" for k, n in
                 ((1, "SYS"), (2, "DIA"), (3, "MEAN")))  # fmt: skip
RR = "151562^MDC_RESP_RATE^MDC"
MMHG, KPA = "266016^MDC_DIM_MMHG^MDC", "265987^MDC_DIM_KILO_PASCAL^MDC"


def values(text: str, **kw) -> list[tuple[float, str, float]]:
    b = parse_oru(text, **kw)
    return [(r.t_s - T0, r.channel, r.value) for r in b.readings]


def error(text: str, **kw) -> Hl7Error:
    with pytest.raises(Hl7Error) as info:
        parse_oru(text, **kw)
    return info.value


# --- the shapes devices.md lists ---------------------------------------------------------------


@pytest.mark.parametrize("engine", ["fast", "hl7"])
def test_the_contract_example(engine: str) -> None:
    b = parse_oru(DOC, engine=engine)
    assert b.control_id == "MSG00042"
    assert (b.source_kind, b.source_key) == ("location", "INFUSION/CHAIR3")
    assert b.keys == {"location": "INFUSION/CHAIR3", "device": "0012AB34CD56EF78",
                      "patient": "BED03"}  # fmt: skip
    assert [(r.channel, r.value, r.quality, r.true_value) for r in b.readings] == [
        ("HR", 78.0, "ok", None),
        ("SPO2", 97.0, "ok", None),
        ("NIBP_SYS", 131.0, "ok", None),
    ]
    assert [r.t_s - T0 for r in b.readings] == [0.0, 0.0, -30.0]
    assert b.walls()[2] == datetime(2026, 11, 21, 10, 14, 30, tzinfo=UTC)
    assert all(isinstance(r.value, float) for r in b.readings)


@pytest.mark.parametrize("end", ["\r\n", "\n", "\r\r"])
def test_crlf_lf_and_blank_lines(end: str) -> None:
    assert parse_oru(DOC.replace("\r", end)) == parse_oru(DOC)


def test_missing_set_ids_value_types_and_sub_ids() -> None:
    text = msg(obx(HR, "78", sid="", sub=""), obx(SPO2, "97", sid="", vt="", sub=""))
    assert values(text) == [(0, "HR", 78), (0, "SPO2", 97)]


def test_hierarchy_rows_without_values_are_ignored() -> None:
    text = msg(
        "OBX|1||69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS^MDC|1|||||||X",
        "OBX|2||69798^MDC_DEV_SYS_PT_OBSERVATION_VMD^MDC|1.3|||||||X",
        "OBX|3||150020^MDC_PRESS_BLD_NONINV^MDC|1.3.1|||||||R",
        obx(SYS, "120", MMHG, sid="4", sub="1.3.1.150021"),
        obx(DIA, "80", MMHG, sid="5", sub="1.3.1.150022"),
        obx(MAP, "93", MMHG, sid="6", sub="1.3.1.150023"),
    )
    b = parse_oru(text)
    assert [(r.channel, r.value) for r in b.readings] == [
        ("NIBP_SYS", 120),
        ("NIBP_DIA", 80),
        ("NIBP_MAP", 93),
    ]
    assert b.ignored_rows == 3


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("140.5", 140.5), ("+78", 78.0), ("78.", 78.0), (".5", 0.5), (" 97 ", 97.0), ("097", 97.0)],
)
def test_decimal_values(raw: str, expected: float) -> None:
    assert values(msg(obx(SYS, raw, MMHG)))[0][2] == expected


@pytest.mark.parametrize("unit", [
    "266016^MDC_DIM_MMHG^MDC", "MDC_DIM_MMHG", "^MDC_DIM_MMHG^MDC", "266016", "mm[Hg]^mm[Hg]^UCUM",
    "mmHg", "", "3872^MDC_DIM_MMHG^MDC"])  # fmt: skip
def test_units_as_triplets_bare_mnemonics_codes_and_ucum(unit: str) -> None:
    assert values(msg(obx(SYS, "131", unit))) == [(0, "NIBP_SYS", 131.0)]


@pytest.mark.parametrize("unit", [KPA, "MDC_DIM_KILO_PASCAL", "kPa", "3843^MDC_DIM_KILO_PASCAL^MDC",
                                  "3872^MDC_DIM_KILO_PASCAL^MDC"])  # fmt: skip
def test_kpa_is_converted_to_mmhg(unit: str) -> None:
    (_, ch, v), = values(msg(obx(SYS, "17.5", unit)))  # fmt: skip
    assert ch == "NIBP_SYS"
    assert v == pytest.approx(17.5 * 7.50062, rel=1e-5)
    assert pytest.approx(7.500617, rel=1e-6) == KPA_TO_MMHG


def test_other_units_of_the_table() -> None:
    text = msg(obx(HR, "61", "MDC_DIM_BEAT_PER_MIN"), obx(SPO2, "98", "%"),
               obx(RR, "14", "264928^MDC_DIM_RESP_PER_MIN^MDC"),
               obx("149530^MDC_PULS_OXIM_PULS_RATE^MDC", "62", "/min"),
               obx("150344^MDC_TEMP^MDC", "36.6", "268192^MDC_DIM_DEGC^MDC"))  # fmt: skip
    assert values(text) == [(0, "HR", 61), (0, "SPO2", 98), (0, "RR", 14)]


def test_vendor_codes_are_ignored_not_rejected() -> None:
    text = msg(
        obx("0002-4182^HR^99PHILIPS", "not a number", "bpm"),
        obx("12345^COMEN_SOMETHING^99COMEN", "1e99", "xyz"),
        obx("196670^MDC_VENDOR_THING^MDC", "abc", "262688^MDC_DIM_PERCENT^MDC"),
        obx(HR, "72", "264864^MDC_DIM_BEAT_PER_MIN^MDC"),
        obx("0002-4bb8^SpO2^99PHILIPS^150456^MDC_PULS_OXIM_SAT_O2^MDC", "96", "%"),
    )
    b = parse_oru(text)
    assert [(r.channel, r.value) for r in b.readings] == [("HR", 72), ("SPO2", 96)]
    assert b.ignored_rows == 3


def test_result_status_r_f_kept_x_d_w_skipped() -> None:
    text = msg(obx(HR, "70", status="F"), obx(SPO2, "97", status="R"),
               obx(RR, "12", status="X"), obx(SYS, "999", MMHG, status="W"))  # fmt: skip
    assert values(text) == [(0, "HR", 70), (0, "SPO2", 97)]


@pytest.mark.parametrize(("ts", "offset_s"), [
    ("20261121101500+0000", 0), ("20261121111500+0100", 0), ("20261121051500-0500", 0),
    ("20261121101500", 0), ("20261121101500.25+0000", 0.25), ("20261121101500.1234", 0.1234),
    ("202611211015+0000", 0), ("20261121101500^S", 0), ("20261121104500+0030", 0),
    ("20261121101501.5-0000", 1.5)])  # fmt: skip
def test_timestamps_with_offsets_fractions_and_precision(ts: str, offset_s: float) -> None:
    (t, _, _), = values(msg(obx(HR, "70", ts=ts)))  # fmt: skip
    assert t == pytest.approx(offset_s, abs=1e-6)


def test_time_falls_back_to_obr7_then_msh7() -> None:
    head = ["PV1||I|X", "OBR|1|||182777000^monitoring^SNOMED-CT|||20261121101510+0000"]
    assert values(msg(obx(HR, "70"), head=head))[0][0] == 10.0
    head = ["PV1||I|X", "OBR|1|||182777000^monitoring^SNOMED-CT"]
    assert values(msg(obx(HR, "70"), head=head, ts="20261121101520+0000"))[0][0] == 20.0
    assert values(msg(obx(HR, "70"), head=["PV1||I|X"], ts="20261121101530"))[0][0] == 30.0


def test_each_obr_group_has_its_own_time() -> None:
    head = ["PV1||I|X", "OBR|1|||a^b^SNOMED-CT|||20261121101500+0000"]
    text = msg(obx(HR, "70"), "OBR|2|||a^b^SNOMED-CT|||20261121101400+0000",
               obx(SYS, "120", MMHG), head=head)  # fmt: skip
    assert values(text) == [(0, "HR", 70), (-60, "NIBP_SYS", 120)]


def test_ecg_heart_rate_wins_over_pulse_rates() -> None:
    pr_ox, pr_nibp = "149530^MDC_PULS_OXIM_PULS_RATE^MDC", "149546^MDC_PULS_RATE_NON_INV^MDC"
    assert values(msg(obx(pr_ox, "71"), obx(HR, "70"), obx(pr_nibp, "69"))) == [(0, "HR", 70)]
    assert values(msg(obx(pr_nibp, "69"), obx(pr_ox, "71"))) == [(0, "HR", 71)]
    assert values(msg(obx(pr_nibp, "69"))) == [(0, "HR", 69)]


def test_source_key_order_and_fallbacks() -> None:
    assert parse_oru(DOC).source_key == "INFUSION/CHAIR3"
    b = parse_oru(DOC, key_order=("device", "location"))
    assert (b.source_kind, b.source_key) == ("device", "0012AB34CD56EF78")
    b = parse_oru(DOC, key_order=("patient",))
    assert (b.source_kind, b.source_key) == ("patient", "BED03")
    no_pv1 = msg(obx(HR, "70"), head=["PID|||BED03^^^TRAINING^PI"])
    assert parse_oru(no_pv1).source_key == "0012AB34CD56EF78"
    only_pid = no_pv1.replace("MONITOR^0012AB34CD56EF78^EUI-64", "")
    assert parse_oru(only_pid).source_key == "BED03"
    app_only = no_pv1.replace("MONITOR^0012AB34CD56EF78^EUI-64", "MONITOR7")
    assert parse_oru(app_only, key_order=("device",)).source_key == "MONITOR7"
    err = error(only_pid.replace("PID|||BED03^^^TRAINING^PI", "PID|||"))
    assert (err.code, err.kind) == ("AR", "no_source")


def test_escapes_and_other_separators() -> None:
    text = msg(obx(HR, "70"), head=["PV1||I|ROOM\\T\\1^^CHAIR\\F\\3"])
    assert parse_oru(text).source_key == "ROOM&1/CHAIR|3"
    other = (
        "MSH#!*$@#DEV!0012AB34CD56EF78!EUI-64####20261121101500+0000##ORU!R01#X9#P#2.6\r"
        "PV1##I#INFUSION!!CHAIR$S$3\r"
        "OBX#1#NM#147842!MDC_ECG_HEART_RATE!MDC##66#MDC_DIM_BEAT_PER_MIN#####R\r"
    )
    b = parse_oru(other)
    assert (b.source_key, b.control_id, b.readings[0].value) == ("INFUSION/CHAIR!3", "X9", 66)
    assert b.keys["device"] == "0012AB34CD56EF78"


# --- what is refused --------------------------------------------------------------------------


@pytest.mark.parametrize("mtype", ["ADT^A01^ADT_A01", "ACK^R01", "ORU^R30", "QRY^A19", "", "ORU"])
def test_other_message_types_are_rejected(mtype: str) -> None:
    err = error(msg(obx(HR, "70"), mtype=mtype))
    assert (err.code, err.field, err.kind) == ("AR", "MSH-9", "message_type")
    assert err.header is not None
    assert err.header.control_id == "C1"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        "PID|||x\r",
        "MSH",
        "MSH|",
        "MSH|^~\\&",
        "MSH||||||",
        "MSHab",
        "\x00\x01MSH|^~\\&|",
        "MSH|^^\\&|a|b",
    ],
)
def test_not_a_message_is_rejected(text: str) -> None:
    err = error(text)
    assert err.code == "AR"


def test_missing_control_id_and_foreign_versions_are_rejected() -> None:
    assert error(msg(obx(HR, "70"), cid="")).field == "MSH-10"
    assert error(msg(obx(HR, "70")).replace("|P|2.6|", "|P|3.0|")).field == "MSH-12"


@pytest.mark.parametrize("raw", ["7x8", "NaN", "inf", "1e3", "0x1F", "--5", "7 8", "1,5", "++1"])
def test_unparseable_numbers_are_ae(raw: str) -> None:
    err = error(msg(obx(SPO2, "97"), obx(HR, raw)))
    assert (err.code, err.field, err.kind, err.seq) == ("AE", "OBX-5", "bad_number", 2)


@pytest.mark.parametrize(("code", "value", "unit"), [
    (HR, "351", ""), (HR, "-1", ""), (SPO2, "100.5", "%"), (RR, "151", ""),
    (SYS, "351", MMHG), (DIA, "47", KPA), (MAP, "-0.1", MMHG)])  # fmt: skip
def test_implausible_values_are_ae(code: str, value: str, unit: str) -> None:
    err = error(msg(obx(code, value, unit)))
    assert (err.code, err.kind) == ("AE", "out_of_range")


def test_plausible_limits_are_inclusive() -> None:
    assert values(msg(obx(HR, "350"), obx(SPO2, "100"), obx(RR, "0"), obx(SYS, "0", MMHG)))


@pytest.mark.parametrize("unit", ["262688^MDC_DIM_PERCENT^MDC", "furlongs", "999^X^MDC", "kg"])
def test_wrong_or_unknown_units_are_ae(unit: str) -> None:
    err = error(msg(obx(SYS, "120", unit)))
    assert (err.code, err.field, err.kind) == ("AE", "OBX-6", "bad_unit")


def test_bad_or_missing_times_are_ae() -> None:
    assert error(msg(obx(HR, "70", ts="2026-11-21T10:15"))).kind == "bad_time"
    assert error(msg(obx(HR, "70", ts="20261321101500"))).kind == "bad_time"
    assert error(msg(obx(HR, "70", ts="20261121101500+2500"))).kind == "bad_time"
    err = error(msg(obx(HR, "70"), head=["PV1||I|X"], ts=""))
    assert (err.code, err.kind) == ("AE", "no_time")


def test_a_bad_row_rejects_the_whole_message() -> None:
    err = error(msg(obx(HR, "70"), obx(SPO2, "97"), obx(SYS, "abc", MMHG)))
    assert err.code == "AE"  # nothing is returned: no partial batches exist


def test_parse_ts() -> None:
    assert parse_ts("19700101000000") == 0.0
    assert parse_ts("19700101010000+0100") == 0.0
    assert parse_ts("1970") == 0.0
    with pytest.raises(ValueError, match="timestamp"):
        parse_ts("yesterday")


# --- ACKs -------------------------------------------------------------------------------------


def test_ack_aa_echoes_the_control_id() -> None:
    b = parse_oru(DOC)
    ack = build_ack("AA", b.header)
    assert ack.endswith("\r")
    assert ack.count("\r") == 2
    m = hl7.parse(ack)
    assert str(m.segment("MSA")[1]) == "AA"
    assert str(m.segment("MSA")[2]) == "MSG00042"
    assert str(m.segment("MSH")[9]) == "ACK^R01^ACK"
    assert str(m.segment("MSH")[5]) == "MONITOR^0012AB34CD56EF78^EUI-64"  # back to the sender
    assert read_ack(ack) == ("AA", "MSG00042", "")


def test_ack_ae_carries_reason_and_err_segment() -> None:
    err = error(msg(obx(SPO2, "97"), obx(HR, "7\\F\\x\\S\\8"), cid="ID\\S\\7"))
    ack = build_ack(err.code, err.header, error=err)
    m = hl7.parse(ack)
    assert str(m.segment("MSA")[1]) == "AE"
    assert str(m.segment("MSA")[2]) == "ID\\S\\7"  # escaped again on the way back
    code, cid, text = read_ack(ack)
    assert (code, cid) == ("AE", "ID^7")
    assert text == "HR value '7|x^8' is not a number"
    e = m.segment("ERR")
    assert str(e[2]) == "OBX^2^5"
    assert str(e[3]).startswith("102^")
    assert str(e[4]) == "E"


def test_ack_text_is_escaped_and_ascii() -> None:
    e = Hl7Error("AR", "bad | thing ^ with ~ & \\ and \r é", "MSH-9", kind="x", err_code=200)
    ack = build_ack("AR", None, error=e)
    assert ack.isascii()
    assert read_ack(ack)[2] == "bad | thing ^ with ~ & \\ and ? ?"
    assert len(hl7.parse(ack).segment("MSA")) == 4


def test_peek_header_reads_a_cut_message() -> None:
    h = peek_header(DOC[:200])
    assert h is not None
    assert h.control_id == "MSG00042"
    assert peek_header("garbage") is None


# --- the two engines and robustness -----------------------------------------------------------

SHAPES = [
    DOC,
    DOC.replace("\r", "\r\n"),
    msg(obx(SYS, "17.5", KPA), obx(DIA, "11.2", "MDC_DIM_KILO_PASCAL")),
    msg("OBX|1||150020^MDC_PRESS_BLD_NONINV^MDC|1.3.1|||||||R", obx(SYS, "140.5", "MDC_DIM_MMHG")),
    msg(obx("0002-4182^HR^99PHILIPS", "x"), obx(HR, "70", sid="", sub="")),
    msg(obx(HR, "70", ts="20261121111500.5+0100"), obx(RR, "12", ts="20261121101500")),
]


@pytest.mark.parametrize("text", SHAPES)
def test_fast_splitter_agrees_with_hl7_parse(text: str) -> None:
    assert split_message(text)[0] == split_message(text, "hl7")[0]
    assert parse_oru(text) == parse_oru(text, engine="hl7")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_random_text_only_ever_raises_hl7error(text: str) -> None:
    assert _outcome(text) in ("ok", "AE", "AR")


def _outcome(text: str) -> str:
    try:
        parse_oru(text)
    except Hl7Error as err:
        return err.code
    return "ok"


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_messages_parse_or_raise_hl7error(data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(SHAPES))
    chars = st.sampled_from(list("|^~\\&\r\n0123456789.+-ABCX ")) | st.characters()
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 3))
        text = text[:i] + data.draw(st.text(chars, max_size=3)) + text[i + cut :]
    outcome = _outcome(text)
    assert outcome in ("ok", "AE", "AR")
    if outcome != "ok":
        return
    for r in parse_oru(text).readings:  # what is accepted is always plausible
        lo, hi = {"HR": (0, 350), "SPO2": (0, 100), "RR": (0, 150)}.get(r.channel, (0, 350))
        assert lo <= r.value <= hi
