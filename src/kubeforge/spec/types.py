"""The grammar of every spec string that reaches a rendered file, as pydantic types.

Each string lands in some file's grammar (a Kubernetes name, a dnsmasq line, a haproxy word, a
YAML scalar of cloud-init): the type admits only what that grammar reads as one value, so no
spec string can add a line, a document or a directive. Every pattern excludes newlines and
control characters. `GRAMMARS` words each pattern for the error message.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, Secret, StringConstraints
from pydantic_core import PydanticCustomError

_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
_K8S_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_NAME_PART = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"

DNS_LABEL = rf"^{_LABEL}$"
DNS_SUBDOMAIN = rf"^{_K8S_LABEL}(\.{_K8S_LABEL})*$"
DOMAIN = rf"^{_LABEL}(\.{_LABEL})*$"
CLUSTER_NAME = r"^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$"
HOST_PREFIX = r"^[a-z0-9][-a-z0-9]{0,49}$"
LABEL_KEY = rf"^({_K8S_LABEL}(\.{_K8S_LABEL})*/)?{_NAME_PART}$"
LABEL_VALUE = rf"^({_NAME_PART})?$"
UNIX_USER = r"^[a-z_][a-z0-9_-]{0,31}$"
HAPROXY_WORD = r"^[A-Za-z0-9._+=-]{1,64}$"
PASSWORD = r"^[A-Za-z0-9._+=~!@%^*,/?-]{0,128}$"
DEBIAN_PACKAGE = r"^[a-z0-9][a-z0-9+.-]{1,99}$"
DEBIAN_RELEASE = r"^[a-z]{2,20}$"
GLUSTER_VOLUME = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$"
HTTP_URL = r"^https?://[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?(/[A-Za-z0-9._~%/-]{0,1024})?$"
LEASE_TIME = r"^([0-9]{1,8}[smhd]?|infinite)$"
DISK_PATH = r"^/dev/disk/by-(id|path)/[\x21-\x2e\x30-\x7e]{1,200}$"  # printable, no '/'

GRAMMARS: dict[str, str] = {
    DNS_LABEL: "a DNS-1123 label: 1-63 characters a-z, 0-9 and '-', starting and ending with a "
    "letter or digit (e.g. kube-system)",
    DNS_SUBDOMAIN: "a DNS-1123 subdomain: at most 253 characters, dot-separated labels of a-z, "
    "0-9 and '-' (e.g. gluster)",
    DOMAIN: "a DNS domain: dot-separated labels of 1-63 characters a-z, 0-9 and '-' (e.g. kube.local)",
    CLUSTER_NAME: "1-32 characters a-z, 0-9 and '-', starting and ending with a letter or digit "
    "(e.g. kube)",
    HOST_PREFIX: "1-50 characters a-z, 0-9 and '-', starting with a letter or digit (e.g. kube-node)",
    LABEL_KEY: "a Kubernetes label key: an optional DNS prefix and '/', then 1-63 characters "
    "A-Z, a-z, 0-9, '-', '_' and '.' (e.g. node-role.kubernetes.io/control-plane)",
    LABEL_VALUE: "a Kubernetes label value: empty, or 1-63 characters A-Z, a-z, 0-9, '-', '_' and '.'",
    UNIX_USER: "a Linux user name: 1-32 characters a-z, 0-9, '_' and '-', starting with a letter "
    "or '_' (e.g. debian)",
    HAPROXY_WORD: "1-64 characters A-Z, a-z, 0-9 and ._+=-",
    PASSWORD: "at most 128 characters A-Z, a-z, 0-9 and ._+=~!@%^*,/?- (or leave it unset: "
    "kubeforge generates one)",
    DEBIAN_PACKAGE: "a Debian package name: 2-100 characters a-z, 0-9 and +.-, starting with a "
    "letter or digit",
    DEBIAN_RELEASE: "a Debian release code name in lowercase letters (e.g. trixie)",
    GLUSTER_VOLUME: "1-63 characters A-Z, a-z, 0-9, '_' and '-', starting with a letter or digit",
    HTTP_URL: "an http(s) URL of a host name or address, an optional port and a plain path "
    "(e.g. http://heketi.storage.svc:8080)",
    LEASE_TIME: "a dnsmasq lease time: a number with an optional unit s, m, h or d, or infinite "
    "(e.g. 12h)",
    DISK_PATH: "a stable disk path /dev/disk/by-id/NAME or /dev/disk/by-path/NAME (printable "
    "ASCII, no space or '/' in NAME)",
}

# Accounts of a Debian base image: cloud-init would hand the operator's key and sudo to them.
SYSTEM_USERS = frozenset({
    "root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp", "proxy",
    "www-data", "backup", "list", "irc", "gnats", "nobody", "_apt", "messagebus", "sshd",
    "systemd-network", "systemd-resolve", "systemd-timesync", "polkitd", "tss",
})


def _not_system_user(value: str) -> str:
    if value in SYSTEM_USERS:
        raise PydanticCustomError(
            "system_user", "{user} is a system account of the image; cloud-init would give it "
            "the operator's key and sudo. Use a personal account name (default: debian)",
            {"user": value},
        )
    return value


def _pattern(pattern: str, max_length: int, min_length: int = 0) -> StringConstraints:
    return StringConstraints(pattern=pattern, max_length=max_length, min_length=min_length)


DnsLabel = Annotated[str, _pattern(DNS_LABEL, 63)]
DnsSubdomain = Annotated[str, _pattern(DNS_SUBDOMAIN, 253)]
# 253 (a DNS name) minus a host label of 63 and its dot: every FQDN kubeforge writes fits.
DomainName = Annotated[str, _pattern(DOMAIN, 189)]
ClusterName = Annotated[str, _pattern(CLUSTER_NAME, 32)]
HostPrefix = Annotated[str, _pattern(HOST_PREFIX, 50)]
LabelKey = Annotated[str, _pattern(LABEL_KEY, 317)]
LabelValue = Annotated[str, _pattern(LABEL_VALUE, 63)]
UnixUser = Annotated[str, _pattern(UNIX_USER, 32), AfterValidator(_not_system_user)]
HaproxyWord = Annotated[str, _pattern(HAPROXY_WORD, 64)]
Password = Secret[Annotated[str, _pattern(PASSWORD, 128)]]
DebianPackage = Annotated[str, _pattern(DEBIAN_PACKAGE, 100)]
DebianRelease = Annotated[str, _pattern(DEBIAN_RELEASE, 20)]
GlusterVolume = Annotated[str, _pattern(GLUSTER_VOLUME, 63)]
HttpUrl = Annotated[str, _pattern(HTTP_URL, 2048)]
LeaseTime = Annotated[str, _pattern(LEASE_TIME, 12)]
DiskPath = Annotated[str, _pattern(DISK_PATH, 230)]
Port = Annotated[int, Field(ge=1, le=65535)]
