"""The catalogue of scenarios, protocols and alarm profiles, and loading a session's files.

Over the API (and the UI) a session names its scenario, protocol and alarm profile: a
short name that must be a file of ``config/scenarios/``, ``config/protocols/`` or
``config/alarms/`` (under the current directory, then the shipped config: see
:mod:`vitalsdash.configdir`). Paths are for trusted operators only: the command line and
the clinic file (``BedConfig``).

:func:`load_start_configs` reads and validates the three files; the runtime calls it
before it takes its lock, so a slow disk delays only the request that asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from vitalsdash.adapters.simulator import (
    find_scenario,
    list_scenarios,
    load_scenario,
    scenario_nibp,
)
from vitalsdash.alarms import AlarmProfile, list_profiles, load_profile, profile_path
from vitalsdash.config import BedConfig
from vitalsdash.protocol import ProtocolConfig, list_protocols, load_protocol, protocol_path
from vitalsdash.tomlconfig import ConfigError, shown

What = Literal["scenario", "protocol", "alarm_profile"]
NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
"""A catalogue name: a file's stem, lower case, digits and hyphens."""


def names(what: What) -> list[str]:
    """The names the catalogue has for ``what``, sorted (only names that fit NAME)."""
    if what == "scenario":
        stems = [p.stem for p in list_scenarios()]
    elif what == "protocol":
        stems = list_protocols()
    else:
        stems = list_profiles()
    return sorted(s for s in stems if NAME.fullmatch(s))


def check_name(what: What, value: str) -> str:
    """``value`` if it names an entry of the catalogue; else ValueError listing them."""
    known = ", ".join(names(what)) or "none"
    if not NAME.fullmatch(value):
        raise ValueError(f"must be the name of a {what.replace('_', ' ')} (lower-case letters, "
                         f"digits and '-', not a path); known: {known}")  # fmt: skip
    if value not in names(what):
        raise ValueError(f"no {what.replace('_', ' ')} named {shown(value)}; known: {known}")
    return value


def _path(what: What, value: str | Path) -> Path:
    """A catalogue name's file; anything else (a trusted operator's path) as before."""
    text = str(value)
    if NAME.fullmatch(text) and text in names(what):
        if what == "scenario":
            return next(p for p in list_scenarios() if p.stem == text)
        return protocol_path(text) if what == "protocol" else profile_path(text)
    if what == "scenario":
        return find_scenario(value)
    return protocol_path(value) if what == "protocol" else profile_path(value)


@dataclass(frozen=True)
class StartConfigs:
    """Everything a new session reads from disk, loaded and validated."""

    protocol: ProtocolConfig
    profile: AlarmProfile
    scenario: Any = None  # vitalsim.Scenario for a simulator bed


def load_start_configs(cfg: BedConfig, params: dict[str, Any],
                       max_audio_pause_s: float) -> StartConfigs:  # fmt: skip
    """Load the files of a session on bed ``cfg`` started with ``params`` (start_session's
    validated parameters: names; or, from the clinic file, paths). Raises ConfigError."""
    protocol = load_protocol(_path("protocol", params.get("protocol") or cfg.protocol))
    profile = load_profile(_path("alarm_profile", params.get("alarm_profile") or cfg.alarm_profile),
                           max_audio_pause_s=max_audio_pause_s)  # fmt: skip
    scenario = None
    if cfg.source == "simulator":
        scenario = load_scenario(_path("scenario", params.get("scenario") or cfg.scenario or ""))
        protocol = session_protocol(protocol, scenario)
    return StartConfigs(protocol, profile, scenario)


def scenario_named(name: str) -> Any:
    """The scenario a catalogue name (checked with :func:`check_name`) names, loaded and
    validated; ConfigError (file, key, reason) when its file is broken."""
    return load_scenario(_path("scenario", name))


def session_protocol(protocol: ProtocolConfig, scenario: Any) -> ProtocolConfig:
    """The protocol a session of ``scenario`` runs: ``protocol`` with each NIBP interval the
    scenario's own ``[nibp]`` sets in its place (the scenario wins for that scenario; what
    it leaves out, and a scenario without ``[nibp]``, keeps the protocol's). The live
    session and the debrief both ask here."""
    if scenario is None:
        return protocol
    return protocol.with_nibp(scenario_nibp(scenario))


__all__ = [
    "NAME",
    "ConfigError",
    "StartConfigs",
    "check_name",
    "load_start_configs",
    "names",
    "scenario_named",
    "session_protocol",
]
