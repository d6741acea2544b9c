"""A minimal DNS A-record client (no dnsutils on the test host): `python dnsquery.py SERVER NAME...`
prints `NAME ADDR[,ADDR...]` per name, or `NAME -` when the answer holds no A record."""

from __future__ import annotations

import socket
import struct
import sys


def query(server: str, name: str) -> list[str]:
    question = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    packet = (
        struct.pack(">HHHHHH", 0x4B46, 0x0100, 1, 0, 0, 0) + question + struct.pack(">HH", 1, 1)
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.sendto(packet, (server, 53))
        reply = sock.recv(4096)
    return _answers(reply, len(packet))


def _answers(reply: bytes, offset: int) -> list[str]:
    count = struct.unpack(">H", reply[6:8])[0]
    found = []
    for _ in range(count):
        offset += 2 if reply[offset] & 0xC0 == 0xC0 else _name_length(reply, offset)
        kind, _cls, _ttl, length = struct.unpack(">HHIH", reply[offset : offset + 10])
        offset += 10
        if kind == 1:
            found.append(socket.inet_ntoa(reply[offset : offset + length]))
        offset += length
    return sorted(found)


def _name_length(reply: bytes, offset: int) -> int:
    start = offset
    while reply[offset] and reply[offset] & 0xC0 != 0xC0:
        offset += reply[offset] + 1
    return offset - start + (2 if reply[offset] else 1)


if __name__ == "__main__":
    for wanted in sys.argv[2:]:
        print(wanted, ",".join(query(sys.argv[1], wanted)) or "-")
