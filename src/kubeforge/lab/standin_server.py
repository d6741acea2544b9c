"""kubeforge-apiserver-standin -- NOT Kubernetes.

kube-apiserver cannot run in the lab (no Kubernetes binaries, no VM), so control-plane machines
run this instead: TLS on :6443 with /healthz, /readyz and /livez answering `ok`, every response
naming the host that served it, so the HAProxy pair and the VIP can be exercised for real.
Standard library only: this file is copied into the machines and run by their python3.
"""

from __future__ import annotations

import json
import socket
import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CERT = "/etc/kubeforge/standin/tls.crt"
KEY = "/etc/kubeforge/standin/tls.key"
PORT = 6443
HEALTH = ("/healthz", "/readyz", "/livez")
# A client that stops answering (its machine lost power, a cut cable) is dropped after this,
# in its own thread: a TLS handshake in the accept loop once hung the whole server on one.
CLIENT_TIMEOUT_S = 10


class Handler(BaseHTTPRequestHandler):
    server_version = "kubeforge-apiserver-standin"
    timeout = CLIENT_TIMEOUT_S

    def setup(self) -> None:
        super().setup()
        self.request.do_handshake()  # here, in this client's thread, bounded by `timeout`

    def do_GET(self) -> None:
        host = socket.gethostname()
        if self.path.split("?")[0] in HEALTH:
            body, kind = b"ok", "text/plain"
        else:
            note = "a kubeforge lab stand-in for kube-apiserver; this is not Kubernetes"
            body = json.dumps({"standin": "kubeforge-apiserver-standin", "host": host,
                               "path": self.path, "note": note}).encode()
            kind = "application/json"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("X-Kubeforge-Standin", host)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # health checks every second would flood the journal


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, context: ssl.SSLContext, address: tuple[str, int] = ("0.0.0.0", PORT)):
        super().__init__(address, Handler)
        self.context = context

    def get_request(self) -> tuple[socket.socket, tuple[str, int]]:
        """Accept and wrap, no handshake: the accept loop never waits on one client."""
        client, address = self.socket.accept()
        client.settimeout(CLIENT_TIMEOUT_S)
        return self.context.wrap_socket(client, server_side=True,
                                        do_handshake_on_connect=False), address


def main() -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERT, KEY)
    server = Server(context)
    print(f"kubeforge-apiserver-standin (not Kubernetes) on :{PORT}", file=sys.stderr)
    server.serve_forever()


if __name__ == "__main__":
    main()
