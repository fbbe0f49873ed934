"""The Dash app factory: shell, pages, assets, the JSON API on the same server.

``create_app(runtime)`` is called once per process (the CLI, a test session fixture):
pages register their callbacks globally when Dash imports them, so a second app in the
same process would duplicate them.
"""

from __future__ import annotations

from pathlib import Path

import dash
from dash import ClientsideFunction, Dash, Input, Output, html

from vitalsdash.api import create_api
from vitalsdash.runtime import Runtime
from vitalsdash.ui._runtime import set_runtime
from vitalsdash.ui.components.shell import navbar

UI_DIR = Path(__file__).resolve().parent
PAGES = UI_DIR / "pages"
ASSETS = UI_DIR / "assets"
THEME = "/assets/vendor/bootstrap-cyborg.min.css"
"""dbc.themes.CYBORG, served from our assets so the monitor needs no network."""

_created = False


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
        title="vitalsdash",
        update_title=None,
        suppress_callback_exceptions=True,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.layout = html.Div([navbar(), html.Main(dash.page_container)], className="shell")
    app.server.register_blueprint(create_api(runtime))
    app.clientside_callback(
        ClientsideFunction("vitals", "toggleSound"),
        Output("sound-toggle", "children"),
        Output("sound-toggle", "className"),
        Output("sound-toggle", "aria-pressed"),
        Input("sound-toggle", "n_clicks"),
        prevent_initial_call=True,
    )
    return app
