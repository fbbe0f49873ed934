"""Alarm limits per chair: the table of limits in force, and applying an edit of it.

The values shown are the ones the bed's alarm engine evaluates now (the profile for the
current phase with every edit on top), from the runtime's view. Applying is all or
nothing: the changed cells go to the runtime as one ``set_limits`` command, which applies
them on the engine in an order that keeps every step valid (raising a high limit before
the low one follows it up, say) and stores them together, each one a ``set_limit`` action
that the alarm log records with its old and new values, or none of them. A rejected edit
comes back as the engine's message.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from vitalsdash import channels
from vitalsdash.actions import ActionError
from vitalsdash.runtime import LimitEdit, Runtime, set_limits
from vitalsdash.ui import fmt
from vitalsdash.ui._who import command
from vitalsdash.ui.instructor.forms import button, dom_id

__all__ = [
    "CHANNELS",
    "Outcome",
    "apply",
    "channel_rows",
    "head_text",
    "label_of",
    "off_notice",
    "snapshot",
    "submit",
    "table",
]


def channel_rows() -> tuple[tuple[str, str, str, str], ...]:
    """(channel, label, unit, condition prefix) per alarmed channel of the registry."""
    return tuple((c.id, c.label, c.unit, c.short) for c in channels.alarmed())


def label_of(ch: str) -> str:
    """The nurse's name of a channel (its id when it is not registered)."""
    return channels.get(ch).label if channels.is_known(ch) else ch


CHANNELS = channel_rows()
"""The built-in rows (a channel registered later is in ``channel_rows()``)."""
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


def snapshot(rt: Runtime, bed_id: str) -> BedLimits | None:
    """The chair's settings from the runtime's view (the limits its engine evaluates now)."""
    view = rt.view(bed_id)
    if view is None:
        return None
    out = BedLimits(bed_id, view.label)
    if view.session_id is None:
        return out
    out.session_id, out.status, out.phase, out.t_s = (view.session_id, view.status, view.phase,
                                                      view.t_s)  # fmt: skip
    out.profile = view.profile
    out.limits = {ch: dict(row) for ch, row in view.limits_in_force.items()}
    offs = view.signals.alarms_off if view.signals is not None else ()
    out.off = {str(n.channel): float(n.since_s) for n in offs}
    out.reminding = tuple(str(n.channel) for n in offs if n.reminding)
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
    for ch, _, unit, _ in channel_rows():
        for which, wlabel in WHICH:
            if (ch, which) not in values:
                continue
            now = limits.get(ch, {}).get(which)
            v = _number(values[(ch, which)])
            name = f"{label_of(ch)} {wlabel.lower()}"
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


def apply(rt: Runtime, bed_id: str, values: dict[tuple[str, str], Any], actor: str) -> Outcome:
    """Apply the table's edits: all of them (each one logged) or none, in one ``set_limits``
    command that the runtime validates on the bed's engine."""
    if actor not in ACTORS:
        actor = "instructor"
    try:
        now = snapshot(rt, bed_id)
        if now is None or not now.editable:
            raise ActionError("no_session", f"{bed_id} has no session running.")
        wanted = edits(now.limits, values)
        if not wanted:
            return Outcome(True, "Nothing changed.")
        asked = set_limits(bed_id, [LimitEdit(*e) for e in wanted], actor)
        done = rt.submit(command(asked.kind, bed_id, asked.params, actor))
    except ActionError as exc:
        return Outcome(False, exc.words)
    order = [(e["channel"], e["which"], e["value"]) for e in done["applied"]]
    if not order:
        return Outcome(True, "Nothing changed.")
    text = ", ".join(f"{label_of(ch)} {w.replace('_', ' ')} {v:g}" for ch, w, v in order)
    return Outcome(True, f"Limits set: {text}")


def submit(
    rt: Runtime, bed_id: str, kind: str, params: dict[str, Any], actor: str, message: str
) -> Outcome:
    """alarm_off, alarm_on, auto_limits: the runtime's message when it says no."""
    try:
        rt.submit(command(kind, bed_id, params, actor if actor in ACTORS else "instructor"))
    except ActionError as exc:
        return Outcome(False, exc.words)
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
        f"{label_of(ch)} {wlabel.lower()}",
        htmlFor=dom_id(control.id),
        className="visually-hidden",
    )
    return html.Td(
        [name, control],
        className="lim-cell",
        **{"data-which": which},
    )


def _toggle(bed_id: str, ch: str, off: bool) -> Any:
    label = label_of(ch)
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
    for ch, label, unit, _ in channel_rows():
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
    parts = [f"{label_of(ch)} since {fmt.clock(t)}" for ch, t in sorted(b.off.items())]
    cls = "set-off-notice" + (" reminding" if b.reminding else "")
    return "⚠ Alarms OFF: " + "; ".join(parts), cls
