"""etcd certificates in the layout and with the fields kubeadm gives its stacked etcd.

On a real cluster `kubeadm init` makes these. The lab has no kubeadm, so kubeforge issues them
for the lab's real etcd (Debian's etcd-server standing in for kubeadm's static pod): one CA
(`etcd-ca`, 10 years), and per control plane a server and a peer certificate (CN and SANs: the
node name, localhost, its address, 127.0.0.1, ::1), the healthcheck client and the API server's
etcd client (1 year each), as in kubeadm's `certs` phase. Kept in `<state>/pki/etcd/` (0600)
and reused, so re-applies converge; a machine whose address changed gets new ones.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kubeforge.plan.model import Machine, Plan
from kubeforge.render import private
from kubeforge.render.artifact import Artifact, host_file

COMPONENT = "etcd-pki"
PKI = "/etc/kubernetes/pki"
ETCD_PKI = f"{PKI}/etcd"
CA_DAYS = 3650  # kubeadm: 10 years for CAs
LEAF_DAYS = 365  # kubeadm: 1 year for everything else


@dataclass(frozen=True)
class Profile:
    name: str
    target: str  # path on the machine without .crt/.key
    server: bool  # serverAuth + the node's SANs (server, peer); else a client certificate
    common_name: str | None = None  # None: the node name


PROFILES = (
    Profile("server", f"{ETCD_PKI}/server", True),
    Profile("peer", f"{ETCD_PKI}/peer", True),
    Profile("healthcheck-client", f"{ETCD_PKI}/healthcheck-client", False,
            "kube-etcd-healthcheck-client"),
    Profile("apiserver-etcd-client", f"{PKI}/apiserver-etcd-client", False,
            "kube-apiserver-etcd-client"),
)


@dataclass(frozen=True)
class Pair:
    cert: bytes
    key: bytes


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)  # kubeadm's default


def key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())


def _builder(subject: str, issuer: x509.Name, public: rsa.RSAPublicKey, now: dt.datetime,
             days: int) -> x509.CertificateBuilder:
    return (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(issuer).public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))  # tolerate small clock skew
            .not_valid_after(now + dt.timedelta(days=days)))


def issue_ca(now: dt.datetime, days: int = CA_DAYS) -> Pair:
    key = new_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "etcd-ca")])
    usage = x509.KeyUsage(True, False, True, False, False, True, False, False, False)
    cert = (_builder("etcd-ca", name, key.public_key(), now, days)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256()))
    return Pair(cert.public_bytes(serialization.Encoding.PEM), key_pem(key))


def issue(ca: Pair, profile: Profile, machine: Machine, now: dt.datetime,
          days: int = LEAF_DAYS) -> Pair:
    ca_cert = x509.load_pem_x509_certificate(ca.cert)
    ca_key = serialization.load_pem_private_key(ca.key, None)
    assert isinstance(ca_key, rsa.RSAPrivateKey)
    key = new_key()
    usages = [ExtendedKeyUsageOID.CLIENT_AUTH]
    if profile.server:
        usages.insert(0, ExtendedKeyUsageOID.SERVER_AUTH)
    usage = x509.KeyUsage(True, False, True, False, False, False, False, False, False)
    builder = (_builder(profile.common_name or machine.name, ca_cert.subject, key.public_key(),
                        now, days)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(usage, critical=True)
               .add_extension(x509.ExtendedKeyUsage(usages), critical=False))
    if profile.server:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans(machine)), False)
    cert = builder.sign(ca_key, hashes.SHA256())
    return Pair(cert.public_bytes(serialization.Encoding.PEM), key_pem(key))


def sans(machine: Machine) -> list[x509.GeneralName]:
    """kubeadm's etcd server/peer SANs: node name, localhost, its address, loopbacks."""
    return [x509.DNSName(machine.name), x509.DNSName("localhost"),
            x509.IPAddress(machine.address), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1"))]


class Store:
    """`<state>/pki/etcd/`: ca.{crt,key} and <host>/<profile>.{crt,key}, all 0600."""

    def __init__(self, state_dir: Path) -> None:
        self.root = state_dir / "pki" / "etcd"

    def read(self, stem: Path) -> Pair | None:
        crt, key = stem.with_suffix(".crt"), stem.with_suffix(".key")
        if not (private.check(crt) and private.check(key)):
            return None
        return Pair(crt.read_bytes(), key.read_bytes())

    def write(self, stem: Path, pair: Pair) -> None:
        private.write(stem.with_suffix(".key"), pair.key)
        private.write(stem.with_suffix(".crt"), pair.cert)

    def ca(self, now: dt.datetime) -> Pair:
        stem = self.root / "ca"
        pair = self.read(stem)
        if pair is None:
            pair = issue_ca(now)
            self.write(stem, pair)
        return pair

    def leaf(self, ca: Pair, profile: Profile, machine: Machine, now: dt.datetime) -> Pair:
        stem = self.root / machine.name / profile.name
        pair = self.read(stem)
        if pair is None or not matches(pair, ca, profile, machine):
            pair = issue(ca, profile, machine, now)
            self.write(stem, pair)
        return pair


def matches(pair: Pair, ca: Pair, profile: Profile, machine: Machine) -> bool:
    """The stored certificate is still right: signed by this CA, for this address."""
    cert = x509.load_pem_x509_certificate(pair.cert)
    if cert.issuer != x509.load_pem_x509_certificate(ca.cert).subject:
        return False
    if not profile.server:
        return True
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return machine.address in names.get_values_for_type(x509.IPAddress)


def artifacts(state_dir: Path, plan: Plan, now: dt.datetime | None = None) -> list[Artifact]:
    """The certificate files of every control plane, issued on first use (secret: the keys)."""
    now = now or dt.datetime.now(dt.UTC)
    store = Store(state_dir)
    ca = store.ca(now)
    found: list[Artifact] = []
    for machine in plan.by_role("control_plane"):
        found += _files(machine.name, f"{ETCD_PKI}/ca", ca)
        for profile in PROFILES:
            found += _files(machine.name, profile.target, store.leaf(ca, profile, machine, now))
    return found


def _files(host: str, target: str, pair: Pair) -> list[Artifact]:
    return [host_file(COMPONENT, host, f"{target}.crt", pair.cert, 0o644),
            host_file(COMPONENT, host, f"{target}.key", pair.key, 0o600, secret=True)]
