"""Drive the rendered haproxy.cfg for real. Run inside a throwaway network + mount namespace
(tests/render/test_loadbalancer.py does): `python haproxy_drive.py CONFIG.json`.

Layout: this namespace holds the load balancer (dmz0 with its planned address) and a mast0
leading to a second namespace where one TLS stand-in per control-plane machine listens on its
planned address. A stand-in answers `/readyz` with the status it is given and `/` with its name.
Prints one JSON object: the stats page's view and which backend served each request.
"""

from __future__ import annotations

import base64
import csv
import datetime
import http.client
import io
import json
import os
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

Config = dict[str, Any]  # the JSON the test writes: addresses, ports, credentials, expectations

STANDIN = """
import http.server, ssl, sys
address, port, status, name, cert, key = sys.argv[1:]
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code = int(status) if self.path == "/readyz" else 200
        body = name.encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer((address, int(port)), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
"""


def sh(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True)


def self_signed(directory: Path) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kft-standin")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "standin.crt", directory / "standin.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


def wire(config: Config, peer_pid: int) -> None:
    """dmz0 here with the LB address; mast0 here, its peer in the stand-ins' namespace."""
    sh("ip", "link", "set", "lo", "up")
    sh("ip", "link", "add", "dmz0", "type", "veth", "peer", "name", "kft-dmzpeer")
    sh("ip", "addr", "add", config["lb_cidr"], "dev", "dmz0")
    for link in ("dmz0", "kft-dmzpeer"):
        sh("ip", "link", "set", link, "up")
    sh("ip", "link", "add", "mast0", "type", "veth", "peer", "name", "kft-mast")
    sh("ip", "addr", "add", config["gateway_cidr"], "dev", "mast0")
    sh("ip", "link", "set", "mast0", "up")
    sh("ip", "link", "set", "kft-mast", "netns", str(peer_pid))
    enter = ["nsenter", "-t", str(peer_pid), "-n"]
    sh(*enter, "ip", "link", "set", "lo", "up")
    for server in config["servers"]:
        sh(*enter, "ip", "addr", "add", server["cidr"], "dev", "kft-mast")
    sh(*enter, "ip", "link", "set", "kft-mast", "up")
    sh(*enter, "ip", "route", "add", "default", "via", config["gateway"])


def stats(config: Config) -> dict[str, str]:
    """Backend server name -> status, from the stats page's CSV (with the rendered credentials)."""
    connection = http.client.HTTPConnection(config["lb"], config["stats_port"], timeout=5)
    token = base64.b64encode(config["stats_auth"].encode()).decode()
    connection.request("GET", "/;csv", headers={"Authorization": f"Basic {token}"})
    reply = connection.getresponse()
    body = reply.read().decode()
    if reply.status != 200:
        return {"_http": str(reply.status)}
    rows = csv.DictReader(io.StringIO(body.lstrip("# ")))
    return {
        r["svname"]: r["status"]
        for r in rows
        if r["pxname"] == "kube-control-plane" and r["svname"] != "BACKEND"
    }


def unauthenticated_status(config: Config) -> int:
    connection = http.client.HTTPConnection(config["lb"], config["stats_port"], timeout=5)
    connection.request("GET", "/")
    return connection.getresponse().status


def fetch(config: Config) -> str:
    """One request through the VIP port on a fresh connection; the backend's name or the error."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    try:
        connection = http.client.HTTPSConnection(
            config["lb"], config["api_port"], timeout=15, context=context
        )
        connection.request("GET", "/")
        return connection.getresponse().read().decode()
    except OSError as exc:
        return f"error: {exc}"


def wait_for(config: Config, wanted: dict[str, str], limit: float = 60.0) -> dict[str, str]:
    """Poll the stats page until the servers show the wanted states (a limit, not a benchmark)."""
    deadline = time.monotonic() + limit
    seen: dict[str, str] = {}
    while time.monotonic() < deadline:
        try:
            seen = stats(config)
        except OSError:
            seen = {}
        if all(seen.get(k, "").startswith(v) for k, v in wanted.items()):
            break
        time.sleep(0.5)
    return seen


def _wait_for_namespace(pid: int) -> None:
    """unshare must have entered its new namespace before a link is moved into it."""
    ours = os.readlink("/proc/self/ns/net")
    for _ in range(100):
        if os.readlink(f"/proc/{pid}/ns/net") != ours:
            return
        time.sleep(0.05)
    raise RuntimeError("unshare -n did not create a namespace")


def main() -> None:
    config = json.loads(Path(sys.argv[1]).read_text())
    work = Path(config["work"])
    cert, key = self_signed(work)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        peer = subprocess.Popen(["unshare", "-n", "sleep", "600"])
        processes.append(peer)
        _wait_for_namespace(peer.pid)
        wire(config, peer.pid)
        standins = {}
        for server in config["servers"]:
            args = [
                server["address"],
                str(config["api_port"]),
                str(server["readyz"]),
                server["name"],
            ]
            standins[server["name"]] = subprocess.Popen(
                [
                    "nsenter",
                    "-t",
                    str(peer.pid),
                    "-n",
                    sys.executable,
                    "-c",
                    STANDIN,
                    *args,
                    cert,
                    key,
                ]
            )
            processes.append(standins[server["name"]])
        processes.append(subprocess.Popen(["haproxy", "-db", "-f", config["haproxy_cfg"]]))
        result: dict[str, object] = {"stats_without_auth": None}
        result["stats"] = wait_for(config, config["expect"])
        result["stats_without_auth"] = unauthenticated_status(config)
        result["served"] = [fetch(config) for _ in range(6)]
        # A master dies between two health checks: the request that hits it is redispatched.
        victim = config["kill"]
        standins[victim].send_signal(signal.SIGKILL)
        standins[victim].wait()
        result["served_after_kill"] = [fetch(config) for _ in range(4)]
        print(json.dumps(result))
    finally:
        for process in reversed(processes):
            process.kill()
            process.wait()


if __name__ == "__main__":
    main()
