"""The plan and the cloud-init seeds for the lab: the user's spec with `image_preinstalled` set
(the lab's base tree already holds every role package and there is no mirror to fetch from),
seeded by the same renderer that makes the VirtualBox cidata ISO."""

from __future__ import annotations

from pathlib import PurePosixPath

from kubeforge.plan.build import build_plan
from kubeforge.plan.model import Plan
from kubeforge.render import cloudinit
from kubeforge.spec.model import ClusterSpec

Seeds = dict[str, dict[str, bytes]]  # host -> {user-data, meta-data, network-config: content}


def lab_plan(spec: ClusterSpec) -> Plan:
    """`spec` must carry the operator key (Workspace.operator_spec())."""
    return build_plan(spec.model_copy(update={"image_preinstalled": True}))


def render_seeds(plan: Plan) -> Seeds:
    key = cloudinit.operator_key(plan)
    seeds: Seeds = {}
    for machine in plan.machines:
        files = seeds.setdefault(machine.name, {})
        for artifact in cloudinit.seed(plan, machine, key):
            name = PurePosixPath(artifact.dest).name
            if name in cloudinit.SEED_FILES:  # the ISO is for hypervisors; the lab copies files
                files[name] = artifact.content
    return seeds
