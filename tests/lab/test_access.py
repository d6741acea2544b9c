"""The operator's route: from kf-operator to the gateway's uplink, then ProxyJump inward."""

from __future__ import annotations

import asyncio

import asyncssh
import pytest

from kubeforge.lab import access
from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab


def test_ssh_to_the_gateway_over_its_uplink(lab: Lab) -> None:
    done = lab.ssh(lab.plan.gateway.name, "hostname; sudo -n true && echo root-ok")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [lab.plan.gateway.name, "root-ok"]


def test_ssh_through_the_gateway_to_every_machine(lab: Lab) -> None:
    for machine in lab.plan.machines:
        done = lab.ssh(machine.name, "hostname")
        assert done.returncode == 0, (machine.name, done.stderr)
        assert done.stdout.strip() == machine.name


def test_asyncssh_over_a_socket_from_the_operator_namespace(lab: Lab) -> None:
    master = lab.plan.by_role("control_plane")[0]
    route = access.route(lab.plan, master.name, lab.workspace.ssh_key_path, lab.paths)
    jump_route = route.jump
    assert jump_route is not None

    async def hostname() -> str:
        options = {"username": route.user, "client_keys": [str(route.identity)],
                   "known_hosts": None}
        async with (
            asyncssh.connect(jump_route.address, sock=route.connect(), **options) as jump,
            asyncssh.connect(route.address, tunnel=jump, **options) as conn,
        ):
            result = await conn.run("hostname", check=True)
            return str(result.stdout).strip()

    assert asyncio.run(hostname()) == master.name
