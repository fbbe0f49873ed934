"""The monitor's colours: WCAG AA for every text pair, and one palette for CSS and figures."""

from __future__ import annotations

import re

import pytest

from vitalsdash.ui import theme

pytestmark = pytest.mark.unit


def test_contrast_formula_matches_wcag() -> None:
    assert theme.contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert theme.contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert theme.contrast("#123456", "#123456") == pytest.approx(1.0)


@pytest.mark.parametrize(("fg", "bg", "need"), theme.CONTRAST_PAIRS)
def test_text_pairs_reach_wcag_aa(fg: str, bg: str, need: float) -> None:
    ratio = theme.contrast(theme.PALETTE[fg], theme.PALETTE[bg])
    assert ratio >= need, f"{fg} on {bg}: {ratio:.2f} < {need}"


def test_stylesheet_declares_the_palette() -> None:
    css = theme.css_variables()
    for name, colour in theme.PALETTE.items():
        if name not in theme.CHANNEL_COLOURS:
            assert css.get(name, "").lower() == colour.lower(), name


@pytest.mark.parametrize("sheet", sorted(theme.ASSETS.glob("*.css")), ids=lambda p: p.name)
def test_no_stylesheet_keeps_a_channel_colour_of_its_own(sheet) -> None:
    """A channel's colour is the registry's, set inline as --ch on its box (numerics,
    tiles, the instructor's truth strip): no stylesheet declares or names one."""
    css = sheet.read_text(encoding="utf-8")
    declared = set(theme.css_variables(sheet)) & set(theme.CHANNEL_COLOURS)
    assert not declared, f"{sheet.name} declares {declared}"
    used = {v for v in re.findall(r"var\(--([a-z0-9-]+)", css) if v in theme.CHANNEL_COLOURS}
    assert not used, f"{sheet.name} uses {used}"


@pytest.mark.parametrize(("name", "on"), [("high", (1, 0, 0)), ("medium", (1, 1, 0)),
                                          ("low", (0, 1, 1))])  # fmt: skip
def test_the_alarm_colours_are_red_yellow_cyan(name: str, on: tuple[int, ...]) -> None:
    colour = theme.PALETTE[name]
    rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    assert tuple(int(c > 150) for c in rgb) == on
