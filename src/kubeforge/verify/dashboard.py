"""How the operator reaches the dashboard through the gateway, and a short-lived login token.

The dashboard has no address outside the cluster: it is reached with `kubectl port-forward`
through the API server (itself reached at the VIP, or a local forward through the gateway),
and logged into with a token minted for its ServiceAccount by `kubectl create token`
(Kubernetes >= 1.24 creates no long-lived token Secrets).
"""

from __future__ import annotations

from dataclasses import dataclass

from kubeforge.bootstrap.phases.kube import KUBECTL
from kubeforge.plan.model import Plan
from kubeforge.render.addons import DASHBOARD_ACCOUNT
from kubeforge.verify import remote

TOKEN_DURATION = "1h"


@dataclass(frozen=True)
class Access:
    kind: str
    namespace: str  # of the login ServiceAccount
    service_namespace: str
    service: str
    port: int
    local_port: int
    scheme: str

    def port_forward(self, kubeconfig: str) -> str:
        return (f"kubectl --kubeconfig {kubeconfig} -n {self.service_namespace} port-forward "
                f"service/{self.service} {self.local_port}:{self.port}")

    @property
    def url(self) -> str:
        return f"{self.scheme}://localhost:{self.local_port}/"


def access(plan: Plan) -> Access | None:
    dashboard = plan.spec.addons.dashboard
    if dashboard.kind == "none":
        return None
    if dashboard.kind == "headlamp":
        return Access("headlamp", dashboard.namespace, dashboard.namespace, "headlamp", 80,
                      8080, "http")
    return Access("kubernetes-dashboard", dashboard.namespace, "kubernetes-dashboard",
                  "kubernetes-dashboard", 443, 8443, "https")


def token_command(found: Access, duration: str = TOKEN_DURATION) -> str:
    return (f"{KUBECTL} -n {found.namespace} create token {DASHBOARD_ACCOUNT} "
            f"--duration {duration}")


async def token(reader: remote.Reader, host: str, found: Access) -> str | None:
    out = remote.text(await reader.try_read(host, token_command(found)))
    return out.strip() if out else None
