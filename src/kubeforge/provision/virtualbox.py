"""VirtualBox, the reference's hypervisor: the plan as `VBoxManage` commands (argv lists).

Every command is built as data, so `--dry-run` prints exactly what a real run executes, through
the one Executor. Flags follow the VirtualBox 7 VBoxManage reference (the hyphenated 7.x option
names; tests check every generated command against a table of the allowed flags).

Layout: `<state>/virtualbox/` holds the base disk and one folder per VM (createvm --basefolder),
with the VM's OS disk (a full clone of the base, grown to disk_gb) and its data disk.
Internal networks need no creation: VirtualBox makes an `intnet` when the first VM attaches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kubeforge.errors import ProviderError
from kubeforge.plan.model import Machine, Nic, Plan
from kubeforge.provision import images
from kubeforge.provision.base import SSH_PORT, Action, Endpoint, Options, Provider
from kubeforge.provision.executor import Executor

VBOX = "VBoxManage"
OSTYPE = "Debian_64"
CONTROLLER = "SATA"
NIC_TYPE = "virtio"
SSH_FORWARD = ("127.0.0.1", 2222)  # the gateway's front door, as in the reference
PORT_OS, PORT_DATA, PORT_SEED = 0, 1, 2
_LIST_LINE = re.compile(r'^"(?P<name>.*)" \{(?P<uuid>[0-9a-fA-F-]+)\}$')


@dataclass(frozen=True)
class VmFacts:
    """What `showvminfo --machinereadable` says about one VM."""

    name: str
    info: dict[str, str]

    @property
    def running(self) -> bool:
        return self.info.get("VMState") == "running"


class VirtualBox(Provider):
    name = "virtualbox"

    def __init__(self, plan: Plan, options: Options, executor: Executor | None = None) -> None:
        super().__init__(plan, options)
        self.executor = executor or Executor(dry_run=options.dry_run)
        self.notes: list[str] = []  # facts worth telling the user (drift, no VBoxManage)

    # -- paths ------------------------------------------------------------------------------
    @property
    def folder(self) -> Path:
        return self.options.state_dir / "virtualbox"

    @property
    def base_disk(self) -> Path:
        return self.folder / f"{self.plan.name}-base.vdi"

    def os_disk(self, machine: Machine) -> Path:
        return self.folder / machine.name / f"{machine.name}.vdi"

    def data_disk(self, machine: Machine) -> Path:
        return self.folder / machine.name / f"{machine.name}-data.vdi"

    def intnet(self, subnet: str) -> str:
        """Internal network names are global to the host: prefix with the cluster name."""
        return f"{self.plan.name}-{subnet}"

    # -- facts ------------------------------------------------------------------------------
    def facts(self) -> dict[str, VmFacts]:
        """Planned VMs that exist, by name. Other VMs on the host are never looked at."""
        listing = self.executor.query([VBOX, "list", "vms"])
        if listing is None:
            self._note(f"{VBOX} not found on PATH: assuming no VM exists yet")
            return {}
        planned = {m.name for m in self.plan.machines}
        names = [n for n in parse_list_vms(listing) if n in planned]
        return {n: VmFacts(n, self._showvminfo(n)) for n in names}

    def _showvminfo(self, name: str) -> dict[str, str]:
        text = self.executor.query([VBOX, "showvminfo", name, "--machinereadable"]) or ""
        return parse_machinereadable(text)

    # -- actions ----------------------------------------------------------------------------
    def network_actions(self) -> list[Action]:
        return []  # intnets exist as soon as a VM attaches to them

    def machine_actions(self) -> list[Action]:
        existing = self.facts()
        missing = [m for m in self.plan.machines if m.name not in existing]
        for facts in existing.values():
            self._report_drift(self.plan.machine(facts.name), facts)
        if not missing:
            return []
        return [*self._base_disk_actions(), *(a for m in missing for a in self.create_vm(m))]

    def start_actions(self) -> list[Action]:
        existing = self.facts()
        return [
            Action("startvm", m.name, (VBOX, "startvm", m.name, "--type", "headless"))
            for m in self.plan.machines
            if not (m.name in existing and existing[m.name].running)
        ]

    def destroy_actions(self) -> list[Action]:
        existing = self.facts()
        actions = []
        for machine in reversed(self.plan.machines):
            facts = existing.get(machine.name)
            if facts is None:
                continue
            if facts.running:
                argv = (VBOX, "controlvm", machine.name, "poweroff")
                actions.append(Action("poweroff", machine.name, argv))
            # --delete removes the settings and every attached hard disk (not DVD images).
            argv = (VBOX, "unregistervm", machine.name, "--delete")
            actions.append(Action("unregistervm", machine.name, argv))
        actions += self._forget_media()
        return actions

    def _forget_media(self) -> list[Action]:
        """Attaching registered the seed ISOs and cloning registered the base disk: forget
        them. The ISOs are render's output and stay on disk; the base disk is deleted."""
        registered = set(parse_locations(self.executor.query([VBOX, "list", "dvds"]) or ""))
        seeds = [str(self.options.seed_iso(m)) for m in self.plan.machines]
        actions = [
            Action("closemedium", Path(iso).parent.name, (VBOX, "closemedium", "dvd", iso))
            for iso in seeds
            if iso in registered
        ]
        if self.base_disk.exists():
            argv = (VBOX, "closemedium", "disk", str(self.base_disk), "--delete")
            actions.append(Action("closemedium", self.base_disk.name, argv))
        return actions

    def endpoints(self) -> dict[str, Endpoint]:
        user = self.plan.ssh.user
        gateway = self.plan.gateway.name
        host, port = SSH_FORWARD
        result = {gateway: Endpoint(gateway, host, port, user)}
        for m in self.plan.machines:
            if m.name != gateway:
                result[m.name] = Endpoint(m.name, str(m.address), SSH_PORT, user, jump=gateway)
        return result

    def _execute(self, action: Action) -> None:
        if action.verb == "base-disk":
            self.folder.mkdir(parents=True, exist_ok=True)
        if action.verb == "createvm":
            self._check_inputs(self.plan.machine(action.target))
        self.executor.run(action)

    # -- command builders -------------------------------------------------------------------
    def _base_disk_actions(self) -> list[Action]:
        if self.base_disk.exists():
            return []
        image = images.require(self.options.image)
        source, dest = str(image.path), str(self.base_disk)
        if image.format == "raw":
            argv: tuple[str, ...] = (VBOX, "convertfromraw", source, dest, "--format", "VDI")
        elif image.format == "qcow2":
            # VirtualBox cannot read qcow2: qemu-img writes the VDI directly.
            argv = ("qemu-img", "convert", "-f", "qcow2", "-O", "vdi", source, dest)
        else:
            argv = (VBOX, "clonemedium", "disk", source, dest, "--format", "VDI")
        return [Action("base-disk", self.base_disk.name, argv)]

    def create_vm(self, machine: Machine) -> list[Action]:
        name = machine.name
        os_disk = str(self.os_disk(machine))
        actions = [
            Action(
                "createvm",
                name,
                (
                    VBOX,
                    "createvm",
                    "--name",
                    name,
                    "--ostype",
                    OSTYPE,
                    "--basefolder",
                    str(self.folder),
                    "--register",
                ),
            ),
            Action("modifyvm", name, self.modifyvm(machine)),
            Action(
                "storagectl",
                name,
                (
                    VBOX,
                    "storagectl",
                    name,
                    "--name",
                    CONTROLLER,
                    "--add",
                    "sata",
                    "--controller",
                    "IntelAhci",
                    "--portcount",
                    "3",
                    "--bootable",
                    "on",
                ),
            ),
            Action(
                "clonemedium",
                name,
                (VBOX, "clonemedium", "disk", str(self.base_disk), os_disk, "--format", "VDI"),
            ),
            # Grow the clone to the planned size; cloud-init's growpart fills it at boot.
            Action(
                "modifymedium",
                name,
                (VBOX, "modifymedium", "disk", os_disk, "--resize", str(machine.disk_gb * 1024)),
            ),
            self._attach(name, PORT_OS, "hdd", os_disk),
        ]
        if machine.data_disk_gb:
            data = str(self.data_disk(machine))
            actions += [
                Action(
                    "createmedium",
                    name,
                    (
                        VBOX,
                        "createmedium",
                        "disk",
                        "--filename",
                        data,
                        "--size",
                        str(machine.data_disk_gb * 1024),
                        "--format",
                        "VDI",
                        "--variant",
                        "Standard",
                    ),
                ),
                self._attach(name, PORT_DATA, "hdd", data),
                self._serial(machine),
            ]
        actions.append(
            self._attach(name, PORT_SEED, "dvddrive", str(self.options.seed_iso(machine)))
        )
        return actions

    def modifyvm(self, machine: Machine) -> tuple[str, ...]:
        argv = [
            VBOX,
            "modifyvm",
            machine.name,
            "--cpus",
            str(machine.cpus),
            "--memory",
            str(machine.memory_mb),
            "--ioapic",
            "on",  # VirtualBox refuses to start an SMP VM without the I/O APIC
            "--boot1",
            "disk",
            "--boot2",
            "dvd",
            "--boot3",
            "none",
            "--boot4",
            "none",
        ]
        for index, nic in enumerate(machine.nics, start=1):
            argv += self._nic_args(index, nic)
        return tuple(argv)

    def _nic_args(self, index: int, nic: Nic) -> list[str]:
        mac = nic.mac.replace(":", "").upper()
        common = [f"--nic-type{index}", NIC_TYPE, f"--mac-address{index}", mac]
        if nic.subnet is None:  # the gateway's uplink: NAT, with the SSH front door
            host, port = SSH_FORWARD
            rule = f"ssh,tcp,{host},{port},,{SSH_PORT}"
            return [f"--nic{index}", "nat", *common, f"--nat-pf{index}", rule]
        return [f"--nic{index}", "intnet", *common, f"--intnet{index}", self.intnet(nic.subnet)]

    @staticmethod
    def _attach(vm: str, port: int, kind: str, medium: str) -> Action:
        return Action(
            "storageattach",
            vm,
            (
                VBOX,
                "storageattach",
                vm,
                "--storagectl",
                CONTROLLER,
                "--port",
                str(port),
                "--device",
                "0",
                "--type",
                kind,
                "--medium",
                medium,
            ),
        )

    @staticmethod
    def _serial(machine: Machine) -> Action:
        """The data disk's serial number on its AHCI port (VirtualBox manual 9.9.2, "Configuring
        the hard disk vendor product data"): Linux then names it by-id
        ata-VBOX_HARDDISK_<serial>, the path the plan gives the storage phase."""
        assert machine.data_disk is not None
        key = f"VBoxInternal/Devices/ahci/0/Config/Port{PORT_DATA}/SerialNumber"
        return Action("setextradata", machine.name,
                      (VBOX, "setextradata", machine.name, key, machine.data_disk.serial))

    # -- checks -----------------------------------------------------------------------------
    def _check_inputs(self, machine: Machine) -> None:
        iso = self.options.seed_iso(machine)
        if not iso.is_file():
            raise ProviderError(
                f"{machine.name}: seed ISO {iso} is missing; run `kubeforge "
                f"render --out {self.options.seeds_dir.parent}` first"
            )

    def _report_drift(self, machine: Machine, facts: VmFacts) -> None:
        for problem in drift(machine, facts.info, self.intnet):
            self._note(
                f"{machine.name}: exists and is adopted as is, but {problem} "
                "(kubeforge changes nothing on an existing VM; `kubeforge destroy` "
                "and `up` rebuild it)"
            )

    def _note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)


def drift(machine: Machine, info: dict[str, str], intnet: object) -> list[str]:
    """How an existing VM differs from the plan (what `showvminfo` shows)."""
    wanted = {"cpus": str(machine.cpus), "memory": str(machine.memory_mb)}
    for index, nic in enumerate(machine.nics, start=1):
        wanted[f"macaddress{index}"] = nic.mac.replace(":", "").upper()
        wanted[f"nic{index}"] = "nat" if nic.subnet is None else "intnet"
    problems = [
        f"{key} is {info.get(key, 'unset')!r}, the plan says {value!r}"
        for key, value in wanted.items()
        if info.get(key, "").upper() != value.upper()
    ]
    if f"{CONTROLLER}-{PORT_OS}-0" not in info:
        problems.append(f"no OS disk on {CONTROLLER} port {PORT_OS}")
    return problems


def parse_list_vms(text: str) -> list[str]:
    """`VBoxManage list vms`: one `"name" {uuid}` per line."""
    return [m["name"] for line in text.splitlines() if (m := _LIST_LINE.match(line.strip()))]


def parse_locations(text: str) -> list[str]:
    """`VBoxManage list dvds|hdds`: one block per medium, with a `Location:` line."""
    return [
        line.partition(":")[2].strip() for line in text.splitlines() if line.startswith("Location:")
    ]


def parse_machinereadable(text: str) -> dict[str, str]:
    """`showvminfo --machinereadable`: key=value lines; keys and values may be double-quoted."""
    info: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = _split_pair(line)
        if sep:
            info[key] = value
    return info


def _split_pair(line: str) -> tuple[str, str, str]:
    if line.startswith('"'):
        end = line.find('"=', 1)
        if end < 0:
            return "", "", ""
        key, value = line[1:end], line[end + 2 :]
    else:
        key, sep, value = line.partition("=")
        if not sep:
            return "", "", ""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return key, "=", value
