"""Protocol files that say the drug, its route and the weight a dose is per.

The shipped esketamine nasal spray protocol (56 or 84 mg, 2 h observation, the label's
blood pressure checks); ``dose_weight`` on the IV protocols; every bad value named by file
and key; the readiness words of a nasal dose.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vitalsdash.model import Phase
from vitalsdash.protocol import (
    Baseline,
    ConfigError,
    Latest,
    discharge_readiness,
    list_protocols,
    load_protocol,
    nibp_interval_s,
)

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3]


def test_the_esketamine_protocol_loads_with_two_hours_of_observation() -> None:
    cfg = load_protocol("esketamine-intranasal")
    assert "esketamine-intranasal" in list_protocols()
    info = cfg.protocol
    assert (info.drug, info.route, info.nasal_doses_mg) == ("esketamine", "intranasal", [56, 84])
    assert info.device_interval_min == 5
    assert cfg.observation.min_minutes >= 120  # the label: at least 2 h
    assert cfg.observation.max_minutes > cfg.observation.min_minutes
    # the label's checks: before the dose, about 40 min after it, then as needed
    assert cfg.baseline.min_readings >= 1
    assert nibp_interval_s(cfg, Phase.OBSERVATION) <= 15 * 60
    assert cfg.pre_infusion.caution_sys_mmhg == 140


def test_iv_protocols_dose_by_actual_weight_unless_they_say_otherwise() -> None:
    dep = load_protocol("depression-40min")
    assert dep.protocol.dose_weight == "actual"
    assert (dep.protocol.drug, dep.protocol.route) == ("ketamine", "iv")
    ideal = dep.with_dose_weight("ideal")
    assert ideal.protocol.dose_weight == "ideal"
    assert ideal.protocol.dose_mg_per_kg == dep.protocol.dose_mg_per_kg
    assert dep.with_dose_weight("actual") is dep


BASE = (REPO / "config" / "protocols" / "depression-40min.toml").read_text()
NASAL = (REPO / "config" / "protocols" / "esketamine-intranasal.toml").read_text()


@pytest.mark.parametrize(
    ("text", "old", "new", "key", "fragment"),
    [
        (BASE, 'dose_weight = "actual"', 'dose_weight = "lean"', "protocol.dose_weight",
         "'actual', 'ideal' or 'adjusted'"),
        (BASE, 'dose_weight = "actual"', "dose_weight = 1", "protocol.dose_weight",
         "'actual', 'ideal' or 'adjusted'"),
        (BASE, 'dose_weight = "actual"', "nasal_doses_mg = [56]", "protocol.nasal_doses_mg",
         'only for route = "intranasal"'),
        (NASAL, "nasal_doses_mg = [56, 84]", "nasal_doses_mg = [50]", "protocol.nasal_doses_mg",
         "whole devices of 28 mg"),
        (NASAL, 'drug = "esketamine"', 'drug = "ketamine"', "protocol.route",
         "only esketamine is given as a nasal spray"),
        (NASAL, "nasal_doses_mg = [56, 84]", "dose_mg_per_kg = 0.5", "protocol.dose_mg_per_kg",
         "dosed in mg"),
        (NASAL, "device_interval_min = 5 ", "dose_weight = \"ideal\" ", "protocol.dose_weight",
         "leave it out"),
        (NASAL, 'route = "intranasal"', 'route = "nasal"', "protocol.route",
         "'iv' or 'intranasal'"),
    ],
)  # fmt: skip
def test_bad_values_name_the_file_and_the_key(
    tmp_path: Path, text: str, old: str, new: str, key: str, fragment: str
) -> None:
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ConfigError) as err:
        load_protocol(path)
    assert err.value.path == str(path)
    assert err.value.key == key, str(err.value)
    assert fragment in err.value.reason, str(err.value)


def test_readiness_of_a_nasal_dose_waits_for_the_last_device_and_two_hours() -> None:
    cfg = load_protocol("esketamine-intranasal")
    base = Baseline(sys_mmhg=120, dia_mmhg=75, map_mmhg=90, hr_bpm=70, spo2_pct=98,
                    n_nibp_readings=2)  # fmt: skip

    def ready(now_s: float, end_s: float | None):
        latest = Latest(sys_mmhg=125, dia_mmhg=78, nibp_t_s=now_s - 60.0, hr_bpm=72, spo2_pct=98)
        return discharge_readiness(cfg, base, latest, now_s, end_s, [], 10.0)

    waiting = ready(900.0, None)
    assert "last nasal spray not given: 120 min observation follows" in waiting.missing
    at_61 = ready(900.0 + 61 * 60, 900.0)
    assert not at_61.ready
    assert at_61.missing == ["observation 61 of 120 min"]
    assert ready(900.0 + 120 * 60, 900.0).ready
