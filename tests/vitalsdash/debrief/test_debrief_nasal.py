"""The debrief of an esketamine nasal spray recording: the scenario's own protocol is a
nasal one with its 2 hours of observation, so discharge readiness is judged by it."""

from __future__ import annotations

from pathlib import Path

import pytest

from vitalsdash.debrief import session_from_recording
from vitalsim.cli import main as vitalsim

pytestmark = pytest.mark.integration


def test_a_nasal_recording_is_judged_by_a_nasal_protocol(tmp_path: Path) -> None:
    out = tmp_path / "esk.csv"
    assert vitalsim(["run", "esketamine-intranasal-56mg", "--out", str(out),
                     "--duration-min", "40"]) == 0  # fmt: skip
    data = session_from_recording(out, scenario="esketamine-intranasal-56mg")
    info = data.protocol.protocol
    assert (info.drug, info.route, info.nasal_doses_mg) == ("esketamine", "intranasal", [56.0])
    assert data.protocol.observation.min_minutes == 120
    devices = [e for e in data.session_events if e.kind == "nasal_device"]
    assert [e.t_s for e in devices] == [600.0, 900.0]
