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
    assert channel_of("ETCO2") is None


def test_panels_group_the_cuff_and_follow_rank() -> None:
    panels = channels.panels()
    assert list(panels) == ["HR", "SPO2", "NIBP", "RR"]
    assert [c.id for c in panels["NIBP"]] == ["NIBP_SYS", "NIBP_DIA", "NIBP_MAP"]
    assert [c.id for c in channels.alarmed()] == [
        "HR", "SPO2", "RR", "NIBP_SYS", "NIBP_DIA", "NIBP_MAP",
    ]  # fmt: skip


def test_an_id_or_hl7_code_is_registered_once() -> None:
    with pytest.raises(ValueError, match="already registered"):
        channels.register(ChannelInfo("HR", "HR", "bpm", Kind.CONTINUOUS))
    with pytest.raises(ValueError, match="taken"):
        channels.register(ChannelInfo("X", "X", "", Kind.CONTINUOUS, hl7_codes=(150456,)))
    assert not channels.is_known("X")


def test_registering_reaches_the_tables_built_from_it_and_unregistering_undoes_it() -> None:
    etco2 = ChannelInfo(
        "ETCO2", "EtCO₂", "mmHg", Kind.CONTINUOUS, limit_range=(0.0, 100.0),
        conditions=frozenset({Condition.LIMITS, Condition.NO_DATA}), hl7_codes=(151708,),
        hl7_units={"mmHg": 1.0}, valid_range=(0.0, 150.0),
    )  # fmt: skip
    channels.register(etco2)
    try:
        assert CHANNEL_OF_CODE[151708] == "ETCO2"
        assert RANGES["ETCO2"] == (0.0, 150.0)
        assert {"ETCO2_HI", "ETCO2_LO"} <= set(limit_condition_names())
        profile = AlarmProfile.model_validate({"channels": {"ETCO2": {"high": 50}}})
        assert profile.channel("ETCO2")["high"] == 50
    finally:
        channels.unregister("ETCO2")
    assert 151708 not in CHANNEL_OF_CODE
    assert "ETCO2_HI" not in limit_condition_names()
    with pytest.raises(ValueError, match="Extra inputs"):
        AlarmProfile.model_validate({"channels": {"ETCO2": {"high": 50}}})
