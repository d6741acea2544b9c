"""A bounded client loop against an HTTPS endpoint, run inside a lab machine (stdlib only).

Sent as a program (`python3 - HOST PORT SECONDS INTERVAL [PATH [RESPONSE_TIMEOUT]]`); prints
one JSON summary. Every request is a new TCP+TLS connection, as a fresh kubectl call is, so a
moved VIP or a dead backend shows up as a failed request. Bounded by SECONDS; it stops by itself.
"""

from __future__ import annotations

import json
import socket
import ssl
import sys
import time

# Nobody answers the TCP handshake: the VIP is on no live machine. The kernel of the machine
# holding the VIP answers in well under a millisecond here; the timeout bounds how late the
# probe sees the VIP return (outages are over-estimated by up to this plus INTERVAL).
CONNECT_TIMEOUT_S = 0.5
# Once connected, HAProxy may be retrying a dead backend (1 s turn-around per retry, then
# redispatch): that is latency a client waits out, not an error. kubectl waits far longer.
RESPONSE_TIMEOUT_S = 5.0
SLOW_S = 1.0  # a successful request slower than this is counted as slow


def request(host: str, port: int, path: str, context: ssl.SSLContext,
            response_timeout: float = RESPONSE_TIMEOUT_S) -> str:
    """One GET over a new connection; returns which backend answered (the stand-in's header)."""
    with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S) as raw:
        raw.settimeout(response_timeout)
        with context.wrap_socket(raw, server_hostname=host) as tls:
            tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while chunk := tls.recv(4096):
                data += chunk
    lines = data.partition(b"\r\n\r\n")[0].decode(errors="replace").split("\r\n")
    if len(lines[0].split()) < 2 or lines[0].split()[1] != "200":
        raise ConnectionError(lines[0] or "empty response")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return headers.get("X-Kubeforge-Standin", "?")


def run(host: str, port: int, path: str, seconds: float, interval: float,
        response_timeout: float = RESPONSE_TIMEOUT_S) -> dict[str, object]:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the lab stand-in's certificate is self-signed
    wall, start = time.time(), time.monotonic()
    events: list[tuple[float, float, str, str]] = []  # (sent, done, ok|error, detail)
    while (sent := time.monotonic()) - start < seconds:
        try:
            outcome, detail = "ok", request(host, port, path, context, response_timeout)
        except (OSError, ConnectionError) as exc:
            outcome, detail = "error", type(exc).__name__
        events.append((sent - start, time.monotonic() - start, outcome, detail))
        time.sleep(max(0.0, interval - (time.monotonic() - sent)))
    return summarize(events, wall)


def summarize(events: list[tuple[float, float, str, str]], wall: float = 0.0
              ) -> dict[str, object]:
    """Outage = from the last success before a failure streak to the first success after it.
    `wall`: the clock time (time.time()) of offset 0, so outages can be placed on the clock of
    the machine that caused them (lab machines share the host's clock)."""
    outages, windows, last_ok, failing_since = [], [], None, None
    for sent, done, outcome, _ in events:
        if outcome == "error" and failing_since is None:
            failing_since = sent
        elif outcome == "ok":
            if failing_since is not None:
                began = last_ok if last_ok is not None else failing_since
                outages.append(round(done - began, 3))
                windows.append([round(wall + began, 3), round(wall + done, 3)])
                failing_since = None
            last_ok = done
    errors = [detail for _, _, outcome, detail in events if outcome == "error"]
    served: dict[str, int] = {}
    for _, _, outcome, detail in events:
        if outcome == "ok":
            served[detail] = served.get(detail, 0) + 1
    latencies = [done - sent for sent, done, outcome, _ in events if outcome == "ok"]
    return {
        "requests": len(events),
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "outages_s": outages,
        "outage_windows": windows,  # [[began, ended], ...] in seconds since the epoch
        "unrecovered_since": None if failing_since is None else round(wall + failing_since, 3),
        "longest_outage_s": max(outages, default=0.0),
        "unrecovered": failing_since is not None,
        "served_by": served,
        "slow": sum(1 for latency in latencies if latency > SLOW_S),
        "slowest_s": round(max(latencies, default=0.0), 3),
    }


def main(argv: list[str]) -> None:
    host, port, seconds, interval = argv[0], int(argv[1]), float(argv[2]), float(argv[3])
    path = argv[4] if len(argv) > 4 else "/version"
    response_timeout = float(argv[5]) if len(argv) > 5 else RESPONSE_TIMEOUT_S
    print(json.dumps(run(host, port, path, seconds, interval, response_timeout)))


if __name__ == "__main__":
    main(sys.argv[1:])
