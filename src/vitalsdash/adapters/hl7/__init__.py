"""Bedside monitors over HL7 v2: IHE PCD-01 ORU^R01 messages received by MLLP.

Three parts (the contract and the receiver's rules are in docs/hl7.md):

- :func:`parse_oru` (pure): one message -> :class:`ObservationBatch` (control id, source
  key, readings with wall-clock times) or :class:`Hl7Error` (AE/AR, reason, field). The
  rules are in ``_hl7_parse``'s docstring; notably a timestamp without offset is UTC.
- :class:`MllpListener`: an asyncio MLLP server on its own thread (127.0.0.1:2575 by
  default; binding elsewhere is explicit). One ACK per message, sent only after
  ``on_batch`` returned: with the runtime (``Runtime.ingest_hl7``) that is after the
  message was stored, so AA means stored. Frames are capped (64 KiB default: AR,
  connection kept); stray bytes before a start block are skipped; connections are capped
  and closed when idle or when a frame stays unfinished. Rejects are logged and counted
  by kind; the whole reason goes into MSA-3 and ERR-8. Nothing one connection sends can
  affect another.
- :class:`Hl7Gateway` ties a listener to the runtime (``ingest``, which also recognises
  resends durably) or, without one, to :class:`Hl7Source` objects through
  ``bed_for(key)`` (:class:`SourceRegistry` is a ready one; the listener then remembers
  accepted MSH-10s in memory). :class:`Hl7Source` is one bed's queue of readings for its
  alarm engine, fed by the listener's thread, read by the runtime's.
"""

from vitalsdash.adapters.hl7._gateway import (
    DEFAULT_KEY_ORDER,
    DEFAULT_MAX_BYTES,
    DEFAULT_PORT,
    RANGES,
    Hl7Error,
    Hl7Gateway,
    Hl7Source,
    MllpListener,
    ObservationBatch,
    SourceRegistry,
    build_ack,
    format_ts,
    parse_oru,
    parse_ts,
    read_ack,
)

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
