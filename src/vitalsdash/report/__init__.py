"""The debrief as documents: the HTML report (optionally PDF) and the exported tables.

The CLI (``vitalsdash report``, ``vitalsdash export``) and the review page use what this
package exports; its modules are private to it:

- ``_tables``: the debrief's tables as rows of words and numbers (the report and the
  review page show the same ones), with the time and number formats they use.
- ``_figure``: the session timeline as one Plotly figure (report and review page).
- ``_strips``: the waveform strips at the alarm onsets (report and review page).
- ``_sections``: the report's sections as escaped HTML fragments.
- ``_html``: the one self-contained HTML file (:func:`render_report`, :func:`write_report`).
- ``_pdf``: printing that file to PDF with headless Chromium.
- ``_export``: the session as CSV or Parquet tables that the project's tools read back.
- ``_errors``: :class:`ReportError`.

Plotly only; nothing here imports Dash.
"""

from vitalsdash.report._errors import ReportError
from vitalsdash.report._export import (
    EXPORT_FORMATS,
    EXPORT_TABLES,
    export_file_names,
    export_session,
    export_tables,
    table_bytes,
)
from vitalsdash.report._figure import (
    INTERRUPTION,
    interruption_band,
    minmax_downsample,
    timeline_figure,
)
from vitalsdash.report._html import DISCLAIMER, MAX_REPORT_BYTES, render_report, write_report
from vitalsdash.report._pdf import CHROMIUM_FLAGS, chromium_path, render_pdf
from vitalsdash.report._strips import (
    NO_WAVE_ALARM,
    NO_WAVES_SESSION,
    PRINT_MAX_HZ,
    STRIP_AFTER_S,
    STRIP_BEFORE_S,
    AlarmStrip,
    StripColours,
    alarm_strips,
    choose_strips,
    read_strip,
    recorded,
    strip_figure,
    strip_trace_values,
)
from vitalsdash.report._tables import (
    ACTION_HEADERS,
    COURSE_HEADERS,
    EPISODE_HEADERS,
    EXPECTED_HEADERS,
    NEVER,
    SCORE_HEADERS,
    SILENCED_HEADERS,
    SUPPRESSED_HEADERS,
    action_cells,
    clock,
    course_rows,
    course_title,
    duration,
    episode_rows,
    expected_rows,
    num,
    params_text,
    said_words,
    score_rows,
    silenced_rows,
    start_lines,
    suppressed_rows,
)

__all__ = [
    "ACTION_HEADERS",
    "CHROMIUM_FLAGS",
    "COURSE_HEADERS",
    "DISCLAIMER",
    "EPISODE_HEADERS",
    "EXPECTED_HEADERS",
    "EXPORT_FORMATS",
    "EXPORT_TABLES",
    "INTERRUPTION",
    "MAX_REPORT_BYTES",
    "NEVER",
    "NO_WAVES_SESSION",
    "NO_WAVE_ALARM",
    "PRINT_MAX_HZ",
    "SCORE_HEADERS",
    "SILENCED_HEADERS",
    "STRIP_AFTER_S",
    "STRIP_BEFORE_S",
    "SUPPRESSED_HEADERS",
    "AlarmStrip",
    "ReportError",
    "StripColours",
    "action_cells",
    "alarm_strips",
    "choose_strips",
    "chromium_path",
    "clock",
    "course_rows",
    "course_title",
    "duration",
    "episode_rows",
    "expected_rows",
    "export_file_names",
    "export_session",
    "export_tables",
    "interruption_band",
    "minmax_downsample",
    "num",
    "params_text",
    "read_strip",
    "recorded",
    "render_pdf",
    "render_report",
    "said_words",
    "score_rows",
    "silenced_rows",
    "start_lines",
    "strip_figure",
    "strip_trace_values",
    "suppressed_rows",
    "table_bytes",
    "timeline_figure",
    "write_report",
]
