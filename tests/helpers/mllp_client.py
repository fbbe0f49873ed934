"""MLLP clients for the HL7 tests: a raw one (one connection to 127.0.0.1 that keeps its
socket, sends framed messages and reads their ACKs in order), and one message sent by the
``hl7`` package's own client.

Test modules import it as ``from mllp_client import ...`` (tests/helpers is on
``sys.path``: pytest's ``pythonpath``).
"""

from __future__ import annotations

import asyncio
import socket
import struct

import hl7
from hl7.mllp import open_hl7_connection

from vitalsdash.adapters.hl7 import read_ack
from vitalsdash.adapters.hl7._mllp import END, SB


def framed(text: str | bytes) -> bytes:
    """``text`` (UTF-8) between the MLLP start block and end block."""
    return SB + (text.encode("utf-8") if isinstance(text, str) else text) + END


class MllpClient:
    def __init__(self, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def ack_message(self) -> str:
        """The next ACK, as HL7 text; ConnectionError if the receiver closes first."""
        while END not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the receiver closed the connection")
            self.buf += data
        block, _, self.buf = self.buf.partition(END)
        return block[block.index(SB) + 1 :].decode("ascii")

    def ack(self) -> tuple[str, str, str]:
        """The next ACK as (MSA-1 code, MSA-2 control id, MSA-3 text)."""
        return read_ack(self.ack_message())

    def exchange(self, data: str | bytes) -> str:
        """Send a message (text is framed; bytes go as they are) and return its ACK's text."""
        self.sock.sendall(framed(data) if isinstance(data, str) else data)
        return self.ack_message()

    def send(self, data: str | bytes) -> tuple[str, str, str]:
        """Send a message and return its ACK as (code, control id, text)."""
        return read_ack(self.exchange(data))

    def close(self, reset: bool = False) -> None:
        if reset:  # RST instead of FIN
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


def send_by_hl7_package(port: int, text: str, timeout_s: float = 5.0) -> hl7.Message:
    """Send one message with the ``hl7`` package's MLLP client on a connection of its own;
    the ACK (at most ``timeout_s`` to wait for it)."""

    async def talk() -> hl7.Message:
        reader, writer = await open_hl7_connection("127.0.0.1", port)
        try:
            writer.writemessage(hl7.parse(text))
            await writer.drain()
            return await asyncio.wait_for(reader.readmessage(), timeout_s)
        finally:
            writer.close()
            await writer.wait_closed()

    return asyncio.run(talk())
