"""Discharge on the bedside page in a real browser: in observation the Discharge button
and the checklist show; pressed too early it is refused and the missing criteria are
listed; once the nurse has charted alertness and the observation time has passed, it is
accepted: "Discharged at H:MM:SS", the session ends, the central tile says so too.

The clinic is its own process (discharge_clinic.py), with a short observation, so this
test depends on no other; it moves the clinic's time itself."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from discharge_helpers import OBSERVATION_MIN, short_protocol
from playwright.sync_api import Page, expect

from vitalsdash.ui import fmt

pytestmark = pytest.mark.browser
BED = "disc1"


@dataclass
class Served:
    url: str
    proc: subprocess.Popen[str]

    def advance(self, seconds: int) -> float:
        """Move the clinic's manual clock on; the session time it is at now."""
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(f"advance {seconds}\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().split()
        assert answer[:1] == ["t"], f"the discharge clinic answered {answer!r}"
        return float(answer[1])

    def get(self, path: str) -> object:
        with urllib.request.urlopen(self.url + path, timeout=10) as r:
            return json.loads(r.read())


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = Path(tmp_path_factory.mktemp("discharge"))
    script = Path(__file__).with_name("discharge_clinic.py")
    proc = subprocess.Popen(
        [sys.executable, str(script), str(folder / "clinic.sqlite"), str(short_protocol(folder))],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        port = (proc.stdout.readline() if proc.stdout else "").strip()
        assert port.isdigit(), f"the discharge clinic did not start (exit {proc.poll()})"
        yield Served(f"http://127.0.0.1:{port}", proc)
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_discharge_is_refused_then_accepted_on_the_bedside_page(
    page: Page, served: Served, errors: list[str]
) -> None:
    page.goto(f"{served.url}/bed/{BED}")
    expect(page.locator("#bed-phase")).to_contain_text("Observation · ")
    panel = page.locator("#discharge-panel")
    expect(panel).to_be_visible()
    checklist = page.locator("#readiness")
    expect(checklist.locator(".ready-head")).to_have_text("Not ready for discharge")
    expect(checklist.locator(".crit-label").first).to_have_text("Observation time: ")
    alert = checklist.locator("li", has_text="Alert and oriented")
    expect(alert).to_have_attribute("data-met", "false")
    expect(alert).to_contain_text("alertness not charted (Aldrete/PADSS >= 9 needed)")

    # too early: refused, and what is missing is listed under the button
    page.locator("#discharge-submit").click()
    result = page.locator("#discharge-result")
    expect(result).to_contain_text("Not ready for discharge:")
    missing = result.locator(".discharge-missing li")
    expect(missing.filter(has_text=f" of {OBSERVATION_MIN} min")).to_have_count(1)
    expect(missing.filter(has_text="alertness not charted")).to_have_count(1)
    [bed] = served.get("/api/beds")  # type: ignore[misc]
    assert bed["session"]["status"] == "running"

    # the nurse assesses the patient (after the infusion), and the observation time passes
    page.locator("#chart-kind").select_option("alertness")
    page.locator("#chart-value").fill("10")
    page.locator("#chart-submit").click()
    expect(page.locator("#action-toast")).to_contain_text("Charted alertness")
    expect(alert).to_have_attribute("data-met", "true")
    t = served.advance((OBSERVATION_MIN + 1) * 60)
    expect(checklist.locator(".ready-head")).to_have_text("Ready for discharge")
    expect(page.locator("#bed-phase")).to_have_text(f"Ready for discharge · {fmt.clock(t)}")

    page.locator("#discharge-note").fill("Home with her partner, no driving today")
    page.locator("#discharge-submit").click()
    expect(page.locator("#bed-phase")).to_have_text(f"Discharged at {fmt.clock(t)}")
    expect(page.locator("#discharge-status")).to_have_text(
        f"Discharged at {fmt.clock(t)} by the trainee · Note: Home with her partner, "
        "no driving today"
    )
    expect(page.locator("#action-toast")).to_contain_text(f"Discharged at {fmt.clock(t)}")
    expect(result.locator(".discharge-missing")).to_have_count(0)
    expect(panel).to_be_hidden()
    expect(checklist).to_have_text("Patient discharged.")
    [bed] = served.get("/api/beds")  # type: ignore[misc]
    assert (bed["session"]["status"], bed["session"]["t_s"]) == ("discharged", t)
    session = served.get(f"/api/sessions/{bed['session']['id']}")
    assert session["discharge_note"] == "Home with her partner, no driving today"  # type: ignore[index]
    assert session["discharged_by"] == "trainee"  # type: ignore[index]

    # the session has ended: time moves on, the bed stays discharged
    served.advance(120)
    page.goto(served.url + "/")
    tile = page.locator(f'[data-bed="{BED}"] .tile-phase')
    expect(tile).to_have_text(f"Discharged at {fmt.clock(t)}")
    assert errors == []
