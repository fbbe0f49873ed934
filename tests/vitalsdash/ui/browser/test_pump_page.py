"""The pump in a real browser, as at a real pump: pausing shows an amber PAUSED badge at
the bedside and on the central tile; after the profile's delay the PUMP_PAUSED reminder
is in the banner; a rate set while paused is kept and the toast says the pump is still
paused; resuming clears the reminder and the badge.

The tests use a chair of their own, added to the shared clinic for this module only: the
scenario's short baseline (2 min) and an alarm profile that reminds after 30 s keep the
clinic's clock moving little. Each test starts from a running pump, whatever ran before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pump_helpers import advance_into_infusion

from vitalsdash.config import BedConfig
from vitalsdash.runtime import Command
from vitalsdash.runtime._core import Bed  # a test hook: a chair added for the test

pytestmark = pytest.mark.browser
BED = "chair7"
REMIND_AFTER_S = 30
REPO = Path(__file__).resolve().parents[4]


def _scenario(tmp: Path) -> Path:
    text = (REPO / "config" / "scenarios" / "uneventful-depression.toml").read_text()
    text = text.replace("baseline_min = 10", "baseline_min = 2").replace(
        "baseline_every_min = 5", "baseline_every_min = 1"
    )
    path = tmp / "short-baseline.toml"
    path.write_text(text)
    return path


def _profile(tmp: Path) -> Path:
    text = (REPO / "config" / "alarms" / "ketamine-infusion.toml").read_text()
    text = re.sub(r"^name = .*$", 'name = "pump-test"', text, count=1, flags=re.M)
    text = re.sub(r"^pump_paused_after_s = .*$", f"pump_paused_after_s = {REMIND_AFTER_S}",
                  text, count=1, flags=re.M)  # fmt: skip
    path = tmp / "pump-test.toml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def pump_bed(clinic, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    rt = clinic.runtime
    tmp = tmp_path_factory.mktemp("pump-bed")
    cfg = BedConfig(id=BED, label="Chair 7", scenario=str(_scenario(tmp)),
                    alarm_profile=str(_profile(tmp)), seed=7, autostart=False)  # fmt: skip
    with rt.lock:
        rt.beds[BED] = Bed(cfg)
    rt.submit(BED, "start_session", {}, "instructor")
    advance_into_infusion(rt, BED, 120, 150)
    yield BED
    with rt.lock:
        if rt.beds[BED].session.status == "running":
            rt.submit(BED, "end_session", {}, "instructor")
        rt.beds.pop(BED)


@pytest.fixture
def running(clinic, pump_bed) -> str:
    """The chair's pump running at 0.5 mg/kg/h, whatever an earlier test left."""
    rt = clinic.runtime
    pump = rt.view(BED).pump
    assert pump.state in ("running", "paused"), pump
    if pump.state == "paused":
        rt.submit(Command("resume_pump", BED, {}, "trainee"))
    if rt.view(BED).pump.rate_mg_per_kg_h != 0.5:
        rt.submit(Command("set_rate", BED, {"rate_mg_per_kg_h": 0.5}, "trainee"))
    clinic.advance(1)
    return BED


def _reminder(page: Page):
    return page.locator('.alarm-row[data-condition="PUMP_PAUSED"]')


def test_a_paused_pump_shows_everywhere_and_reminds(
    page: Page, clinic, running, errors: list[str]
) -> None:
    rt = clinic.runtime
    page.goto(clinic.url + f"/bed/{BED}")
    expect(page.locator(".pump-state")).to_have_text("Running")
    central = page.context.new_page()
    central.goto(clinic.url + "/")
    tile_pump = central.locator(f'.tile[data-bed="{BED}"] .tile-pump')
    expect(tile_pump).to_contain_text("Pump running")

    page.locator("#pump-pause").click()
    expect(page.locator("#action-toast")).to_contain_text("Pump paused")
    badge = page.locator(".pump-state.pump-paused")
    expect(badge).to_have_text("Paused")
    expect(badge).to_have_css("text-transform", "uppercase")  # PAUSED, on amber
    expect(page.locator(".pump-detail")).to_have_text(re.compile(r"^for 0:0\d$"))
    expect(tile_pump).to_have_class(re.compile(r"\bpump-paused\b"))
    expect(tile_pump).to_contain_text(re.compile(r"^Pump PAUSED 0:0\d · set 0\.50 mg/kg/h"))
    paused_at = rt.view(BED).pump.paused_since_s

    clinic.advance(int(paused_at + REMIND_AFTER_S - rt.view(BED).t_s))  # up to the delay
    expect(page.locator(".pump-detail")).to_have_text(f"for 0:{REMIND_AFTER_S:02d}")
    assert all(a.condition != "PUMP_PAUSED" for a in rt.view(BED).signals.alarms)
    expect(_reminder(page)).to_have_count(0)
    clinic.advance(1)  # the delay's last second: the reminder is raised
    expect(_reminder(page)).to_have_count(1)
    expect(_reminder(page)).to_have_attribute("data-priority", "LOW")
    shown_s = int(rt.view(BED).t_s - paused_at)  # the monitor's clock is a second on
    expect(_reminder(page)).to_contain_text(f"Pump paused {shown_s} s")
    expect(central.locator(f'.tile[data-bed="{BED}"]')).to_have_class("tile alarm-low")

    page.locator("#pump-resume").click()
    expect(page.locator("#action-toast")).to_contain_text("Pump resumed at 0.5 mg/kg/h")
    clinic.advance(1)
    expect(_reminder(page)).to_have_count(0)
    expect(page.locator(".pump-state")).to_have_text("Running")
    expect(page.locator(".pump-state")).not_to_have_class(re.compile(r"\bpump-paused\b"))
    expect(tile_pump).to_contain_text("Pump running · 0.50 mg/kg/h")
    central.close()
    assert errors == []


def test_a_rate_set_while_paused_is_kept_and_the_toast_says_so(
    page: Page, clinic, running, errors: list[str]
) -> None:
    rt = clinic.runtime
    page.goto(clinic.url + f"/bed/{BED}")
    page.locator("#pump-pause").click()
    expect(page.locator(".pump-state")).to_have_text("Paused")
    page.locator("#pump-rate-input").fill("0.3")
    page.locator("#pump-set-rate").click()
    toast = page.locator("#action-toast")
    expect(toast).to_contain_text(
        "Rate set to 0.3 mg/kg/h; the pump is still paused — resume to deliver"
    )
    expect(page.locator(".pump-state")).to_have_text("Paused")
    expect(page.locator(".pump-rate")).to_have_text("0 mg/kg/h · set 0.30 mg/kg/h")
    assert rt.view(BED).pump.delivering_mg_per_kg_h == 0.0
    page.locator("#pump-resume").click()
    expect(toast).to_contain_text("Pump resumed at 0.3 mg/kg/h")
    expect(page.locator(".pump-rate")).to_have_text("0.30 mg/kg/h")
    assert errors == []
