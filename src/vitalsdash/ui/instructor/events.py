"""The instructor's event form: a kind, its magnitudes, its onset and duration.

The fields of each kind come from vitalsim's own event models, read through the simulator
adapter: names, ranges, defaults, which are required, and the words (the kind's and each
field's title), the value a required field starts with (``suggested``) and the placeholder
of an optional one whose empty value is computed (``derived``). So the form cannot drift
from what the simulator accepts. The inputs carry no min/max (a browser would turn an
out-of-range number into "no value"): the range is shown as a hint and the runtime's
validation has the last word, its message shown as is.
"""

from __future__ import annotations

import math
import typing
from dataclasses import dataclass
from typing import Any

import dash_bootstrap_components as dbc
from annotated_types import Ge, Gt, Le, Lt
from dash import html

from vitalsdash.actions import ActionError
from vitalsdash.adapters.simulator import EVENT_KINDS, EVENT_MODELS, EVENT_TITLES
from vitalsdash.ui.instructor.forms import labelled

TIMING = ("onset_min", "duration_min", "offset_min")
_UNITS = (("_mmhg", "mmHg"), ("_bpm", "bpm"), ("_pct", "%"), ("_per_min", "/min"), ("_min", "min"))


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    unit: str
    low: float | None
    high: float | None
    low_open: bool
    default: Any
    required: bool
    numeric: bool
    derived: str = ""  # an empty value means this default, computed ("0.6 × SBP rise")

    @property
    def hint(self) -> str:
        """The accepted range, e.g. "0 < x ≤ 120", or the derived default."""
        if not self.numeric:
            return ""
        if self.low is None or self.high is None:
            return ""
        op = "<" if self.low_open else "≤"
        return f"{self.low:g} {op} x ≤ {self.high:g}"

    @property
    def start(self) -> Any:
        """The value the form starts with (None: empty)."""
        if self.default is not None:
            return self.default
        return None


@dataclass(frozen=True)
class EventForm:
    kind: str
    label: str
    magnitudes: tuple[Field, ...]
    timing: tuple[Field, ...]


def _unit(key: str) -> str:
    for suffix, unit in _UNITS:
        if key.endswith(suffix):
            return unit
    return {"anxiety": "0–1", "severity": "0–10"}.get(key, "")


def _field(key: str, info: Any) -> Field:
    low = high = None
    low_open = False
    for m in info.metadata:
        if isinstance(m, Gt):
            low, low_open = float(m.gt), True
        elif isinstance(m, Ge):
            low = float(m.ge)
        elif isinstance(m, Le):
            high = float(m.le)
        elif isinstance(m, Lt):
            high = float(m.lt)
    required = info.is_required()
    args = set(typing.get_args(info.annotation)) | {info.annotation}
    numeric = bool(args & {float, int})
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    default = extra.get("suggested") if required else info.default
    label = info.title or key.replace("_", " ").capitalize()
    derived = str(extra.get("derived", ""))
    return Field(key, label, _unit(key), low, high, low_open, default, required, numeric, derived)


def _forms() -> dict[str, EventForm]:
    forms: dict[str, EventForm] = {}
    for kind in EVENT_KINDS:
        fields = EVENT_MODELS[kind].model_fields
        mags = tuple(_field(k, f) for k, f in fields.items() if k not in ("at", "kind", *TIMING))
        timing = tuple(_field(k, fields[k]) for k in TIMING if k in fields)
        forms[kind] = EventForm(kind, EVENT_TITLES.get(kind, kind.replace("_", " ")), mags, timing)
    return forms


FORMS: dict[str, EventForm] = _forms()
DEFAULT_KIND = "hypertensive_surge" if "hypertensive_surge" in FORMS else next(iter(FORMS))


def kind_options() -> list[dict[str, str]]:
    return [{"label": f.label, "value": k} for k, f in FORMS.items()]


def mag_id(bed_id: str, key: str) -> dict[str, str]:
    return {"type": "ins-mag", "bed": bed_id, "key": key}


def _input(bed_id: str, f: Field) -> html.Label:
    label = [f.label, html.Span(f" {f.unit}", className="field-unit") if f.unit else None]
    control = dbc.Input(
        id=mag_id(bed_id, f.key),
        type="number" if f.numeric else "text",
        step="any" if f.numeric else None,
        value=f.start,
        size="sm",
        placeholder=f.derived,
    )
    return labelled(label, control, f.hint)


def fields(bed_id: str, kind: str | None) -> list[Any]:
    """The inputs for ``kind``: its magnitudes, then onset, duration and offset."""
    form = FORMS.get(kind or "", FORMS[DEFAULT_KIND])
    items = [_input(bed_id, f) for f in (*form.magnitudes, *form.timing)]
    if not form.magnitudes:
        note = "No magnitude: on or off for the duration."
        items.insert(0, html.Div(note, className="field-note"))
    return items


def _number(f: Field, raw: Any) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ActionError("bad_params", f"{f.label} must be a number.") from None
    if math.isnan(value) or math.isinf(value):
        raise ActionError("bad_params", f"{f.label} must be a number.")
    return value


def params(kind: str | None, values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(kind, params) for inject_event from the form's values; raises ActionError for an
    unknown kind or an empty required field (ranges are the runtime's to check)."""
    form = FORMS.get(kind or "")
    if form is None:
        raise ActionError("bad_params", "Choose an event kind first.")
    out: dict[str, Any] = {}
    for f in (*form.magnitudes, *form.timing):
        raw = values.get(f.key)
        if f.numeric:
            value: Any = _number(f, raw)
        else:
            value = (raw or "").strip() or None
        if value is None:
            if f.required:
                unit = f" ({f.unit})" if f.unit else ""
                raise ActionError("bad_params", f"Enter the {f.label}{unit} first.")
            continue
        out[f.key] = value
    return form.kind, out


def describe(kind: str, p: dict[str, Any]) -> str:
    """One line for the activity list and the confirmation: "Hypertensive surge: SBP rise
    60 mmHg · 20 min (onset 2 min)"."""
    form = FORMS.get(kind)
    if form is None:
        return kind.replace("_", " ")
    parts = []
    for f in form.magnitudes:
        if f.key in p and p[f.key] is not None:
            v = p[f.key]
            text = f"{v:g}" if isinstance(v, int | float) else str(v)
            parts.append(f"{f.label} {text}{' ' + f.unit if f.unit and f.unit[0] != '0' else ''}")
    timing = []
    if "duration_min" in p:
        timing.append(f"{p['duration_min']:g} min")
    if p.get("onset_min") is not None:
        timing.append(f"onset {p['onset_min']:g} min")
    head = form.label + (": " + ", ".join(parts) if parts else "")
    return head + (" · " + ", ".join(timing) if timing else "")
