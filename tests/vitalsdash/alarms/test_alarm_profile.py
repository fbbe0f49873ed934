"""Alarm profiles: the shipped ones, and clear errors (file, key, reason) for bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from alarm_helpers import REPO

from vitalsdash.alarms import Priority, load_profile, profile_path
from vitalsdash.errors import ConfigError
from vitalsdash.model import Channel, Phase

pytestmark = pytest.mark.unit

ADULT_TABLE = {
    # channel: (low, high, critical low, critical high, delay, hysteresis)
    Channel.HR: (50, 120, 40, 150, 10, 2),
    Channel.SPO2: (90, None, 85, None, 15, 1),
    Channel.RR: (8, 30, 5, 40, 15, 2),
    Channel.NIBP_SYS: (90, 160, 70, 200, 0, 0),
    Channel.NIBP_DIA: (50, 100, 40, 120, 0, 0),
    Channel.NIBP_MAP: (60, 120, 50, 140, 0, 0),
}


@pytest.mark.parametrize("channel", list(ADULT_TABLE))
def test_adult_default_is_exactly_the_table(channel):
    p = load_profile("adult-default")
    s = p.channel(channel)
    got = (
        s["low"],
        s["high"],
        s["critical_low"],
        s["critical_high"],
        s["delay_s"],
        s["hysteresis"],
    )
    assert got == ADULT_TABLE[channel]


def test_adult_default_globals():
    p = load_profile("adult-default")
    assert p.name == "adult-default"
    assert (p.limit_priority, p.critical_priority, p.technical_priority) == (
        Priority.MEDIUM,
        Priority.HIGH,
        Priority.LOW,
    )
    assert p.clear_delay_s == 5
    assert p.stale_timeout_s == 10
    assert p.channel(Channel.SPO2)["sat_seconds"] == 0
    assert (p.audio_pause_s, p.ack_reminder_s, p.escalation_s) == (120, 120, 60)


def test_ketamine_infusion_phases_and_rules():
    p = load_profile("ketamine-infusion")
    assert p.channel(Channel.NIBP_SYS, Phase.BASELINE)["high"] == 160
    assert p.channel(Channel.NIBP_DIA, Phase.BASELINE)["high"] == 100
    assert p.channel(Channel.NIBP_SYS, Phase.INFUSION)["high"] == 179  # alert at >= 180
    assert p.channel(Channel.NIBP_DIA, Phase.INFUSION)["high"] == 109
    assert p.channel(Channel.HR, Phase.INFUSION)["high"] == 109
    spo2 = p.channel(Channel.SPO2, Phase.INFUSION)
    assert (spo2["low"], spo2["delay_s"]) == (92, 30)  # SpO2 < 92 % for >= 30 s
    rules = {r.name: r for r in p.rules}
    assert (rules["SYS_RISE"].baseline_delta, rules["DIA_RISE"].baseline_delta) == (39, 24)
    assert rules["SYS_SUST"].duration_s == 300
    assert p.nibp_interval(Phase.OBSERVATION) == 900


def test_every_shipped_profile_loads():
    paths = sorted((REPO / "config" / "alarms").glob("*.toml"))
    assert {p.stem for p in paths} >= {"adult-default", "ketamine-infusion"}
    for path in paths:
        assert load_profile(path).name == path.stem


ADULT_TEXT = (REPO / "config" / "alarms" / "adult-default.toml").read_text()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    return path


def _edit(old: str, new: str) -> str:
    assert old in ADULT_TEXT
    return ADULT_TEXT.replace(old, new, 1)


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        (_edit("low = 50\nhigh = 120", "low = 130\nhigh = 120"), "channels.HR.high", "above low"),
        (_edit("low = 50\nhigh = 120", "low = 120\nhigh = 120"), "channels.HR.high", "above low"),
        (_edit("critical_high = 150", "critical_high = 110"), "channels.HR.critical_high", "high"),
        (_edit("[channels.HR]", "[channels.HX]"), "channels.HX", "unknown key"),
        (_edit("[channels.HR]", "[channels.PUMP_RATE]"), "channels.PUMP_RATE", "unknown key"),
        (_edit("delay_s = 10", "delay_s = -1"), "channels.HR.delay_s", "at least 0 (got -1)"),
        (_edit("audio_pause_s = 120", "audio_pause_s = 400"), "audio_pause_s", "clinic maximum"),
        (_edit("sat_seconds = 0", "sat_seconds = 30"), "channels.SPO2.sat_seconds", "10, 25"),
        (_edit("hysteresis = 2", "hysteresis = -2"), "channels.HR.hysteresis", "at least"),
        (_edit("low = 90\n", "low = 190\n"), "channels.SPO2.low", "outside"),
        (_edit("clear_delay_s = 5", "clear_delay_s = 'five'"), "clear_delay_s", "number"),
        (
            _edit('limit_priority = "MEDIUM"', 'limit_priority = "URGENT"'),
            "limit_priority",
            "HIGH, MEDIUM, LOW",
        ),
        (_edit("excursions = 3", "excursion = 3"), "excursion", "unknown key"),
        (
            ADULT_TEXT + "\n[phases.infusion.channels.HR]\nlow = 125\n",
            "phases.infusion.channels.HR.high",
            "above low",
        ),
        (
            ADULT_TEXT + "\n[phases.surgery]\nnibp_interval_s = 60\n",
            "phases.surgery",
            "unknown key",
        ),
        (
            ADULT_TEXT + '\n[[rules]]\nname = "X"\nchannel = "HR"\ndirection = "high"\n',
            "rules[1]",
            "threshold",
        ),
        (
            ADULT_TEXT + '\n[[rules]]\nname = "HR_HI"\nchannel = "HR"\ndirection = "high"\n'
            "threshold = 100\n",
            "(top level)",
            "used twice",
        ),
        (
            ADULT_TEXT + '\n[[rules]]\nname = "R"\nchannel = "KET_CE"\ndirection = "high"\n'
            "threshold = 100\n",
            "rules[1].channel",
            "HR",
        ),
        ("channels = [", "(syntax)", "not valid TOML"),
    ],
)
def test_invalid_profiles_name_file_key_and_reason(tmp_path, text, key, reason):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_profile(path)
    keys = [k for k, _ in err.value.problems]
    assert key in keys, str(err.value)
    why = dict(err.value.problems)[key]
    assert reason in why, why
    assert str(path) in str(err.value)


def test_audio_pause_maximum_is_passed_in_by_the_clinic(tmp_path):
    path = _write(tmp_path, _edit("audio_pause_s = 120", "audio_pause_s = 180"))
    assert load_profile(path).audio_pause_s == 180
    with pytest.raises(ConfigError) as err:
        load_profile(path, max_audio_pause_s=150)
    assert err.value.key == "audio_pause_s"
    assert "150" in err.value.reason
    # a clinic cannot raise the ceiling above 300 s
    path = _write(tmp_path, _edit("audio_pause_s = 120", "audio_pause_s = 301"))
    with pytest.raises(ConfigError):
        load_profile(path, max_audio_pause_s=600)


def test_unknown_profile_name_lists_the_known_ones():
    with pytest.raises(ConfigError) as err:
        load_profile("no-such-profile")
    assert "adult-default" in err.value.reason
    assert err.value.key == "(file)"


def test_missing_profile_file(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_profile(tmp_path / "missing.toml")
    assert err.value.reason == "no such file"


def test_profile_names_resolve_under_the_cwd_first(tmp_path, monkeypatch):
    (tmp_path / "config" / "alarms").mkdir(parents=True)
    (tmp_path / "config" / "alarms" / "adult-default.toml").write_text(ADULT_TEXT)
    monkeypatch.chdir(tmp_path)
    assert profile_path("adult-default").resolve().parent == (tmp_path / "config" / "alarms")
    assert profile_path("ketamine-infusion").parent == REPO / "config" / "alarms"
