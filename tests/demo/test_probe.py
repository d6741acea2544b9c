"""The HA demo's client loop: its outage arithmetic, and a real run against a local TLS server."""

from __future__ import annotations

import http.server
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubeforge.demo import probe


def test_outage_spans_last_success_to_first_success_after_failures() -> None:
    events = [(0.0, 0.01, "ok", "a"), (0.1, 1.1, "error", "TimeoutError"),
              (1.2, 1.3, "error", "ConnectionRefusedError"), (1.4, 1.45, "ok", "b"),
              (1.5, 1.55, "ok", "b")]
    summary = probe.summarize(events)
    assert summary["outages_s"] == [1.44]
    assert summary["errors"] == 2 and summary["served_by"] == {"a": 1, "b": 2}
    assert summary["unrecovered"] is False


def test_failure_at_the_end_is_unrecovered() -> None:
    summary = probe.summarize([(0.0, 0.1, "ok", "a"), (0.2, 1.2, "error", "TimeoutError")])
    assert summary["unrecovered"] is True and summary["outages_s"] == []


class SlowHandler(http.server.BaseHTTPRequestHandler):
    delay = 0.0  # seconds before answering (set by a test)


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[int]:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=probe-test", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)

    SlowHandler.delay = 0.0

    class Handler(SlowHandler):
        def do_GET(self) -> None:
            time.sleep(self.delay)
            self.send_response(200)
            self.send_header("X-Kubeforge-Standin", "local")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def test_probe_counts_answers_from_a_tls_server(tls_server: int) -> None:
    summary = probe.run("127.0.0.1", tls_server, "/version", seconds=0.5, interval=0.05)
    assert summary["errors"] == 0 and summary["served_by"] == {"local": summary["requests"]}


def test_probe_counts_refused_connections_as_errors() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    summary = probe.run("127.0.0.1", port, "/version", seconds=0.3, interval=0.05)
    requests = summary["requests"]
    assert isinstance(requests, int) and requests > 0
    assert summary["errors"] == requests and summary["unrecovered"] is True


def test_a_slow_answer_is_latency_and_no_answer_is_an_error(tls_server: int) -> None:
    """HAProxy retrying a dead master delays an answer: slow, not failed. An answer later
    than the response timeout is a failure."""
    SlowHandler.delay = 1.2
    slow = probe.run("127.0.0.1", tls_server, "/version", seconds=0.1, interval=0.05)
    assert slow["errors"] == 0 and slow["slow"] == 1
    late = probe.run("127.0.0.1", tls_server, "/version", seconds=0.1, interval=0.05,
                     response_timeout=0.5)
    assert late["errors"] == 1 and late["error_kinds"] == ["TimeoutError"]
