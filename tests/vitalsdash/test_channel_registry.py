"""One registered channel flows everywhere: a made-up body temperature, from the simulator
adapter through the alarms, the store and the API to the bedside numerics and trends, the
settings table, the review figure and the report, with no module but the registry told.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vitalsdash import channels
from vitalsdash.adapters import simulator
from vitalsdash.adapters._base import Reading
from vitalsdash.adapters.hl7._parse import parse_oru
from vitalsdash.api import create_server
from vitalsdash.channels import ChannelInfo, Condition, Kind
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.debrief import compute_debrief, session_from_store
from vitalsdash.feed import Feed
from vitalsdash.report import render_report, timeline_figure
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store
from vitalsdash.ui.live import bedside
from vitalsdash.ui.review.figure import dark_timeline
from vitalsdash.ui.settings import limits as settings_limits
from vitalsdash.ui.widgets import numerics, trends

pytestmark = pytest.mark.integration

TEMP = ChannelInfo(
    "TEMP",
    "Temp",
    "°C",
    Kind.CONTINUOUS,
    precision=1,
    colour="#ff9f1c",
    valid_range=(25.0, 45.0),
    limit_range=(30.0, 43.0),
    conditions=frozenset({Condition.LIMITS}),
    default_limits={"low": 35.0, "high": 38.0},
    hl7_codes=(150344,),  # MDC_TEMP
    hl7_units={"degC": 1.0},
    trend_range=(35.0, 40.0),
    rank=35,
    print_colour="#8c564b",
)
FEVER_FROM_S = 600


@pytest.fixture
def temp_channel(monkeypatch: pytest.MonkeyPatch) -> Iterator[ChannelInfo]:
    """TEMP registered, and the simulator adapter measuring it each second: 37.0 °C, then
    38.6 °C (above the registry's default high limit of 38) from 10 minutes on."""
    advance = simulator.SimulatorSource.advance

    def with_temp(self: Any, t1_s: int) -> list[Reading]:
        rows = advance(self, t1_s)
        secs = sorted({int(r.t_s) for r in rows})
        fever = [37.0 if t < FEVER_FROM_S else 38.6 for t in secs]
        return rows + [
            Reading(float(t), "TEMP", v, "ok", v) for t, v in zip(secs, fever, strict=True)
        ]

    monkeypatch.setattr(simulator.SimulatorSource, "advance", with_temp)
    channels.register(TEMP)
    try:
        yield TEMP
    finally:
        channels.unregister("TEMP")


@pytest.fixture
def clinic(temp_channel: ChannelInfo, tmp_path: Path) -> Iterator[dict[str, Any]]:
    store = Store(tmp_path / "store.sqlite")
    config = ClinicConfig(
        clinic=ClinicSection(speed=60, tick_s=1.0),
        beds=[BedConfig(id="b1", scenario="uneventful-depression", seed=3)],
    )
    rt = Runtime(config, store, Feed(store), clock=ManualClock())
    rt.start()
    rt.advance(900)
    try:
        yield {"rt": rt, "store": store}
    finally:
        rt.stop()
        store.close()


def test_a_registered_channel_flows_from_source_to_report(clinic: dict[str, Any]) -> None:
    rt, store = clinic["rt"], clinic["store"]
    view = rt.view("b1")
    assert view is not None
    assert view.session_id is not None
    sid = view.session_id

    # alarms: a limit alarm on the new channel, from the registry's default limits
    assert view.limits["TEMP_HI"] == 38.0
    assert view.limits["TEMP_LO"] == 35.0
    assert [a.condition for a in view.signals.alarms] == ["TEMP_HI"]

    # store: its samples are kept like any other channel's
    temps = store.samples(sid, channels=["TEMP"])
    assert len(temps) >= 899
    assert temps["value"].iloc[-1] == pytest.approx(38.6)

    # API: the bed's latest values and its samples
    client = create_server(rt).test_client()
    beds = client.get("/api/beds").get_json()
    session = beds[0]["session"]
    assert session["latest"]["TEMP"]["value"] == pytest.approx(38.6)
    assert "TEMP_HI" in [a["condition"] for a in session["alarms"]]
    got = client.get(f"/api/sessions/{sid}/samples?channels=TEMP").get_json()
    assert {r["channel"] for r in got["samples"]} == {"TEMP"}

    # bedside numerics: its own box with value, limits and alarm colour
    assert ("TEMP", "Temp", "°C", ("TEMP_LO", "TEMP_HI")) in numerics.boxes()
    assert "num-TEMP-value" in [getattr(c, "id", None) for c in _walk(numerics.layout())]
    shown = numerics.values(view)
    assert shown["num-TEMP-value"] == "38.6"
    assert shown["num-TEMP-limits"] == numerics.fmt.limit_pair(35.0, 38.0)
    assert "alarm-" in shown["num-TEMP-box"]

    # bedside trends: a row of its own, its trace filled by the backfill
    chart = trends.chart()
    assert "TEMP" in chart.channels
    assert "TEMP" in chart.axis
    out: dict[str, Any] = {}
    bedside._backfill(rt, view, out)
    trace = out["figure"]["data"][chart.trace["TEMP"]]
    assert trace["name"] == "Temp"
    assert trace["y"][-1] == pytest.approx(38.6)
    decor = trends.decor(view.limits, None, [])
    assert [chart.axis["TEMP"], 35, 38, TEMP.colour] in decor["r"]

    # settings: a row of limits, editable like the others
    assert ("TEMP", "Temp", "°C", "TEMP") in settings_limits.channel_rows()
    limits = settings_limits.snapshot(rt, "b1")
    assert limits is not None
    assert limits.limits["TEMP"]["high"] == 38.0
    rows = [getattr(c, "data-channel", None) for c in _walk(settings_limits.table(limits))]
    assert "TEMP" in rows

    # review figure and report: a timeline row, its alarm episode in the tables
    rt.submit("b1", "end_session", {}, "instructor")
    data = session_from_store(store, sid)
    debrief = compute_debrief(data)
    episode = next(e for e in debrief.episodes if e.condition == "TEMP_HI")
    assert episode.channel == "TEMP"
    fig = timeline_figure(data, debrief, width=None)
    line = next(t for t in fig.data if t.name == "TEMP")
    assert line.line.color == TEMP.print_colour
    titles = [ax.title.text for ax in fig.select_yaxes()]
    assert titles[: titles.index("NIBP (mmHg)")] == [
        "HR (bpm)",
        "SpO₂ (%)",
        "Temp (°C)",
        "RR (/min)",
        "EtCO₂ (mmHg)",
    ]
    dark = dark_timeline(fig)
    assert next(t for t in dark.data if t.name == "TEMP").line.color == TEMP.colour
    html = render_report(data, debrief)
    assert debrief.words("TEMP_HI") in html  # its alarm, in the nurse's words
    assert debrief.words("TEMP_HI") != "TEMP_HI"
    assert "Temp (°C)" in html


def _walk(node: Any) -> Iterator[Any]:
    """Every Dash component in a layout tree."""
    if isinstance(node, (list, tuple)):
        for child in node:
            yield from _walk(child)
    elif hasattr(node, "to_plotly_json"):
        yield node
        yield from _walk(getattr(node, "children", None))


def test_a_registered_channel_is_read_from_hl7_and_checked_by_its_range(
    temp_channel: ChannelInfo,
) -> None:
    def message(value: str) -> str:
        return (
            "MSH|^~\\&|MON|WARD|VD|VD|20250101120000||ORU^R01|C1|P|2.6\r"
            "PID|||P1\r"
            "OBR|1|||1^VITALS|||20250101120000\r"
            f"OBX|1|NM|150344^MDC_TEMP^MDC||{value}|268192^MDC_DIM_DEGC^MDC|||||F\r"
        )

    batch = parse_oru(message("37.2"))
    assert [(r.channel, r.value) for r in batch.readings] == [("TEMP", 37.2)]
    with pytest.raises(Exception, match="TEMP 60 outside the plausible 25-45"):
        parse_oru(message("60"))
