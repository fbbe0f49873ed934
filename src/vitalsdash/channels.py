"""The channel registry: every fact about a channel lives in its one record here.

Adapters, alarms, the store, the API, the pages, the debrief and the report ask this
module which channels exist and how to show, check and alarm them; none keeps its own
table. A new vital sign is one ``register`` call (docs/architecture.md, "Adding a
channel"). The records are frozen; ``model.Channel`` names the built-in ids for code that
means one channel in particular (the SpO2 probe, the NIBP cuff).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "KPA_TO_MMHG",
    "Channel",
    "ChannelInfo",
    "Condition",
    "Kind",
    "alarmed",
    "all_channels",
    "by_hl7_code",
    "channel_of",
    "charted_truth",
    "get",
    "is_known",
    "of_kind",
    "on_change",
    "panels",
    "pump_rate_channel",
    "register",
    "unregister",
    "waves",
]


class Channel(StrEnum):
    """The built-in channel ids, for code about one channel in particular (the pump rate
    that drives the phases, the protocol's criteria). Any other channel is a plain ``str``
    id; a ``Channel`` equals and hashes as its ``str``. Facts live in the records below."""

    HR = "HR"
    SPO2 = "SPO2"
    RR = "RR"
    ETCO2 = "ETCO2"
    NIBP_SYS = "NIBP_SYS"
    NIBP_DIA = "NIBP_DIA"
    NIBP_MAP = "NIBP_MAP"
    PUMP_RATE = "PUMP_RATE"
    KET_CP = "KET_CP"
    KET_CE = "KET_CE"
    DISSOCIATION_SCORE = "DISSOCIATION_SCORE"
    SEDATION_SCORE = "SEDATION_SCORE"
    NAUSEA_SCORE = "NAUSEA_SCORE"
    ECG_II = "ECG_II"
    PLETH = "PLETH"
    CO2 = "CO2"


_BUILT_IN: dict[str, Channel] = {c.value: c for c in Channel}


def channel_of(name: str) -> str | None:
    """The id of a registered channel (a ``Channel`` for a built-in one), None if unknown."""
    built_in = _BUILT_IN.get(name)
    if built_in is not None:
        return built_in
    return name if name in _REGISTRY else None


class Kind(StrEnum):
    CONTINUOUS = "continuous"  # streamed every second or every few seconds (HR, SpO2, RR)
    PERIODIC = "periodic"  # one value per completed measurement (NIBP)
    WAVEFORM = "waveform"  # many samples a second (not drawn as a numeric)
    HIDDEN = "hidden"  # not a vital sign on the monitor: pump rate, simulated concentrations


class Condition(StrEnum):
    """The alarm conditions a channel supports (alarms.md)."""

    LIMITS = "limits"  # <SHORT>_HI / <SHORT>_LO against the limits in force
    NO_DATA = "no_data"  # NO_DATA_<ID> when a continuous channel goes quiet
    SENSOR_OFF = "sensor_off"  # an invalid sample means the probe is off (SpO2)
    CUFF_FAIL = "cuff_fail"  # an invalid reading means the cuff failed (NIBP)
    SAT_SECONDS = "sat_seconds"  # SatSeconds may replace the low limit's delay (SpO2)
    APNEA = "apnea"  # APNEA when no reading (one per breath) comes for the profile's apnea_s


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """One channel. Ranges are in ``unit``; ``hl7_units`` maps a UCUM/MDC unit to the
    factor that converts it to ``unit``."""

    id: str
    label: str  # the nurse's word for it: "SpO₂"
    unit: str
    kind: Kind
    precision: int = 0  # decimals shown
    colour: str = "#e8edf2"
    valid_range: tuple[float, float] = (float("-inf"), float("inf"))
    """What a device may report; a value outside it is refused on input (HL7)."""
    limit_range: tuple[float, float] | None = None
    """Where an alarm limit may be set (profile and set_limit); None: never alarmed."""
    alarm_label: str = ""  # in technical alarm messages ("NIBP cuff failure"); default: label
    short: str = ""  # condition prefix: SYS_HI rather than NIBP_SYS_HI, as monitors show it
    conditions: frozenset[Condition] = frozenset()
    default_limits: Mapping[str, float] = field(default_factory=dict)
    """Limits used when an alarm profile says nothing of this channel (plug-in channels)."""
    auto_limits: tuple[tuple[float, float], tuple[float, float]] | None = None
    """(slope, offset) of the low and the high limit from the patient's baseline."""
    hl7_codes: tuple[int, ...] = ()  # MDC observation codes (OBX-3) that mean this channel
    hl7_units: Mapping[str, float] = field(default_factory=dict)
    panel: str = ""  # channels drawn together (NIBP sys/dia/map) share a panel
    panel_label: str = ""  # the panel's title ("NIBP")
    rank: int = 100  # where its panel stands on the monitor (numerics, trends): lower first
    trend_range: tuple[float, float] | None = None  # always shown on the trend axis
    trend_height: float = 0.2  # its panel's share of the trend chart's height
    trend_label: str = ""  # its trace's name on the trend chart; default: label
    marker: str = ""  # a periodic channel's marker on charts
    secondary: bool = False  # drawn muted beside its panel's main values (the NIBP mean)
    print_colour: str = "#333333"  # on white paper (report, review timeline)
    print_height: float = 0.1  # its row's share of the report timeline's height
    baseline: bool = False  # its baseline is measured before the infusion
    tile: bool = False  # its panel is on the central station's tile
    sparkline_range: tuple[float, float] | None = None  # drawn on the tile's sparkline
    responses: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Patient actions (besides the pump's) that address its "high" or "low" alarm."""
    alarm_word: str = ""
    """The parameter's word in an alarm message and on its banner row ("Systolic" in
    "Systolic high 242 > 200"); default: label."""
    pump_rate: bool = False
    """The infusion pump's rate: a recording without phases starts and ends the infusion
    where it leaves and returns to 0 (one channel has it)."""
    sample_rate_hz: int = 0
    """A waveform's samples per second (a WAVEFORM channel)."""
    wave_scale: float = 0.0
    """A waveform's resolution on the wire: ``unit`` per int16 count (vitalsdash.waves)."""
    wave_range: tuple[float, float] | None = None
    """A waveform's vertical extent on the monitor, in ``unit``."""
    sweep_mm_s: float = 0.0
    """How fast the monitor sweeps it, as monitors state it (ECG 25 mm/s)."""
    numeric: str = ""
    """The numeric a waveform belongs to (ECG II: HR); it takes that channel's colour."""
    charted: str = ""
    """The observation a nurse charts (``sedation``) whose true value this hidden channel
    is: the simulated patient's own score, which the debrief sets the charted one against."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "short", self.short or self.id)
        object.__setattr__(self, "alarm_label", self.alarm_label or self.label)
        object.__setattr__(self, "alarm_word", self.alarm_word or self.label)
        object.__setattr__(self, "trend_label", self.trend_label or self.label)
        object.__setattr__(self, "panel", self.panel or self.id)
        object.__setattr__(self, "panel_label", self.panel_label or self.label)
        object.__setattr__(self, "default_limits", MappingProxyType(dict(self.default_limits)))
        object.__setattr__(self, "hl7_units", MappingProxyType(dict(self.hl7_units)))
        object.__setattr__(self, "responses", MappingProxyType(dict(self.responses)))

    @property
    def alarmed(self) -> bool:
        return Condition.LIMITS in self.conditions

    @property
    def continuous(self) -> bool:
        return self.kind is Kind.CONTINUOUS

    @property
    def periodic(self) -> bool:
        return self.kind is Kind.PERIODIC

    @property
    def shown(self) -> bool:
        """A vital sign on the monitor (numerics, trends, review), not a hidden one."""
        return self.kind in (Kind.CONTINUOUS, Kind.PERIODIC)

    def supports(self, condition: Condition) -> bool:
        return condition in self.conditions


_REGISTRY: dict[str, ChannelInfo] = {}
_LISTENERS: list[Callable[[], None]] = []


def register(channel: ChannelInfo) -> ChannelInfo:
    """Add a channel (tests, plug-ins); an id or HL7 code already taken is refused."""
    if channel.id in _REGISTRY:
        raise ValueError(f"channel {channel.id} is already registered")
    taken = {code for c in _REGISTRY.values() for code in c.hl7_codes}
    if taken & set(channel.hl7_codes):
        raise ValueError(f"HL7 code(s) {sorted(taken & set(channel.hl7_codes))} are taken")
    _REGISTRY[channel.id] = channel
    _changed()
    return channel


def unregister(channel_id: str) -> None:
    """Remove a channel registered with ``register`` (a test's clean-up)."""
    del _REGISTRY[channel_id]
    _changed()


def on_change(listener: Callable[[], None]) -> None:
    """Call ``listener`` after every register/unregister (tables built from the registry)."""
    _LISTENERS.append(listener)


def _changed() -> None:
    for listener in _LISTENERS:
        listener()


def get(channel_id: str) -> ChannelInfo:
    """The record of ``channel_id``; KeyError for an unknown one."""
    return _REGISTRY[str(channel_id)]


def is_known(channel_id: str) -> bool:
    return str(channel_id) in _REGISTRY


def all_channels() -> tuple[ChannelInfo, ...]:
    """Every channel, in registration order (the order pages list them in)."""
    return tuple(_REGISTRY.values())


def of_kind(*kinds: Kind) -> tuple[ChannelInfo, ...]:
    return tuple(c for c in _REGISTRY.values() if c.kind in kinds)


def alarmed() -> tuple[ChannelInfo, ...]:
    """Channels with alarm limits (pump rate and concentrations never are)."""
    return tuple(c for c in _REGISTRY.values() if c.alarmed)


def panels() -> dict[str, tuple[ChannelInfo, ...]]:
    """Shown channels grouped by panel, panels by rank (NIBP: sys, dia, map together)."""
    out: dict[str, list[ChannelInfo]] = {}
    for c in sorted(_REGISTRY.values(), key=lambda c: c.rank):
        if c.shown:
            out.setdefault(c.panel, []).append(c)
    return {k: tuple(v) for k, v in out.items()}


def waves() -> tuple[ChannelInfo, ...]:
    """The waveforms, in the monitor's order (ECG first)."""
    return tuple(sorted(of_kind(Kind.WAVEFORM), key=lambda c: c.rank))


def charted_truth() -> dict[str, str]:
    """Charted observation kind -> the hidden channel that holds its true value (the
    simulator's scores): ``{"sedation": ..., ...}``; empty for a kind without one."""
    return {c.charted: c.id for c in _REGISTRY.values() if c.charted}


def pump_rate_channel() -> str:
    """The id of the infusion pump's rate channel; LookupError if none is registered."""
    for c in _REGISTRY.values():
        if c.pump_rate:
            return c.id
    raise LookupError("no pump rate channel is registered")


def by_hl7_code() -> dict[int, str]:
    """MDC observation code -> channel id."""
    return {code: c.id for c in _REGISTRY.values() for code in c.hl7_codes}


# The built-in channels. Colours are the monitor's (ui/theme.py reads them from here).
KPA_TO_MMHG = 1000.0 / 133.322387415
_NIBP = {
    "unit": "mmHg",
    "kind": Kind.PERIODIC,
    "colour": "#f2f2f2",
    "valid_range": (0.0, 350.0),
    "limit_range": (0.0, 300.0),
    "conditions": frozenset({Condition.LIMITS, Condition.CUFF_FAIL}),
    "hl7_units": {"mmHg": 1.0, "kPa": KPA_TO_MMHG},
    "panel": "NIBP",
    "panel_label": "NIBP",
    "alarm_label": "NIBP",
    "trend_range": (50.0, 200.0),
    "baseline": True,
    "responses": {
        "high": frozenset({"give_antihypertensive", "reassure", "nibp_start"}),
        "low": frozenset({"reposition", "nibp_start"}),
    },
    "print_height": 0.15,
    "rank": 30,
    "trend_height": 0.26,
    "tile": True,
}
for _info in (
    ChannelInfo(
        "HR", "HR", "bpm", Kind.CONTINUOUS, colour="#3fe07a",
        valid_range=(0.0, 350.0), limit_range=(0.0, 300.0),
        conditions=frozenset({Condition.LIMITS, Condition.NO_DATA}),
        auto_limits=((0.8, 0.0), (1.25, 0.0)),
        responses={
            "high": frozenset({"reassure", "give_antihypertensive"}),
            "low": frozenset({"reposition"}),
        },
        # ECG heart rate, pulse oximeter pulse rate, pulse rate, non-invasive pulse rate
        hl7_codes=(147842, 149530, 149522, 149546),
        hl7_units={"bpm": 1.0, "per_min": 1.0},
        trend_range=(40.0, 140.0), baseline=True, print_colour="#1f77b4", print_height=0.15,
        rank=10, trend_height=0.195, tile=True, sparkline_range=(40.0, 150.0),
    ),
    ChannelInfo(
        "SPO2", "SpO₂", "%", Kind.CONTINUOUS, colour="#4cc9ff",
        valid_range=(0.0, 100.0), limit_range=(0.0, 100.0),
        conditions=frozenset(
            {Condition.LIMITS, Condition.NO_DATA, Condition.SENSOR_OFF, Condition.SAT_SECONDS}
        ),
        alarm_label="SpO2", hl7_codes=(150456,), hl7_units={"%": 1.0},  # MDC_PULS_OXIM_SAT_O2
        responses={"low": frozenset({"oxygen_on", "reposition"})},
        trend_range=(85.0, 100.0), baseline=True, print_colour="#6a3d9a", print_height=0.11,
        rank=20, trend_height=0.17, tile=True, sparkline_range=(80.0, 101.0),
    ),
    ChannelInfo(
        "RR", "RR", "/min", Kind.CONTINUOUS, colour="#d0a8ff",
        valid_range=(0.0, 150.0), limit_range=(0.0, 150.0),
        conditions=frozenset({Condition.LIMITS, Condition.NO_DATA}),
        auto_limits=((0.5, 0.0), (1.5, 0.0)),
        responses={"low": frozenset({"oxygen_on", "reposition"}), "high": frozenset({"reassure"})},
        # MDC_RESP_RATE; from capnography: MDC_CO2_RESP_RATE, and MDC_AWAY_RESP_RATE (the
        # airway rate, Philips' awRR)
        hl7_codes=(151562, 151594, 151570),
        hl7_units={"resp": 1.0, "per_min": 1.0, "bpm": 1.0},
        trend_range=(0.0, 32.0), print_colour="#2ca02c", print_height=0.09, rank=40,
    ),
    # End-tidal CO2: one reading per breath, at its end, so a silence is an apnoea (APNEA),
    # not a lost signal (no NO_DATA). Not on the tile: its three numerics fill the row.
    ChannelInfo(
        "ETCO2", "EtCO₂", "mmHg", Kind.CONTINUOUS, colour="#ffd84d", alarm_label="EtCO2",
        valid_range=(0.0, 150.0), limit_range=(0.0, 150.0),
        conditions=frozenset({Condition.LIMITS, Condition.APNEA}),
        responses={
            # hypoventilation: open the airway (and the pump's own actions); oxygen hides
            # it from the SpO2 and does nothing for the CO2
            "high": frozenset({"reposition"}),
            # hyperventilation (anxiety, emergence) or a displaced sampling line
            "low": frozenset({"reassure", "reposition"}),
        },
        # MDC_CONC_AWAY_CO2_ET (also written MDC_AWAY_CO2_ET); % is not taken: it needs the
        # barometric pressure to become mmHg
        hl7_codes=(151708,), hl7_units={"mmHg": 1.0, "kPa": KPA_TO_MMHG},
        trend_range=(0.0, 60.0), baseline=True, print_colour="#b8860b", print_height=0.09,
        rank=50, trend_height=0.17,
    ),
    ChannelInfo(
        "NIBP_SYS", "NIBP SYS", short="SYS", marker="triangle-down", alarm_word="Systolic",
        trend_label="Systolic", print_colour="#b22222",
        auto_limits=((0.68, 10.0), (0.86, 38.0)), sparkline_range=(60.0, 230.0),
        hl7_codes=(150021,), **_NIBP,  # MDC_PRESS_BLD_NONINV_SYS
    ),
    ChannelInfo(
        "NIBP_DIA", "NIBP DIA", short="DIA", marker="triangle-up", alarm_word="Diastolic",
        trend_label="Diastolic", print_colour="#b22222",
        auto_limits=((0.68, 6.0), (0.86, 32.0)),
        hl7_codes=(150022,), **_NIBP,  # MDC_PRESS_BLD_NONINV_DIA
    ),
    ChannelInfo(
        "NIBP_MAP", "NIBP MAP", short="MAP", marker="line-ew-open", alarm_word="MAP",
        trend_label="Mean", print_colour="#444",
        secondary=True,
        auto_limits=((0.68, 8.0), (0.86, 35.0)),
        hl7_codes=(150023,),  # MDC_PRESS_BLD_NONINV_MEAN
        **{**_NIBP, "colour": "#9aa6b2"},  # drawn muted beside sys/dia, everywhere
    ),
    ChannelInfo("PUMP_RATE", "Pump rate", "mg/kg/h", Kind.HIDDEN, precision=2, colour="#ffb36b",
                print_colour="#ff7f0e", pump_rate=True),
    ChannelInfo("KET_CP", "Ketamine Cp", "ng/mL", Kind.HIDDEN),
    ChannelInfo("KET_CE", "Ketamine Ce", "ng/mL", Kind.HIDDEN),
    # what the simulated patient feels, every 10 s: the truth of the nurse's charted scores
    ChannelInfo("DISSOCIATION_SCORE", "Dissociation (patient's actual)", "0–10", Kind.HIDDEN,
                precision=1, charted="dissociation"),
    ChannelInfo("SEDATION_SCORE", "Sedation (patient's actual)", "0–10", Kind.HIDDEN,
                precision=1, charted="sedation"),
    ChannelInfo("NAUSEA_SCORE", "Nausea (patient's actual)", "0–10", Kind.HIDDEN,
                precision=1, charted="nausea"),
):  # fmt: skip
    _REGISTRY[_info.id] = _info


# The waveforms a monitor sweeps (vitalsim generates them; docs/simulator.md, "Waveforms").
for _info in (
    ChannelInfo("ECG_II", "II", "mV", Kind.WAVEFORM, precision=2, colour="#3fe07a",
                sample_rate_hz=250, wave_scale=0.005, wave_range=(-0.6, 1.6), sweep_mm_s=25.0,
                numeric="HR", rank=10),
    ChannelInfo("PLETH", "Pleth", "", Kind.WAVEFORM, precision=2, colour="#4cc9ff",
                sample_rate_hz=125, wave_scale=0.001, wave_range=(-0.05, 1.1),
                sweep_mm_s=25.0, numeric="SPO2", rank=20),
    ChannelInfo("CO2", "CO₂", "mmHg", Kind.WAVEFORM, precision=0, colour="#ffd84d",
                sample_rate_hz=25, wave_scale=0.1, wave_range=(0.0, 60.0), sweep_mm_s=6.25,
                numeric="ETCO2", rank=30),
):  # fmt: skip
    _REGISTRY[_info.id] = _info
