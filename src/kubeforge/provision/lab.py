"""The lab behind the provider interface: a thin adapter over `kubeforge.lab.lifecycle`.

The lab is brought up and torn down as one unit (its own ordering, record and teardown live in
`kubeforge.lab`), so here it is one action each way: `lab-up` when any machine is not ready,
`lab-down` when the lab has made anything.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from kubeforge.errors import ProviderError
from kubeforge.plan.model import Plan
from kubeforge.provision.base import Action, Endpoint, Options, Provider


def _lab(module: str) -> ModuleType:
    try:
        return import_module(f"kubeforge.lab.{module}")
    except ImportError as exc:
        raise ProviderError(
            f"--provider lab needs kubeforge.lab.{module}, which this build does "
            f"not have ({exc}); use `kubeforge lab up` directly"
        ) from None


class Lab(Provider):
    name = "lab"

    def __init__(self, plan: Plan, options: Options) -> None:
        # The lab's own plan (image_preinstalled: its base tree holds every package and the
        # sealed lab has no mirror), so the seeds ask cloud-init to install nothing.
        self.seeds = _lab("seeds")
        super().__init__(self.seeds.lab_plan(plan.spec), options)
        self.lifecycle = _lab("lifecycle")

    def network_actions(self) -> list[Action]:
        return []  # made by lab-up, with the machines

    def machine_actions(self) -> list[Action]:
        statuses = self.lifecycle.status(self.plan)
        waiting = [s.name for s in statuses if not s.ready]
        if not waiting:
            return []
        return [Action("lab-up", f"{len(waiting)} machines not ready: {', '.join(waiting)}")]

    def start_actions(self) -> list[Action]:
        return []  # lab-up boots every machine and waits until each is ready

    def destroy_actions(self) -> list[Action]:
        record = _lab("record").Record.load(_lab("paths").LabPaths.default().record)
        return [Action("lab-down", f"{len(record.made)} lab objects")] if record.made else []

    def endpoints(self) -> dict[str, Endpoint]:
        # The operator's route into the lab (stub internet to the gateway, then ProxyJump).
        access = _lab("access")
        return {m.name: access.endpoint(self.plan, m.name) for m in self.plan.machines}

    def _execute(self, action: Action) -> None:
        if action.verb == "lab-up":
            self.lifecycle.up(self.plan, self.seeds.render_seeds(self.plan))
        elif action.verb == "lab-down":
            self.lifecycle.down()
