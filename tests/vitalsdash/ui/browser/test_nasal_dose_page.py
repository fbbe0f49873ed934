"""Esketamine nasal spray on the bedside page in a real browser: the cards speak of a dose
and its devices, not of an infusion rate.

Before the dose the start card says "Give dose" with the prescription beside it
("Esketamine 56 mg nasal spray: 2 devices of 28 mg, 5 min apart"), the pump card is the
nasal spray's (no pause or rate controls); once given it follows the devices, the phase
reads "Dosing" then "Observation", and discharge waits for the protocol's 2 hours.

The clinic is its own ``vitalsdash run`` process (tests/helpers/served.py) with one chair
of its own, at x120: this test depends on no other and moves no shared clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Dialog, Page, expect
from served import Served

pytestmark = pytest.mark.browser

BED = "nasal1"
CLINIC_TOML = f"""
[clinic]
name = "Nasal spray clinic"
speed = 120
tick_s = 0.25

[[beds]]
id = "{BED}"
label = "Nasal chair"
scenario = "esketamine-intranasal-56mg"
seed = 15
"""
# Seed 15's pressures stay well clear of the limits (systolic 111-134 mmHg in its first
# hour): at x120 a second is two minutes, so the check that allowed the dose must still
# allow it when the click lands on a busy machine (seed 56, systolic 82-98, did not).
ORDER = "Esketamine 56 mg nasal spray: 2 devices of 28 mg, 5 min apart"
PUMP_ORDER = "56 mg: 2 devices of 28 mg, 5 min apart"  # the card's header names the drug


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = Path(tmp_path_factory.mktemp("nasal"))
    (tmp / "clinic.toml").write_text(CLINIC_TOML)
    srv = Served(tmp, "--db", str(tmp / "store.sqlite"), "--clinic", str(tmp / "clinic.toml"),
                 timeout_s=60.0, poll_s=0.2)  # fmt: skip
    try:
        srv.start()
        srv.wait_for("the server to start", lambda: srv.request("GET", "/api/health")[0] == 200)
        yield srv
    finally:
        srv.stop()


def bed(srv: Served) -> dict:
    [found] = [b for b in srv.get("/api/beds") if b["id"] == BED]
    return found


def test_a_nasal_dose_is_given_and_followed_device_by_device(
    page: Page, served: Served, errors: list[str]
) -> None:
    page.goto(f"http://127.0.0.1:{served.port}/bed/{BED}")
    expect(page.locator("#pump-title")).to_have_text("Esketamine nasal spray")
    expect(page.locator("#pump-order")).to_have_text(PUMP_ORDER)
    expect(page.locator("#start-order")).to_have_text(ORDER)
    expect(page.locator("#start-title")).to_have_text("Before the dose: pre-dose check")
    give = page.get_by_role("button", name="Give dose")
    expect(give).to_be_visible()
    # a nasal spray has no rate to set and nothing to pause
    expect(page.locator("#pump-pause")).to_be_hidden()
    expect(page.locator("#pump-set-rate")).to_be_hidden()
    expect(page.locator("#pump-stop-button")).to_have_text("Stop: no more devices")
    # the baseline must have its readings before the dose may be given
    served.wait_for("the pre-dose check to allow the dose", lambda: (
        (bed(served)["session"]["pre_infusion_check"] or {}).get("status") in ("pass", "caution")
    ))  # fmt: skip
    page.on("dialog", lambda d: Dialog.accept(d))  # a caution asks first: give it anyway
    give.click()
    expect(page.locator("#action-toast")).to_contain_text("Dose started")
    expect(page.locator("#pump-status")).to_contain_text(
        re.compile(r"Device 1 of 2 given|All 2 devices given")
    )
    expect(page.locator("#bed-phase")).to_contain_text(re.compile(r"^(Dosing|Observation) · "))
    # the second device 5 min later; then 2 hours of observation before discharge
    expect(page.locator("#pump-status")).to_contain_text("All 2 devices given")
    expect(page.locator("#pump-status")).to_contain_text("56 mg given")
    expect(page.locator("#bed-phase")).to_contain_text("Observation · ")
    expect(page.locator("#readiness")).to_contain_text(re.compile(r"observation \d+ of 120 min"))
    pump = bed(served)["session"]["pump"]
    assert (pump["route"], pump["devices"], pump["devices_given"]) == ("intranasal", 2, 2)
    assert errors == []
