"""Alarm limits per chair: the table of limits in force, and applying an edit of it.

The values shown are the ones the bed's alarm engine evaluates now (the profile for the
current phase with every edit on top). Applying is all or nothing: the edits are tried
first on a copy of the engine (``AlarmEngine.snapshot``), in an order that keeps every
step valid (raising a high limit before the low one follows it up, say), and submitted to
the runtime only when all of them pass, each one a ``set_limit`` action that the alarm log
records with its old and new values. A rejected edit comes back as the engine's message.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from vitalsdash.actions import ActionError
from vitalsdash.alarms import AlarmAction, AlarmActionError, AlarmEngine
from vitalsdash.runtime import Runtime
from vitalsdash.ui import fmt
from vitalsdash.ui.components.instructor_forms import button, dom_id

# channel, label, unit, condition prefix
CHANNELS: tuple[tuple[str, str, str, str], ...] = (
    ("HR", "HR", "bpm", "HR"),
    ("SPO2", "SpO₂", "%", "SPO2"),
    ("RR", "RR", "/min", "RR"),
    ("NIBP_SYS", "NIBP SYS", "mmHg", "SYS"),
    ("NIBP_DIA", "NIBP DIA", "mmHg", "DIA"),
    ("NIBP_MAP", "NIBP MAP", "mmHg", "MAP"),
)
CHANNEL_LABEL = {ch: label for ch, label, _, _ in CHANNELS}
WHICH: tuple[tuple[str, str], ...] = (
    ("critical_low", "Critical low"),
    ("low", "Low"),
    ("high", "High"),
    ("critical_high", "Critical high"),
)
ACTORS = ("instructor", "trainee")

Limits = dict[str, dict[str, float | None]]


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str


@dataclass
class BedLimits:
    """One chair's alarm settings now (session None: nothing to edit)."""

    bed_id: str
    label: str
    session_id: int | None = None
    status: str | None = None
    phase: str | None = None
    t_s: float = 0.0
    profile: str = ""
    limits: Limits = field(default_factory=dict)
    off: dict[str, float] = field(default_factory=dict)  # channel -> off since (session s)
    reminding: tuple[str, ...] = ()

    @property
    def editable(self) -> bool:
        return self.status == "running"

    def key(self) -> Any:
        """What the table shows: it is redrawn when this changes."""
        return (self.session_id, self.status, self.phase, self.limits, sorted(self.off))


def _finite(v: float | None) -> float | None:
    return None if v is None or math.isinf(v) or math.isnan(v) else float(v)


def in_force(engine: AlarmEngine) -> Limits:
    """Per channel, the four limits the engine evaluates now (None: not alarmed).

    A channel whose alarms are off keeps its limits (they apply again when it is back on).
    """
    conds = engine.state.conds
    out: Limits = {}
    for ch, _, _, prefix in CHANNELS:
        hi, lo = conds.get(f"{prefix}_HI"), conds.get(f"{prefix}_LO")
        out[ch] = {
            "critical_low": None if lo is None else _finite(lo.critical),
            "low": None if lo is None else _finite(lo.limit),
            "high": None if hi is None else _finite(hi.limit),
            "critical_high": None if hi is None else _finite(hi.critical),
        }
    return out


def snapshot(rt: Runtime, bed_id: str) -> BedLimits | None:
    with rt.lock:
        bed = rt.beds.get(bed_id)
        if bed is None:
            return None
        out = BedLimits(bed_id, bed.config.display_name)
        s = bed.session
        if s is None:
            return out
        now = float(s.t_s)
        sig = s.engine.signals(now)
        out.session_id, out.status, out.phase, out.t_s = s.session_id, s.status, s.phase.value, now
        out.profile = s.engine.profile.name
        out.limits = in_force(s.engine)
        out.off = {n.channel.value: float(n.since_s) for n in sig.alarms_off}
        out.reminding = tuple(n.channel.value for n in sig.alarms_off if n.reminding)
        return out


# -- applying ------------------------------------------------------------------------------


def _number(raw: Any) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        v = float(raw)
    except (TypeError, ValueError):
        return math.nan
    return v


def edits(limits: Limits, values: dict[tuple[str, str], Any]) -> list[tuple[str, str, float]]:
    """The cells whose value differs from the limit in force, as (channel, which, value).

    Raises ActionError for a cell emptied (a limit cannot be removed: its alarm can be
    turned off) or not a number."""
    out = []
    for ch, _, unit, _ in CHANNELS:
        for which, wlabel in WHICH:
            if (ch, which) not in values:
                continue
            now = limits.get(ch, {}).get(which)
            v = _number(values[(ch, which)])
            name = f"{CHANNEL_LABEL[ch]} {wlabel.lower()}"
            if v is None:
                if now is None:
                    continue
                raise ActionError(
                    "bad_params",
                    f"{name}: enter a number in {unit} (a limit cannot be removed; "
                    "turn the parameter's alarms off instead).",
                )
            if math.isnan(v) or math.isinf(v):
                raise ActionError("bad_params", f"{name} must be a number.")
            if now is None or abs(v - now) > 1e-9:
                out.append((ch, which, v))
    return out


def plan(
    engine: AlarmEngine, wanted: list[tuple[str, str, float]], t_s: float, actor: str
) -> list[tuple[str, str, float]]:
    """``wanted`` in an order in which each edit is valid, tried on a copy of the engine;
    raises ActionError with the engine's message when they cannot all be applied."""
    trial = engine.snapshot()
    todo, done = list(wanted), []
    while todo:
        error: AlarmActionError | None = None
        before = len(todo)
        for e in list(todo):
            ch, which, value = e
            try:
                trial.act(AlarmAction.set_limit(ch, which, value, t_s, actor), t_s)
            except AlarmActionError as exc:
                error = error or exc
                continue
            todo.remove(e)
            done.append(e)
        if len(todo) == before and error is not None:  # a pass without progress: no order works
            raise ActionError(error.code, str(error))
    return done


def apply(rt: Runtime, bed_id: str, values: dict[tuple[str, str], Any], actor: str) -> Outcome:
    """Apply the table's edits: all of them (each one logged) or none."""
    if actor not in ACTORS:
        actor = "instructor"
    try:
        with rt.lock:  # no tick between the trial and the real thing
            bed = rt.beds.get(bed_id)
            s = None if bed is None else bed.session
            if s is None or s.status != "running":
                raise ActionError("no_session", f"{bed_id} has no session running.")
            wanted = edits(in_force(s.engine), values)
            if not wanted:
                return Outcome(True, "Nothing changed.")
            order = plan(s.engine, wanted, float(s.t_s), actor)
            for ch, which, value in order:
                rt.submit(
                    bed_id, "set_limit", {"channel": ch, "which": which, "value": value}, actor
                )
    except ActionError as exc:
        return Outcome(False, exc.message)
    done = ", ".join(f"{CHANNEL_LABEL[ch]} {w.replace('_', ' ')} {v:g}" for ch, w, v in order)
    return Outcome(True, f"Limits set: {done}")


def submit(
    rt: Runtime, bed_id: str, kind: str, params: dict[str, Any], actor: str, message: str
) -> Outcome:
    """alarm_off, alarm_on, auto_limits: the runtime's message when it says no."""
    try:
        rt.submit(bed_id, kind, params, actor if actor in ACTORS else "instructor")
    except ActionError as exc:
        return Outcome(False, exc.message)
    return Outcome(True, message)


# -- layout --------------------------------------------------------------------------------


def limit_id(bed_id: str, ch: str, which: str) -> dict[str, str]:
    return {"type": "lim", "bed": bed_id, "ch": ch, "which": which}


def _cell(bed_id: str, ch: str, which: str, wlabel: str, value: float | None) -> html.Td:
    control = dbc.Input(
        id=limit_id(bed_id, ch, which),
        type="number",
        step="any",
        value=value,
        size="sm",
        placeholder="none",
        className="lim-input",
    )
    name = html.Label(
        f"{CHANNEL_LABEL[ch]} {wlabel.lower()}",
        htmlFor=dom_id(control.id),
        className="visually-hidden",
    )
    return html.Td(
        [name, control],
        className="lim-cell",
        **{"data-which": which},
    )


def _toggle(bed_id: str, ch: str, off: bool) -> Any:
    label = CHANNEL_LABEL[ch]
    if off:
        return button(
            "Turn on",
            {"type": "set-on", "bed": bed_id, "ch": ch},
            "go",
            title=f"Turn {label} alarms back on",
        )
    return dcc.ConfirmDialogProvider(
        button("Turn off", variant="plain", title=f"Turn {label} alarms off"),
        id={"type": "set-off", "bed": bed_id, "ch": ch},
        message=f"Turn {label} alarms off? A reminder shows until they are back on.",
    )


def table(b: BedLimits) -> list[Any]:
    """The limits table of a chair with a running session (else a sentence)."""
    if not b.editable:
        why = "No session" if b.session_id is None else f"Session {b.status}"
        return [
            html.P(
                f"{why}: limits belong to a running session's alarm engine. "
                "Start one from the instructor console.",
                className="set-none",
            )
        ]
    head = html.Thead(
        html.Tr(
            [html.Th("Parameter", scope="col"), html.Th("Alarm", scope="col")]
            + [html.Th(w, scope="col") for _, w in WHICH]
        )
    )
    rows = []
    for ch, label, unit, _ in CHANNELS:
        off = ch in b.off
        state = html.Span("OFF" if off else "On", className="lim-state " + ("off" if off else "on"))
        rows.append(
            html.Tr(
                [
                    html.Th([label, html.Span(f" {unit}", className="field-unit")], scope="row"),
                    html.Td([state, _toggle(b.bed_id, ch, off)], className="lim-alarm"),
                    *[_cell(b.bed_id, ch, w, wl, b.limits.get(ch, {}).get(w)) for w, wl in WHICH],
                ],
                className="lim-row" + (" alarm-is-off" if off else ""),
                **{"data-channel": ch},
            )
        )
    buttons = html.Div(
        [
            button("Apply changes", {"type": "set-apply", "bed": b.bed_id}, "go"),
            button(
                "Auto-limits from baseline",
                {"type": "set-auto", "bed": b.bed_id},
                title="HR 0.8–1.25 × baseline; NIBP by the adult formula",
            ),
            button(
                "Undo edits",
                {"type": "set-undo", "bed": b.bed_id},
                title="Show the limits in force again",
            ),
        ],
        className="btn-row",
    )
    return [html.Table([head, html.Tbody(rows)], className="lim-table"), buttons]


def head_text(b: BedLimits) -> str:
    if b.session_id is None:
        return "No session"
    if not b.editable:
        return f"Session {b.status}"
    return f"{fmt.phase(b.phase)} phase · profile {b.profile}"


def off_notice(b: BedLimits) -> tuple[str, str]:
    """(text, class) of the persistent alarm-off reminder."""
    if not b.off:
        return "", "set-off-notice"
    parts = [f"{CHANNEL_LABEL[ch]} since {fmt.clock(t)}" for ch, t in sorted(b.off.items())]
    cls = "set-off-notice" + (" reminding" if b.reminding else "")
    return "⚠ Alarms OFF: " + "; ".join(parts), cls
