"""Readers ask the protocol's baseline and cuff readings by channel id, not by field.

The protocol's criteria module is the one that knows which field is which vital sign; the
alarm engine's baseline, the bed view, the trend chart's dashed lines and the replay's
phases all go through ``by_channel``, ``last_nibp_t_s`` and the registry.
"""

from __future__ import annotations

import json
import math

import pytest

from vitalsdash import channels
from vitalsdash.model import Channel, Quality, Sample
from vitalsdash.protocol import (
    NIBP_CHANNELS,
    Baseline,
    Latest,
    NibpReading,
    alarm_baseline,
    baseline_from,
    last_nibp_t_s,
    latest_of,
)
from vitalsdash.runtime import BaselineView, BedView
from vitalsdash.ui.widgets import trends

pytestmark = pytest.mark.unit

BASE = Baseline(132.04, 81.96, 98.66, 70.0, None, 2)


def test_baseline_by_channel_leaves_out_what_was_not_measured() -> None:
    assert BASE.by_channel() == {
        Channel.NIBP_SYS: 132.04, Channel.NIBP_DIA: 81.96, Channel.NIBP_MAP: 98.66,
        Channel.HR: 70.0,
    }  # fmt: skip
    assert Baseline(None, None, None, None, None, 0).by_channel() == {}


def test_the_capnographs_baseline_is_the_median_breath() -> None:
    """EtCO2 (one reading per breath) gets a baseline like HR: the median of the usable
    readings before the infusion; the rise over it is what ETCO2_RISE watches."""
    breaths = [Sample(2.5 + 4 * k, Channel.ETCO2, v) for k, v in enumerate((38, 41, 39, 60))]
    lost = Sample(20.0, Channel.ETCO2, math.nan, Quality.INVALID)
    base = baseline_from([*breaths, lost])
    assert base.etco2_mmhg == 40.0
    assert alarm_baseline(base) == {"ETCO2": 40.0}
    assert channels.get(Channel.ETCO2).baseline
    assert "ETCO2" not in alarm_baseline(baseline_from([Sample(1.0, Channel.HR, 70.0)]))


def test_alarm_baseline_is_the_baseline_by_channel_to_a_tenth() -> None:
    assert alarm_baseline(BASE) == {"NIBP_SYS": 132.0, "NIBP_DIA": 82.0, "NIBP_MAP": 98.7,
                                    "HR": 70.0}  # fmt: skip


def test_a_reading_by_channel_gives_the_same_latest_as_its_fields() -> None:
    r = NibpReading(300.0, 128.0, 79.0, 95.0)
    last = r.by_channel()
    assert set(last) == set(NIBP_CHANNELS)
    assert last_nibp_t_s(last) == 300.0
    assert last_nibp_t_s({}) is None
    latest = latest_of(last, {Channel.HR: 72.0})
    assert latest == Latest(sys_mmhg=128.0, dia_mmhg=79.0, nibp_t_s=300.0, hr_bpm=72.0)


def test_the_bed_views_baseline_crosses_json_and_answers_by_channel() -> None:
    view = BaselineView(BASE.by_channel(), BASE.n_nibp_readings)
    back = BaselineView.from_dict(json.loads(json.dumps(view.to_dict())))
    assert back == view
    assert back.value("HR") == 70.0
    assert back.value("SPO2") is None


def test_the_nibp_age_is_from_the_cuffs_last_reading() -> None:
    last = NibpReading(300.0, 128.0, 79.0, 95.0).by_channel()
    view = BedView("b", "Bed", session_id=1, t_s=420.0, last_nibp=last)
    assert view.nibp_age_s() == 120.0
    assert BedView("b", "Bed", session_id=1, t_s=420.0).nibp_age_s() is None


def test_trend_baselines_are_drawn_for_the_main_values_only() -> None:
    view = BaselineView(BASE.by_channel(), 2)
    labels = [h[4] for h in trends.decor({}, view, [])["h"] if h[3] == "dash"]
    # HR and both cuff pressures; the NIBP mean is drawn muted, without a baseline line
    assert labels == ["baseline 70", "baseline 132", "baseline 82"]


def test_the_pump_rate_channel_comes_from_the_registry() -> None:
    assert channels.pump_rate_channel() == Channel.PUMP_RATE
    assert [c.id for c in channels.all_channels() if c.pump_rate] == [Channel.PUMP_RATE]
