"""Class results: each trainee's sessions and how they went, for the instructor's class
page and a trainee's own results.

A session belongs to the trainee(s) who acted in it while logged in (the action rows
carry their user id). Each session is judged by its debrief (``vitalsdash.debrief``, the
same figures as the review page and the report), reduced to what an educator follows
over a course: time to acknowledge alarms, expected responses met, and two decisions,
starting the infusion on the pre-infusion check and the discharge on readiness, each
right, wrong or none (no trainee took it).

- ``_results``: one session's results from its debrief (:class:`SessionResult`);
- ``_class``: whose sessions are whose, the cache, the class table (:class:`TraineeSummary`);
- ``_csv``: the downloads, safe against spreadsheet formulas.

No Dash and no Flask: the pages (``vitalsdash.ui.classroom``) and routes build on this.

Typical use::

    rows = class_table(store)                  # one per trainee
    mine = trainee_results(store, user_id)     # one per session
    text = results_csv(mine, "Ana Lima")
"""

from vitalsdash.classroom._class import (
    CACHE_SIZE,
    TraineeSummary,
    cached_sessions,
    class_table,
    clear_cache,
    result_of,
    scenario_title,
    summary_of,
    trainee_name,
    trainee_results,
    trend,
)
from vitalsdash.classroom._csv import (
    CLASS_HEADERS,
    RESULT_HEADERS,
    class_csv,
    results_csv,
    safe_cell,
    when,
)
from vitalsdash.classroom._results import (
    DECISIONS,
    NONE,
    RIGHT,
    WRONG,
    Decision,
    SessionResult,
    discharge_decision,
    screening_decision,
)

__all__ = [
    "CACHE_SIZE",
    "CLASS_HEADERS",
    "DECISIONS",
    "NONE",
    "RESULT_HEADERS",
    "RIGHT",
    "WRONG",
    "Decision",
    "SessionResult",
    "TraineeSummary",
    "cached_sessions",
    "class_csv",
    "class_table",
    "clear_cache",
    "discharge_decision",
    "result_of",
    "results_csv",
    "safe_cell",
    "scenario_title",
    "screening_decision",
    "summary_of",
    "trainee_name",
    "trainee_results",
    "trend",
    "when",
]
