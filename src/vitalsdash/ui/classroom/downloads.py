"""The class results as CSV downloads, plain Flask routes:

- ``GET /class/results.csv``: the class table (instructor, or the open demo);
- ``GET /results/<user_id>.csv``: one trainee's sessions (instructor, or the open demo);
- ``GET /results/me.csv``: the trainee asking, their own sessions (a logged-in trainee).

Each route checks who asks itself (``_who.viewer``), whatever guards the server puts in
front. The scenario column is left out for anyone who may not know the scenario. The
file starts with a byte-order mark so a spreadsheet reads accented names right.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response

from vitalsdash.classroom import class_csv, class_table, results_csv, trainee_name, trainee_results
from vitalsdash.runtime import Runtime
from vitalsdash.ui.classroom import _who
from vitalsdash.ui.classroom.page import (
    NOT_LOGGED_IN,
    ONLY_INSTRUCTOR,
    OPEN_DEMO_ME,
    OWN_ONLY_TRAINEES,
)

__all__ = ["CLASS_CSV", "RESULTS_CSV", "class_answer", "install", "results_answer"]

CLASS_CSV = "/class/results.csv"
RESULTS_CSV = "/results/<user_ref>.csv"
BOM = "\ufeff"


def _csv(text: str, filename: str) -> Response:
    return Response(
        BOM + text,
        200,
        {
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
        mimetype="text/csv",
    )


def _refused(message: str, status: int = 403) -> Response:
    return Response(message + "\n", status, {"Cache-Control": "no-store"}, mimetype="text/plain")


def class_answer(runtime: Runtime, who: _who.Viewer) -> Response:
    if not who.instructor:
        return _refused(ONLY_INSTRUCTOR)
    return _csv(class_csv(class_table(runtime.store)), "class-results.csv")


def results_answer(runtime: Runtime, who: _who.Viewer, user_ref: str) -> Response:
    store = runtime.store
    if user_ref == "me":
        if who.open_demo:
            return _refused(OPEN_DEMO_ME, 404)
        if not who.trainee or who.user_id is None:
            return _refused(NOT_LOGGED_IN if who.user_id is None else OWN_ONLY_TRAINEES)
        uid = who.user_id
    else:
        if not who.instructor:
            return _refused(ONLY_INSTRUCTOR)
        if not user_ref.isdigit() or len(user_ref) > 18:
            return _refused(f"There is no trainee {user_ref[:40]!r}.", 404)
        uid = int(user_ref)
    name = trainee_name(store, uid)
    if name is None:
        return _refused(f"There is no trainee {uid} in this class.", 404)
    text = results_csv(trainee_results(store, uid), name, with_scenario=who.see_hidden)
    return _csv(text, f"results-{uid}.csv")


def install(server: Flask, runtime: Runtime) -> None:
    """The two download routes on ``server``."""

    def class_download() -> Any:
        return class_answer(runtime, _who.viewer())

    def results_download(user_ref: str) -> Any:
        return results_answer(runtime, _who.viewer(), user_ref)

    server.add_url_rule(CLASS_CSV, "class_results_csv", class_download, methods=["GET"])
    server.add_url_rule(RESULTS_CSV, "trainee_results_csv", results_download, methods=["GET"])
