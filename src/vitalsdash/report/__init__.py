"""The debrief report (one self-contained HTML file, optionally PDF) and the exports.

- :func:`render_report` builds ONE HTML file that works offline: plotly.js is inlined
  once, the timeline is a Plotly figure (:func:`timeline_figure`), and every text that a
  person typed (notes, labels, reasons) is escaped. A print stylesheet lays it out on
  A4 landscape. :func:`render_pdf` prints it through headless Chromium.
- :func:`export_tables` / :func:`table_bytes` / :func:`export_session` write the session
  as files: samples in the ``vitalsim run`` recording format with its events sidecar (so
  ``vitalsdash alarms replay`` reads them), the alarm log in replay's ``--full`` format,
  the trainee's alarm actions in replay's actions format, actions, observations and the
  debrief's episode and expected-response tables.

Plotly only; nothing here imports Dash. The review page calls the same functions.
"""

from vitalsdash.report._report import (
    CHROMIUM_FLAGS,
    DISCLAIMER,
    EPISODE_HEADERS,
    EXPORT_FORMATS,
    EXPORT_TABLES,
    INTERRUPTION,
    NEVER,
    SILENCED_HEADERS,
    ReportError,
    chromium_path,
    clock,
    duration,
    episode_rows,
    export_file_names,
    export_session,
    export_tables,
    minmax_downsample,
    num,
    params_text,
    render_pdf,
    render_report,
    silenced_rows,
    table_bytes,
    timeline_figure,
    write_report,
)

__all__ = [
    "CHROMIUM_FLAGS",
    "DISCLAIMER",
    "EPISODE_HEADERS",
    "EXPORT_FORMATS",
    "EXPORT_TABLES",
    "INTERRUPTION",
    "NEVER",
    "SILENCED_HEADERS",
    "ReportError",
    "chromium_path",
    "clock",
    "duration",
    "episode_rows",
    "export_file_names",
    "export_session",
    "export_tables",
    "minmax_downsample",
    "num",
    "params_text",
    "render_pdf",
    "render_report",
    "silenced_rows",
    "table_bytes",
    "timeline_figure",
    "write_report",
]
