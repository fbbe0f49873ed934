"""Bedside monitors over HL7 v2: IHE PCD-01 ORU^R01 messages received by MLLP.

The contract and the receiver's rules are in docs/hl7.md. Which module does what:

- ``_parse``: one message -> :class:`ObservationBatch` or :class:`Hl7Error`, and the ACKs
  (pure functions; a timestamp without offset is UTC).
- ``_mllp``: MLLP framing, an incremental decoder with a size cap.
- ``_listener``: :class:`MllpListener`, the server thread: sockets, connections, limits,
  one ACK per message.
- ``_source``: :class:`Hl7Source`, one bed's queue of readings for its alarm engine, and
  :class:`SourceRegistry`, a ready ``bed_for``.
- ``_gateway``: :class:`Hl7Gateway`, a listener into the runtime or into sources: AA
  means the message was taken (stored, with the runtime).
"""

from vitalsdash.adapters.hl7._gateway import Hl7Gateway
from vitalsdash.adapters.hl7._listener import DEFAULT_MAX_BYTES, DEFAULT_PORT, MllpListener
from vitalsdash.adapters.hl7._parse import (
    DEFAULT_KEY_ORDER,
    RANGES,
    Hl7Error,
    ObservationBatch,
    build_ack,
    format_ts,
    parse_oru,
    parse_ts,
    read_ack,
)
from vitalsdash.adapters.hl7._source import Hl7Source, SourceRegistry

__all__ = [
    "DEFAULT_KEY_ORDER",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_PORT",
    "RANGES",
    "Hl7Error",
    "Hl7Gateway",
    "Hl7Source",
    "MllpListener",
    "ObservationBatch",
    "SourceRegistry",
    "build_ack",
    "format_ts",
    "parse_oru",
    "parse_ts",
    "read_ack",
]
