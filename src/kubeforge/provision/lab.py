"""The lab behind the provider interface: a thin adapter over `kubeforge.lab.lifecycle`.

The lab is brought up and torn down as one unit (its own ordering, record and teardown live in
`kubeforge.lab`), so here it is one action each way: `lab-up` when any machine is not ready,
`lab-down` when the lab has made anything. The lab sits below the providers in the layers
(like VBoxManage under the VirtualBox provider), so this module imports it plainly.

Its endpoints say, as data, what the engine needs: the operator namespace the first hop is
dialled from, and the lab's own known_hosts (every `lab up` makes machines with new host keys).
"""

from __future__ import annotations

from pathlib import Path

from kubeforge.lab import access, lifecycle, seeds
from kubeforge.lab.paths import LabPaths
from kubeforge.lab.record import Record
from kubeforge.plan.model import Plan
from kubeforge.provision.base import Action, Endpoint, Options, Provider
from kubeforge.provision.handoff import Handoff

NAME = "lab"
NO_KEY = Path("/dev/null")  # endpoints do not carry the key: the engine has its own


class Lab(Provider):
    name = NAME
    kubernetes_binaries = False  # no kubeadm/kubelet binaries exist on the lab's machines

    def __init__(self, plan: Plan, options: Options, paths: LabPaths | None = None) -> None:
        # The lab's own plan (image_preinstalled: its base tree holds every package and the
        # sealed lab has no mirror), so the seeds ask cloud-init to install nothing.
        super().__init__(seeds.lab_plan(plan.spec), options)
        self.paths = paths or LabPaths.default()

    def network_actions(self) -> list[Action]:
        return []  # made by lab-up, with the machines

    def machine_actions(self) -> list[Action]:
        statuses = lifecycle.status(self.plan, self.paths)
        waiting = [s.name for s in statuses if not s.ready]
        if not waiting:
            return []
        return [Action("lab-up", f"{len(waiting)} machines not ready: {', '.join(waiting)}")]

    def start_actions(self) -> list[Action]:
        return []  # lab-up boots every machine and waits until each is ready

    def destroy_actions(self) -> list[Action]:
        record = Record.load(self.paths.record)
        return [Action("lab-down", f"{len(record.made)} lab objects")] if record.made else []

    def endpoints(self) -> dict[str, Endpoint]:
        return endpoints(self.plan, self.paths)

    def wait_for_ssh(self, timeout: float = 300.0,
                     hosts: list[str] | None = None) -> dict[str, Endpoint]:
        """lab-up already waited until every machine was ready (kubeforge.readiness: a login
        by the operator's route)."""
        return self.endpoints()

    def _execute(self, action: Action) -> None:
        if action.verb == "lab-up":
            lifecycle.up(self.plan, seeds.render_seeds(self.plan), self.paths,
                         identity=self.options.identity, progress=self.progress)
        elif action.verb == "lab-down":
            lifecycle.down(self.paths)


def endpoints(plan: Plan, paths: LabPaths | None = None) -> dict[str, Endpoint]:
    """The operator's route into the lab: stub internet to the gateway, then ProxyJump."""
    routes = [access.route(plan, m.name, NO_KEY, paths) for m in plan.machines]
    return {r.host: Endpoint(r.host, r.address, r.port, r.user, r.jump.host if r.jump else None,
                             known_hosts=str(r.known_hosts), netns=r.netns) for r in routes}


def handoff(plan: Plan, paths: LabPaths | None = None) -> Handoff:
    """What `up --provider lab` records: for callers that bring the lab up themselves
    (`kubeforge lab up`, the demos, `apply --lab`)."""
    return Handoff(NAME, endpoints(plan, paths), kubernetes_binaries=Lab.kubernetes_binaries)
