"""The Dash app factory: shell, pages, assets, the JSON API on the same server.

``create_app(runtime)`` is called once per process (the CLI, a test session fixture):
pages register their callbacks globally when Dash imports them, so a second app in the
same process would duplicate them.
"""

from __future__ import annotations

import logging
from pathlib import Path

import dash
from dash import ClientsideFunction, Dash, Input, Output, html
from plotly.offline import get_plotlyjs_version

from vitalsdash.api import create_api
from vitalsdash.runtime import Runtime
from vitalsdash.ui import classroom, not_found
from vitalsdash.ui._runtime import set_runtime
from vitalsdash.ui._who import principal
from vitalsdash.ui.live import stream, waves
from vitalsdash.ui.widgets.shell import navbar

__all__ = ["ASSETS", "PLOTLY_JS", "PLOTLY_JS_VERSION", "create_app", "plotly_scripts"]

UI_DIR = Path(__file__).resolve().parent
PAGES = UI_DIR / "pages"
ASSETS = UI_DIR / "assets"
THEME = "/assets/vendor/bootstrap-cyborg.min.css"
"""dbc.themes.CYBORG, served from our assets so the monitor needs no network."""
PLOTLY_JS_VERSION = "4.1.1"
PLOTLY_JS = f"/assets/vendor/plotly-basic-{PLOTLY_JS_VERSION}.min.js"
"""plotly.js's official "basic" partial bundle (scatter, bar and pie traces; npm
``plotly.js-basic-dist-min``, see assets/vendor/README.md): every chart here is a scatter
trace. A plain script tag sets ``window.Plotly`` before the renderer starts, and dcc.Graph
uses a ``window.Plotly`` that exists instead of fetching Dash's full bundle (4.8 MB: ~1.6 s
of a cold page's main thread on 2 cores, against ~0.5 s for this 1.2 MB one;
benchmarks/bench_ui_open.py)."""

log = logging.getLogger(__name__)
_created = False


def plotly_scripts() -> list[str]:
    """The partial bundle, if it is the plotly.js that the installed plotly.py is built for
    (figures are validated against that schema); otherwise none, and Dash's full bundle."""
    shipped = get_plotlyjs_version()
    if shipped != PLOTLY_JS_VERSION:
        log.warning("plotly ships plotly.js %s, the vendored basic bundle is %s: serving "
                    "the full bundle (update assets/vendor, see its README)", shipped,
                    PLOTLY_JS_VERSION)  # fmt: skip
        return []
    return [PLOTLY_JS]


def _shell() -> html.Div:
    """The page frame, built per page load: its links and name are the signed-in
    person's."""
    return html.Div([navbar(principal()), html.Main(dash.page_container)], className="shell")


def create_app(runtime: Runtime) -> Dash:
    """The dashboard for ``runtime`` (whose tick loop the caller starts)."""
    global _created
    if _created:
        raise RuntimeError(
            "create_app may be called once per process: pages register their "
            "callbacks globally (reuse the first app)"
        )
    _created = True
    set_runtime(runtime)
    app = Dash(
        "vitalsdash",
        use_pages=True,
        pages_folder=str(PAGES),
        assets_folder=str(ASSETS),
        assets_path_ignore=["vendor"],
        external_stylesheets=[THEME],
        external_scripts=plotly_scripts(),
        title="vitalsdash",
        update_title=None,
        suppress_callback_exceptions=True,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.layout = _shell
    app.server.register_blueprint(create_api(runtime))
    stream.install(app.server, runtime)
    waves.install(app.server, runtime)
    classroom.install(app.server, runtime)
    not_found.install(app, runtime)
    app.clientside_callback(
        ClientsideFunction("vitals", "toggleSound"),
        Output("sound-toggle", "children"),
        Output("sound-toggle", "className"),
        Output("sound-toggle", "aria-pressed"),
        Input("sound-toggle", "n_clicks"),
        prevent_initial_call=True,
    )
    return app
