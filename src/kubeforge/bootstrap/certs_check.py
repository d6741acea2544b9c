"""`kubeforge certs check`: when every certificate and kubeconfig on the control planes
expires, read on the hosts with `openssl` (one exec per control plane), warned under 30 days.

Covers what `kubeadm certs check-expiration` covers: /etc/kubernetes/pki/*.crt,
/etc/kubernetes/pki/etcd/*.crt and the client certificates embedded in /etc/kubernetes/*.conf.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass

from kubeforge.bootstrap.operation import Operation

WARN_DAYS = 30
# One line per certificate: "<path>\t<notAfter>\t<subject>"; kubeconfigs by their embedded
# client certificate. Read-only.
SCRIPT = r"""
for f in /etc/kubernetes/pki/*.crt /etc/kubernetes/pki/etcd/*.crt; do
  [ -f "$f" ] || continue
  printf '%s\t%s\n' "$f" "$(openssl x509 -noout -enddate -in "$f" | cut -d= -f2)"
done
for f in /etc/kubernetes/*.conf; do
  [ -f "$f" ] || continue
  data=$(sed -n 's/^ *client-certificate-data: *//p' "$f" | head -n1)
  [ -n "$data" ] || continue
  printf '%s\t%s\n' "$f" "$(printf %s "$data" | base64 -d | openssl x509 -noout -enddate | cut -d= -f2)"
done
true
"""


@dataclass(frozen=True)
class Expiry:
    host: str
    path: str
    not_after: dt.datetime

    def days_left(self, now: dt.datetime) -> float:
        return (self.not_after - now).total_seconds() / 86400

    def status(self, now: dt.datetime, warn_days: int = WARN_DAYS) -> str:
        left = self.days_left(now)
        return "EXPIRED" if left <= 0 else "warn" if left < warn_days else "ok"


def parse_openssl_date(text: str) -> dt.datetime:
    """openssl's `notAfter=` form, e.g. `Dec  1 22:40:00 2027 GMT`."""
    parsed = dt.datetime.strptime(" ".join(text.split()), "%b %d %H:%M:%S %Y %Z")
    return parsed.replace(tzinfo=dt.UTC)


def parse(host: str, output: str) -> list[Expiry]:
    found = []
    for line in output.splitlines():
        path, _, date = line.partition("\t")
        if path and date.strip():
            found.append(Expiry(host, path, parse_openssl_date(date)))
    return found


async def check(op: Operation) -> dict[str, list[Expiry] | None]:
    """Per control plane: its certificates, or None when it could not be read."""
    hosts = op.ctx.hosts_with_role("control_plane")
    outputs = await asyncio.gather(*(op.try_read(h, SCRIPT) for h in hosts))
    return {h: None if out is None else parse(h, out.decode()) for h, out in zip(hosts, outputs)}
