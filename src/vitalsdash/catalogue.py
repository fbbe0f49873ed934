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
    scenario_dosing,
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
    named = params.get("protocol")
    protocol_file = _path("protocol", named or cfg.protocol)
    protocol = load_protocol(protocol_file)
    profile = load_profile(_path("alarm_profile", params.get("alarm_profile") or cfg.alarm_profile),
                           max_audio_pause_s=max_audio_pause_s)  # fmt: skip
    scenario = None
    if cfg.source == "simulator":
        scenario = load_scenario(_path("scenario", params.get("scenario") or cfg.scenario or ""))
        if named is None and misfit(protocol, scenario):
            # the chair's usual protocol is for another drug or route: the catalogue's
            # first protocol that fits this scenario (none: the misfit's error below)
            protocol_file, protocol = next(
                ((p, c) for p, c in _protocols() if not misfit(c, scenario)),
                (protocol_file, protocol),
            )
        problems = misfit(protocol, scenario)
        if problems:
            raise ConfigError(protocol_file, problems)
        protocol = session_protocol(protocol, scenario)
    return StartConfigs(protocol, profile, scenario)


def scenario_named(name: str) -> Any:
    """The scenario a catalogue name (checked with :func:`check_name`) names, loaded and
    validated; ConfigError (file, key, reason) when its file is broken."""
    return load_scenario(_path("scenario", name))


def _protocols() -> list[tuple[Path, ProtocolConfig]]:
    """Every protocol of the catalogue that loads, by name."""
    out = []
    for name in names("protocol"):
        try:
            out.append((protocol_path(name), load_protocol(name)))
        except ConfigError:
            continue
    return out


def misfit(protocol: ProtocolConfig, scenario: Any) -> list[tuple[str, str]]:
    """Why ``protocol`` cannot run ``scenario`` (``KEY``, reason), or nothing: it must be
    for the scenario's drug and route, and allow a nasal spray's dose."""
    d = scenario_dosing(scenario)
    info = protocol.protocol
    given = _route_words(d.drug, d.route)
    if (info.drug, info.route) != (d.drug, d.route):
        return [("protocol.route", f"this protocol is for {_route_words(info.drug, info.route)}; "
                 f"the scenario gives {given}: choose a protocol for {given}")]  # fmt: skip
    allowed = info.nasal_doses_mg or []
    if d.route == "intranasal" and not any(abs(d.nasal_dose_mg - a) < 1e-9 for a in allowed):
        doses = ", ".join(f"{a:g}" for a in allowed)
        return [("protocol.nasal_doses_mg", f"the scenario gives {d.nasal_dose_mg:g} mg; this "
                 f"protocol allows {doses} mg")]  # fmt: skip
    return []


def _route_words(drug: str, route: str) -> str:
    return f"{drug} by {'nasal spray' if route == 'intranasal' else 'IV infusion'}"


def session_protocol(protocol: ProtocolConfig, scenario: Any) -> ProtocolConfig:
    """The protocol a session of ``scenario`` runs: ``protocol`` with each NIBP interval the
    scenario's own ``[nibp]`` sets in its place (the scenario wins for that scenario; what
    it leaves out, and a scenario without ``[nibp]``, keeps the protocol's), and with the
    scenario's own ``dose_weight`` when its file sets one. The live session and the
    debrief both ask here."""
    if scenario is None:
        return protocol
    out = protocol.with_nibp(scenario_nibp(scenario))
    own = scenario_dosing(scenario).dose_weight
    if own is not None and not out.protocol.intranasal:
        out = out.with_dose_weight(own)
    return out


__all__ = [
    "NAME",
    "ConfigError",
    "StartConfigs",
    "check_name",
    "load_start_configs",
    "misfit",
    "names",
    "scenario_named",
    "session_protocol",
]
