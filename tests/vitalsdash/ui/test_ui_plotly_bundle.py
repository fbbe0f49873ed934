"""The dashboard's plotly.js: the vendored basic bundle only when it matches plotly.py."""

from __future__ import annotations

import logging
import re

import pytest
from plotly.offline import get_plotlyjs_version

from vitalsdash.ui import app

pytestmark = pytest.mark.unit


def test_the_vendored_bundle_is_the_version_plotly_ships() -> None:
    assert app.plotly_scripts() == [app.PLOTLY_JS], (
        f"plotly ships plotly.js {get_plotlyjs_version()}: update assets/vendor (its README)"
    )
    path = app.ASSETS / app.PLOTLY_JS.removeprefix("/assets/")
    head = path.read_text(encoding="utf-8")[:400]
    version = re.escape(app.PLOTLY_JS_VERSION)
    assert re.search(rf"plotly\.js \(basic - minified\) v{version}\b", head), head


def test_a_mismatch_falls_back_to_dashs_full_bundle(monkeypatch, caplog) -> None:
    monkeypatch.setattr(app, "get_plotlyjs_version", lambda: "0.0.1")
    with caplog.at_level(logging.WARNING, logger="vitalsdash.ui.app"):
        assert app.plotly_scripts() == []
    assert "0.0.1" in caplog.text
    assert app.PLOTLY_JS_VERSION in caplog.text
