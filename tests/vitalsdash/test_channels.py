"""The channel registry: the built-in records, and what registering a channel changes."""

from __future__ import annotations

import pytest

from vitalsdash import channels
from vitalsdash.adapters.hl7._parse import CHANNEL_OF_CODE, RANGES
from vitalsdash.alarms import AlarmProfile, limit_condition_names
from vitalsdash.channels import Channel, ChannelInfo, Condition, Kind, channel_of


def test_every_built_in_id_has_one_record() -> None:
    assert [c.id for c in channels.all_channels()] == [c.value for c in Channel]
    assert channel_of("SPO2") is Channel.SPO2
    assert channel_of("ETCO2") is Channel.ETCO2
    assert channel_of("TEMP") is None


def test_panels_group_the_cuff_and_follow_rank() -> None:
    panels = channels.panels()
    assert list(panels) == ["HR", "SPO2", "NIBP", "RR", "ETCO2"]
    assert [c.id for c in panels["NIBP"]] == ["NIBP_SYS", "NIBP_DIA", "NIBP_MAP"]
    assert [c.id for c in channels.alarmed()] == [
        "HR", "SPO2", "RR", "ETCO2", "NIBP_SYS", "NIBP_DIA", "NIBP_MAP",
    ]  # fmt: skip


def test_capnography_is_a_breath_by_breath_channel() -> None:
    """EtCO2 comes once per breath: a silence is APNEA, never NO_DATA; its baseline is
    measured before the infusion; HL7 sends it as 151708 in mmHg or kPa, and the
    capnograph's respiration rate (CO2 or airway) is RR."""
    etco2 = channels.get("ETCO2")
    assert (etco2.label, etco2.alarm_label, etco2.unit, etco2.precision) == (
        "EtCO₂", "EtCO2", "mmHg", 0,
    )  # fmt: skip
    assert etco2.supports(Condition.LIMITS)
    assert etco2.supports(Condition.APNEA)
    assert not etco2.supports(Condition.NO_DATA)
    assert etco2.baseline
    assert not etco2.tile
    assert channels.by_hl7_code()[151708] == "ETCO2"
    assert set(etco2.hl7_units) == {"mmHg", "kPa"}
    assert {151562, 151594, 151570} <= set(channels.get("RR").hl7_codes)
    assert [c.id for c in channels.alarmed() if c.supports(Condition.APNEA)] == ["ETCO2"]


def test_an_id_or_hl7_code_is_registered_once() -> None:
    with pytest.raises(ValueError, match="already registered"):
        channels.register(ChannelInfo("HR", "HR", "bpm", Kind.CONTINUOUS))
    with pytest.raises(ValueError, match="taken"):
        channels.register(ChannelInfo("X", "X", "", Kind.CONTINUOUS, hl7_codes=(150456,)))
    assert not channels.is_known("X")


def test_registering_reaches_the_tables_built_from_it_and_unregistering_undoes_it() -> None:
    temp = ChannelInfo(
        "TEMP", "Temp", "°C", Kind.CONTINUOUS, limit_range=(30.0, 43.0),
        conditions=frozenset({Condition.LIMITS, Condition.NO_DATA}), hl7_codes=(150344,),
        hl7_units={"degC": 1.0}, valid_range=(25.0, 45.0),
    )  # fmt: skip
    channels.register(temp)
    try:
        assert CHANNEL_OF_CODE[150344] == "TEMP"
        assert RANGES["TEMP"] == (25.0, 45.0)
        assert {"TEMP_HI", "TEMP_LO"} <= set(limit_condition_names())
        profile = AlarmProfile.model_validate({"channels": {"TEMP": {"high": 38}}})
        assert profile.channel("TEMP")["high"] == 38
    finally:
        channels.unregister("TEMP")
    assert CHANNEL_OF_CODE[150344] is None  # a known code without a channel again
    assert "TEMP_HI" not in limit_condition_names()
    with pytest.raises(ValueError, match="Extra inputs"):
        AlarmProfile.model_validate({"channels": {"TEMP": {"high": 38}}})
