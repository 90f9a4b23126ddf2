"""The trial as data: the pydantic protocol model and the NAKIP-AML protocol file."""

from nakip.protocol.loader import (
    ProtocolError,
    ProtocolIssue,
    default_protocol_path,
    load_protocol,
    load_protocol_file,
    parse_protocol,
)
from nakip.protocol.model import Protocol

__all__ = [
    "Protocol",
    "ProtocolError",
    "ProtocolIssue",
    "default_protocol_path",
    "load_protocol",
    "load_protocol_file",
    "parse_protocol",
]
