"""The clinic: which chairs exist, what feeds each one, and how fast time runs.

``config/clinic.toml`` is data, never code. Every mistake comes out as one ConfigError
naming the file, the key and the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vitalsdash.configdir import catalogue, config_dirs
from vitalsdash.tomlconfig import ConfigError, load_toml_model

__all__ = [
    "DEFAULT_CLINIC",
    "IEC_MAX_AUDIO_PAUSE_S",
    "MAX_SPEED",
    "BedConfig",
    "ClinicConfig",
    "ClinicSection",
    "HostName",
    "load_clinic",
    "resolve_config_path",
]

DEFAULT_CLINIC = Path("config") / "clinic.toml"
MAX_SPEED = 120.0
IEC_MAX_AUDIO_PAUSE_S = 300.0


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


HOST_NAME = r"^([A-Za-z0-9_-]{1,63}\.)*[A-Za-z0-9_-]{1,63}\.?$|^\[[0-9A-Fa-f:.]{2,45}\]$"
HostName = Annotated[str, Field(pattern=HOST_NAME, max_length=253)]
"""A DNS name or IPv4 address (``ward.example.org``, ``10.0.0.5``), or ``[IPv6]``; no port."""


class ClinicSection(_Model):
    name: str = "Training clinic"
    speed: float = Field(default=1.0, ge=1.0, le=MAX_SPEED)
    tick_s: float = Field(default=0.5, gt=0.0, le=5.0)  # wall seconds between ticks
    max_audio_pause_s: float = Field(default=IEC_MAX_AUDIO_PAUSE_S, gt=0, le=IEC_MAX_AUDIO_PAUSE_S)
    unknown_hl7_sources: Literal["create", "reject"] = "create"
    # HL7 over MLLP (docs/hl7.md): how old or how far ahead an observation may be, how
    # many chairs unknown senders may create, and how long a connection may idle or take
    # to finish a frame
    hl7_max_age_s: float = Field(default=12 * 3600.0, gt=0, le=7 * 86400.0)
    hl7_max_ahead_s: float = Field(default=120.0, ge=0, le=3600.0)
    hl7_new_beds_per_min: int = Field(default=4, ge=0, le=600)
    hl7_max_new_beds: int = Field(default=32, ge=0, le=1000)
    mllp_max_connections: int = Field(default=64, ge=1, le=10_000)
    mllp_idle_timeout_s: float = Field(default=300.0, gt=0, le=86400.0)
    mllp_frame_timeout_s: float = Field(default=30.0, gt=0, le=3600.0)
    resume_interrupted: bool = False  # a demo carries on after a restart; a class decides
    live_updates: Literal["poll", "push"] = "poll"  # bedside pages: poll, or a pushed stream
    # pushed bedside pages one server process streams at once (each holds a thread);
    # a page refused a stream polls
    push_streams_max: int = Field(default=32, ge=1, le=1000)
    # a bed whose rows the store refuses holds (retrying) this long, then its session faults
    store_fault_after_s: float = Field(default=30.0, gt=0, le=3600.0)
    # HTTP (docs/security.md): host names the server answers to besides loopback and the
    # address it binds to; open connections at most (~40 browsers, each a push stream
    # and a few parallel requests); a request must arrive whole (headers and body) within
    # the receive timeout of its first byte; a connection with no request running (a push
    # stream is one) closes after the idle timeout
    allowed_hosts: tuple[HostName, ...] = Field(default=(), max_length=32)
    http_max_connections: int = Field(default=200, ge=10, le=500)
    http_receive_timeout_s: int = Field(default=10, ge=1, le=300)
    http_idle_timeout_s: int = Field(default=30, ge=2, le=3600)
    # logins (docs/security.md): required on loopback too, and the session cookie sent
    # over HTTPS only (set it when a reverse proxy serves the clinic over HTTPS)
    require_login: bool = False
    session_cookie_secure: bool = False


class BedConfig(_Model):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    label: str = ""
    source: Literal["simulator", "replay", "hl7", "none"] = "simulator"
    scenario: str | None = None
    seed: int = 0
    recording: str | None = None
    hl7_source: str | None = None  # the sender's key (PV1-3 location etc.); default: the id
    protocol: str = "depression-40min"
    alarm_profile: str = "ketamine-infusion"
    # Two different starts. `autostart`: the monitor starts a SESSION on this bed when the
    # server starts (the patient is in the chair, the baseline begins). `auto_start`: the
    # bed starts the INFUSION by itself at the end of the baseline, as soon as the
    # pre-infusion check passes (a caution or a block holds it, with the reason shown);
    # false (the default): the infusion waits for a trainee or an instructor to start it.
    autostart: bool = True
    auto_start: bool = False

    @model_validator(mode="after")
    def _source_needs(self) -> BedConfig:
        if self.source == "simulator" and not self.scenario:
            raise ValueError("a simulator bed needs `scenario` (a name in config/scenarios)")
        if self.source == "replay" and not self.recording:
            raise ValueError("a replay bed needs `recording` (a vitalsim run CSV or Parquet)")
        return self

    @property
    def display_name(self) -> str:
        return self.label or self.id


class ClinicConfig(_Model):
    clinic: ClinicSection = ClinicSection()
    beds: list[BedConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> ClinicConfig:
        seen: set[str] = set()
        for bed in self.beds:
            if bed.id in seen:
                raise ValueError(f"bed id {bed.id!r} is used twice")
            seen.add(bed.id)
        return self


def resolve_config_path(name_or_path: str | Path, folder: str, what: str) -> Path:
    """A file given as a path, or ``NAME`` in ``config/<folder>/`` (see vitalsdash.configdir)."""
    p = Path(name_or_path)
    if p.suffix == ".toml" and p.is_file():
        return p
    for d in config_dirs(folder):
        candidate = d / f"{p.stem if p.suffix == '.toml' else p}.toml"
        if candidate.is_file():
            return candidate
    known = list(catalogue(folder))
    raise ConfigError(p, [("(file)", f"no such {what}; available: {', '.join(known) or 'none'}")])


def load_clinic(path: str | Path | None = None) -> ClinicConfig:
    if path is None:
        path = next(
            (d / "clinic.toml" for d in config_dirs() if (d / "clinic.toml").is_file()),
            Path.cwd() / DEFAULT_CLINIC,
        )
    return load_toml_model(path, ClinicConfig)
