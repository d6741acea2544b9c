"""Installs the apiserver stand-in (see standin_server.py) into a control-plane machine's root
before it boots: the script, a self-signed certificate made now, and an enabled systemd unit."""

from __future__ import annotations

import tempfile
from ipaddress import IPv4Address
from pathlib import Path

from kubeforge.lab import sh, standin_server

UNIT_NAME = "kubeforge-apiserver-standin.service"
SCRIPT = Path("usr/local/lib/kubeforge/apiserver-standin.py")
UNIT = f"""\
[Unit]
Description=kubeforge apiserver stand-in (NOT Kubernetes): TLS :6443 /healthz /readyz for the lab
After=network.target

[Service]
ExecStart=/usr/bin/python3 /{SCRIPT}
Restart=on-failure

[Install]
WantedBy=multi-user.target
"""


def install(root: Path, host: str, fqdn: str, addresses: list[IPv4Address]) -> None:
    script = root / SCRIPT
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(Path(standin_server.__file__).read_text())
    script.chmod(0o755)
    _certificate(root / "etc/kubeforge/standin", host, fqdn, addresses)
    units = root / "etc/systemd/system"
    (units / UNIT_NAME).write_text(UNIT)
    wants = units / "multi-user.target.wants"
    wants.mkdir(parents=True, exist_ok=True)
    (wants / UNIT_NAME).unlink(missing_ok=True)
    (wants / UNIT_NAME).symlink_to(f"/etc/systemd/system/{UNIT_NAME}")


def _certificate(directory: Path, host: str, fqdn: str, addresses: list[IPv4Address]) -> None:
    """Self-signed, named for the host and every address clients may use (its own, the VIP)."""
    directory.mkdir(parents=True, exist_ok=True)
    san = ",".join([f"DNS:{host}", f"DNS:{fqdn}", *(f"IP:{a}" for a in addresses)])
    with tempfile.TemporaryDirectory() as tmp:
        key, crt = Path(tmp, "tls.key"), Path(tmp, "tls.crt")
        sh.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30",
                "-subj", f"/CN={host}/O=kubeforge lab stand-in (not Kubernetes)",
                "-addext", f"subjectAltName={san}", "-keyout", str(key), "-out", str(crt)])
        (directory / "tls.crt").write_bytes(crt.read_bytes())
        target = directory / "tls.key"
        target.touch(mode=0o600)
        target.write_bytes(key.read_bytes())
