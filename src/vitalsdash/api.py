"""JSON API on the same server: health checks, reads for automation, actions.

Every user mistake is a 4xx with ``{"error": code, "message": why}``; nothing changes.
A store that cannot be read just now (PostgreSQL restarting, a SQLite file locked) is a
503 ``store_unavailable`` with Retry-After, for every route of the app (pages and Dash
callbacks too), logged as one line: it is no bug, so no traceback.
"""

from __future__ import annotations

import html
import logging
import math
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from vitalsdash import channels, ids, interruptions
from vitalsdash.access import AccessDenied, Principal
from vitalsdash.actions import ACTORS, CLINIC_ACTIONS, ActionError
from vitalsdash.adapters.simulator import EVENT_KINDS
from vitalsdash.principal import current_principal
from vitalsdash.runtime import Command, Runtime, json_ready
from vitalsdash.store import StoreUnavailableError
from vitalsdash.tomlconfig import shown

__all__ = [
    "MAX_BODY_BYTES",
    "STORE_RETRY_AFTER_S",
    "create_api",
    "create_server",
    "store_unavailable_response",
]

MAX_BODY_BYTES = 64 * 1024
STORE_RETRY_AFTER_S = 5
"""Retry-After of a 503 for a store out of reach: PostgreSQL restarts within seconds (open
pages poll or reconnect by themselves anyway)."""
_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
log = logging.getLogger(__name__)


def _error(code: str, message: str, status: int):
    return jsonify({"error": code, "message": message}), status


def store_unavailable_response(exc: StoreUnavailableError) -> Response:
    """The store cannot be read just now: 503 with Retry-After and the reason in plain
    words; one warning line in the log. A browser opening a page gets a short page that
    tries again by itself; the API, Dash's callbacks and scripts get the JSON error.
    ``create_api`` installs it as the app's error handler; a hook that runs after the
    view (where Flask's error handlers do not reach) returns it itself."""
    log.warning("%s %s: 503, %s", request.method, request.path, exc)
    if _opening_a_page():
        page = _STORE_DOWN_PAGE.format(words=html.escape(exc.words))
        response = Response(page, 503, mimetype="text/html")
    else:
        response = jsonify({"error": "store_unavailable", "message": exc.words})
        response.status_code = 503
    response.headers["Retry-After"] = str(STORE_RETRY_AFTER_S)
    response.headers["Cache-Control"] = "no-store"
    return response


def _opening_a_page() -> bool:
    """A browser asking for a page (not the API, not Dash's own requests, not a script)."""
    if request.method != "GET" or request.path.startswith(("/api/", "/_dash-")):
        return False
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


_STORE_DOWN_PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vitalsdash</title>
<meta http-equiv="refresh" content="{STORE_RETRY_AFTER_S}">
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="background:#060606;color:#e0e0e0;font-family:sans-serif;padding:2em">
<p>{{words}}</p><p>This page tries again by itself.</p></body></html>
"""


def create_api(runtime: Runtime) -> Blueprint:
    api = Blueprint("api", __name__, url_prefix="/api")
    # the API's own handler outranks its catch-all 500 below; the app's covers pages and
    # Dash's callbacks of the same app
    api.register_error_handler(StoreUnavailableError, store_unavailable_response)
    api.app_errorhandler(StoreUnavailableError)(store_unavailable_response)

    @api.errorhandler(ActionError)
    def _rejected(exc: ActionError):
        return jsonify(exc.as_dict()), exc.status  # with its details (e.g. a check's reasons)

    @api.errorhandler(AccessDenied)
    def _denied(exc: AccessDenied):
        return jsonify(exc.as_dict()), 403

    @api.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        response, status = _error(exc.name.lower().replace(" ", "_"),
                                  exc.description or exc.name, exc.code or 500)  # fmt: skip
        response.headers.update((k, v) for k, v in exc.get_headers() if k == "Allow")
        return response, status

    @api.app_errorhandler(404)
    @api.app_errorhandler(405)
    def _routing(exc: HTTPException):
        """A mistyped API path or a wrong method is a JSON error too (the UI's are not)."""
        return _http(exc) if request.path.startswith(api.url_prefix or "/api") else exc

    @api.errorhandler(Exception)
    def _unexpected(exc: Exception):
        """A bug answers a JSON 500 too; its traceback goes to the log, not to the client."""
        log.error("%s %s failed", request.method, request.path, exc_info=exc)
        return _error("internal_error", "the server failed on this request; the error "
                      "is logged", 500)  # fmt: skip

    @api.route("", methods=_ALL_METHODS)
    @api.route("/", methods=_ALL_METHODS)
    @api.route("/<path:_rest>", methods=_ALL_METHODS)
    def _unknown(_rest: str = ""):
        """Any other /api path: without this, the dashboard's page router (a catch-all
        ``/<path>`` GET route) answers it with the app's HTML page and a 200."""
        raise _no_route()

    @api.get("/health")
    def health():
        """200 "ok", or 503 "degraded" with the problems (see ``Runtime.health``)."""
        report = runtime.health()
        return jsonify(json_ready(report)), 200 if report["status"] == "ok" else 503

    @api.get("/beds")
    def beds():
        return Response(runtime.beds_json(), mimetype="application/json")

    @api.get("/sessions")
    def sessions():
        status = request.args.get("status")
        if status not in (None, "running", "ended", "discharged", "interrupted"):
            return _error("bad_status", "status must be running, ended, discharged or "
                          "interrupted", 400)  # fmt: skip
        rows = runtime.store.sessions(status=status)
        found = runtime.store.interruption_events(None if status is None else
                                                  [r["id"] for r in rows])  # fmt: skip
        return jsonify(json_ready(_for_reader(interruptions.annotate(rows, found))))

    def _session_or_404(session_id: int):
        s = runtime.store.session(session_id) if ids.in_range(session_id) else None
        if s is None:
            raise ActionError("unknown_session", f"no session {session_id}", status=404)
        return s

    @api.get("/sessions/<int:session_id>")
    def session(session_id: int):
        rows = [_session_or_404(session_id)]
        found = runtime.store.interruption_events([session_id])
        return jsonify(json_ready(_for_reader(interruptions.annotate(rows, found))[0]))

    @api.get("/sessions/<int:session_id>/samples")
    def samples(session_id: int):
        _session_or_404(session_id)
        try:
            since = float(request.args.get("since", "-1"))
        except ValueError:
            since = math.nan
        if not math.isfinite(since):  # nan and inf parse, but are no cursor (nor JSON)
            return _error("bad_since", "since must be a number of seconds", 400)
        wanted = request.args.get("channels")
        chs = [c for c in wanted.split(",") if c] if wanted else None
        if not _principal().may("see_hidden"):
            chs = [c for c in (chs or _all_channel_ids()) if _visible_channel(c)]
        rows = runtime.feed.samples_since(session_id, since, chs)
        return jsonify(
            json_ready(
                {
                    "session_id": session_id,
                    "since": since,
                    "samples": [
                        {"t": t, "channel": ch, "value": v, "quality": q} for t, ch, v, q in rows
                    ],
                }
            )
        )

    @api.get("/sessions/<int:session_id>/events")
    def events(session_id: int):
        _session_or_404(session_id)
        st = runtime.store
        session_events, actions = st.session_events(session_id), st.actions(session_id)
        if not _principal().may("see_hidden"):  # the script the instructor set is hidden
            session_events = [e for e in session_events if e["kind"] not in HIDDEN_EVENTS]
            actions = [a for a in actions if a["kind"] not in HIDDEN_ACTIONS]
        return jsonify(json_ready({
            "alarm_events": st.alarm_events(session_id), "actions": actions,
            "observations": st.observations(session_id),
            "session_events": session_events}))  # fmt: skip

    @api.get("/patients")
    def patients():
        """The named virtual patients of courses, each with how many sessions it had."""
        return jsonify(json_ready(_for_reader(runtime.store.patients())))

    @api.get("/patients/<int:patient_id>")
    def patient(patient_id: int):
        """One patient file and its sessions by number (date, session id, status)."""
        row = runtime.store.patient(patient_id) if ids.in_range(patient_id) else None
        if row is None:
            raise ActionError("unknown_patient", f"no virtual patient {patient_id}", status=404)
        course = {**row, "sessions": runtime.store.course(patient_id)}
        return jsonify(json_ready(_for_reader([course])[0]))

    @api.post("/beds/<bed_id>/actions")
    def bed_action(bed_id: str):
        body = _json_body()
        if isinstance(body.get("kind"), str) and body["kind"] in CLINIC_ACTIONS:
            raise ActionError("wrong_endpoint", f"{body['kind']} acts on the whole clinic: "
                              "POST it to /api/clinic/actions", status=400)  # fmt: skip
        return jsonify(runtime.submit(_command(body, bed_id, "trainee")))

    @api.post("/clinic/actions")
    def clinic_action():
        body = _json_body()
        if not (isinstance(body.get("kind"), str) and body["kind"] in CLINIC_ACTIONS):
            raise ActionError("unknown_action", f"clinic actions are {', '.join(CLINIC_ACTIONS)};"
                              " a bed's actions go to /api/beds/<id>/actions")  # fmt: skip
        return jsonify(runtime.submit(_command(body, None, "instructor")))

    return api


HIDDEN_EVENTS = frozenset({*EVENT_KINDS, "scenario_moved"})
"""Session events that tell what the instructor did to the patient (an injected event,
a scenario moved with the infusion): the trainee is to find it on the monitor."""


HIDDEN_ACTIONS = frozenset({"inject_event"})
"""Actions whose parameters are the instructor's script."""
HIDDEN_FIELDS = ("scenario", "seed")
"""Which scenario (and draw) a session or a course patient runs: the trainee is to find
out from the patient, not from the file name."""


def _for_reader(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Session and patient records as the signed-in person may read them."""
    if _principal().may("see_hidden"):
        return rows
    return [{k: v for k, v in r.items() if k not in HIDDEN_FIELDS} for r in rows]


def _principal() -> Principal:
    who = current_principal()
    if who is None:  # the access guard answers 401 first; never act for nobody
        raise ActionError("unauthorized", "sign in first", status=401)
    return who


def _command(body: dict[str, Any], bed_id: str | None, demo_actor: str) -> Command:
    """The command as the signed-in person asks it: the actor comes from the login (a
    body's ``actor`` may only repeat it: a trainee claiming "instructor" is refused, 403);
    the open demo acts as the trainee at a bed and as the instructor for the clinic."""
    who = _principal()
    requested = body.get("actor")
    if requested is not None and requested not in ACTORS:
        raise ActionError("bad_actor", f"actor must be trainee, instructor or observer, "
                          f"got {shown(requested)} (and it comes from your login)")  # fmt: skip
    if requested is None and who.open_demo:
        requested = demo_actor
    actor = who.actor_for(requested)
    return Command(body.get("kind"), bed_id, body.get("params"), actor,
                   user_id=who.user_id, user_name=None if who.open_demo else who.name)  # fmt: skip


def _all_channel_ids() -> list[str]:
    return [c.id for c in channels.all_channels()]


def _visible_channel(channel_id: str) -> bool:
    """What a trainee or an observer may read: vital signs, waveforms and the pump's
    rate, never the simulated patient's hidden state."""
    if not channels.is_known(channel_id):
        return True  # an unknown channel has no samples to hide
    info = channels.get(channel_id)
    return info.kind is not channels.Kind.HIDDEN or info.pump_rate


def _no_route() -> HTTPException:
    """404, or 405 when the path exists for other methods (the catch-all above matches
    every method, so routing alone would never say 405)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in _ALL_METHODS:
        try:
            rule, _ = adapter.match(method=method, return_rule=True)
        except HTTPException:
            continue
        if rule.endpoint != request.endpoint:
            allowed.append(method)
    if allowed:
        return MethodNotAllowed(valid_methods=allowed)
    return NotFound(f"no API route {request.path} (the routes are listed in the README)")


def _json_body() -> dict[str, Any]:
    if request.content_length and request.content_length > MAX_BODY_BYTES:
        raise ActionError("too_large", f"body over {MAX_BODY_BYTES} bytes", status=413)
    body = request.get_json(silent=True)
    if body is None:
        raise ActionError("bad_json", "the body must be JSON (Content-Type: "
                             "application/json) such as {\"kind\": \"pause_pump\"}")  # fmt: skip
    if not isinstance(body, dict):
        raise ActionError("bad_json", "the body must be a JSON object")
    if "kind" not in body:
        raise ActionError("bad_json", 'missing "kind"')
    return body


def create_server(runtime: Runtime) -> Flask:
    """A Flask app with the API only (``vitalsdash run --headless``); the caller installs
    the access guard and logins (``vitalsdash.server``)."""
    app = Flask("vitalsdash")
    app.register_blueprint(create_api(runtime))
    return app
