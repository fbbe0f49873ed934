"""Alarm log lines in the nurse's words: conditions, parameters and limits by their labels.

The alarm log and the action log keep the code names (SYS_HI, NIBP_SYS critical_high):
they are the record, exported and served by the API as they are. What a person reads of
them on a page (chart markers, the instructor's activity list, the settings log, toasts)
is worded here, from the bed's labels (``BedView.alarm_labels``, made by the alarm
engine) and the channel registry, so a page never shows a code name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vitalsdash import channels
from vitalsdash.alarms import APNEA

__all__ = ["condition", "limit", "onset", "parameter", "target"]


def parameter(channel_id: Any) -> str:
    """A channel as an alarm message names it ("Systolic", "HR")."""
    ch = str(channel_id)
    return channels.get(ch).alarm_word if channels.is_known(ch) else ch


def condition(name: Any, labels: Mapping[str, str] | None = None) -> str:
    """A condition in words: the bed's label, else a limit condition's words from the
    registry ("SYS_HI" -> "Systolic high") or "Apnoea", else the name as logged."""
    name = str(name)
    if labels and name in labels:
        return labels[name]
    if name == APNEA:
        return "Apnoea"
    prefix, _, side = name.rpartition("_")
    for c in channels.alarmed():
        if c.short == prefix and side in ("HI", "LO"):
            return f"{c.alarm_word} {'high' if side == 'HI' else 'low'}"
    return name


def limit(channel_id: Any, which: Any) -> str:
    """One limit of a parameter: "Systolic critical high limit"."""
    return f"{parameter(channel_id)} {str(which).replace('_', ' ')} limit"


def target(params: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> str:
    """What an acknowledge action was for: one alarm, or a parameter's alarms."""
    if params.get("channel"):
        return f"{parameter(params['channel'])} alarms"
    return condition(params.get("condition"), labels)


def onset(row: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> str:
    """An alarm's start from its log row: "Systolic high 242 (limit 200)", the value and
    the limit the engine logged."""
    text = condition(row.get("condition"), labels)
    v, lim = row.get("value"), row.get("limit_value", row.get("limit"))
    if v is not None:
        text += f" {v:g}" + ("" if lim is None else f" (limit {lim:g})")
    return text
