"""Providers: make the plan's machines exist (VirtualBox, libvirt, existing hosts, the lab).

Public surface: `make(name, plan, options)` returns a `base.Provider`; its `plan_actions()` is the
dry-run, `up()` acts, `destroy()` removes what `up` made, `wait_for_ssh()` hands over endpoints.
"""

from __future__ import annotations

from typing import Literal

from kubeforge.errors import ProviderError
from kubeforge.plan.model import Plan
from kubeforge.provision.base import Options, Provider

ProviderName = Literal["virtualbox", "libvirt", "existing", "lab"]
NAMES: tuple[ProviderName, ...] = ("virtualbox", "libvirt", "existing", "lab")


def make(name: str, plan: Plan, options: Options) -> Provider:
    # Imported on demand: libvirt-python is an optional dependency.
    if name == "virtualbox":
        from kubeforge.provision import virtualbox

        return virtualbox.VirtualBox(plan, options)
    if name == "libvirt":
        from kubeforge.provision import libvirt

        return libvirt.Libvirt(plan, options)
    if name == "existing":
        from kubeforge.provision import existing

        return existing.Existing(plan, options)
    if name == "lab":
        from kubeforge.provision import lab

        return lab.Lab(plan, options)
    raise ProviderError(f"--provider {name}: unknown provider; choose one of {', '.join(NAMES)}")
